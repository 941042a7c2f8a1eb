"""Training and augmentation throughput of SimCLR on this machine (docs/benchmarks.md).

    .venv/bin/python bench/training_throughput.py [--galaxies 2048] [--threads 2]

Synthetic 32x32x5 tensors (the speed does not depend on the values). Reports
galaxies per second (one galaxy = one positive pair = two views) for the
augmentations alone and for whole training steps at the paper's widths and at
the demo config's widths, after one warm-up epoch that includes compilation.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]


def synthetic(n, size=32, channels=5, seed=0):
    rng = np.random.default_rng(seed)
    maps = rng.random((n, size, size, channels), dtype=np.float32)
    return {
        "plateifu": np.array([f"{i}" for i in range(n)]),
        "channels": np.arange(channels).astype(str),
        "maps": maps,
        "sigma": np.full_like(maps, 0.1),
        "model_variation": maps[::-1].copy(),
    }


def augmentation_rate(data, batch, steps=20):
    import keras

    from manga_ssl.ssl.augmentations import AugmentationSettings, SurveyAugmenter

    aug = SurveyAugmenter(data["maps"], data["sigma"], data["model_variation"], AugmentationSettings(), seed=0)

    def step():
        return aug(aug.sample(batch))

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        fn = tf.function(step, jit_compile=False)
    else:
        fn = step
    fn()  # compile
    t0 = time.perf_counter()
    for _ in range(steps):
        out = fn()
    np.asarray(out[1][0, 0, 0])
    return steps * batch / (time.perf_counter() - t0)


def training_rate(data, widths, head, batch, epochs=2):
    from manga_ssl.ssl.training import TrainingSettings, train_simclr

    settings = TrainingSettings(
        conv_filters=tuple(widths),
        kernel_sizes=(5, 3, 3, 3)[: len(widths)],
        projection_head=tuple(head),
        batch_size=batch,
        epochs=epochs,
        warmup_epochs=0,
    )
    _, _, history = train_simclr(data, settings, seed=0)
    return float(history["galaxies_per_s"].iloc[1:].mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--galaxies", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    from manga_ssl.ssl.device import configure_threads

    configure_threads(args.threads)
    import keras

    demo = yaml.safe_load((ROOT / "config/demo.yaml").read_text())["simclr"]
    data = synthetic(args.galaxies)
    print(f"backend {keras.backend.backend()}, {args.threads} threads, {platform.processor() or platform.machine()}")
    print(f"augmentations only (batch 1024, both views): {augmentation_rate(data, 1024):.0f} galaxies/s")
    rate = training_rate(data, demo["conv_filters"], demo["projection_head"], demo["batch_size"])
    print(f"training, demo widths {demo['conv_filters']} batch {demo['batch_size']}: {rate:.0f} galaxies/s")
    rate = training_rate(data, (128, 256, 512, 1024), (512, 128, 64), 1024)
    print(f"training, paper widths [128, 256, 512, 1024] batch 1024: {rate:.0f} galaxies/s")


if __name__ == "__main__":
    main()
