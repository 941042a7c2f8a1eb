"""Data layout of the encoder's convolutions (issue 14): channels_last (NHWC, what the
pipeline uses) against channels_first (NCHW), at the paper's widths, in one process.

    .venv/bin/python bench/data_layout.py [--batch 256] [--steps 6] [--threads 2]

Each configuration is the paper's encoder (convolutions 128-256-512-1024, kernels 5-3-3-3,
ELU, 2x2 max pooling, global average pooling) with a dense layer on h, trained a step at a
time (``train_on_batch``, Adam, squared error to zero) on random 32x32x5 maps, in float32 and
in Keras' mixed bfloat16. As in ``paper_code_speed.py`` the steps of the configurations are
alternated, so the machine's drift touches them all; the median step is reported. A layout
that the backend cannot run on this device is reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np


def build(layout: str, policy: str):
    import keras
    from keras import layers

    from manga_ssl.ssl.training import TrainingSettings

    paper = TrainingSettings()  # its defaults are the paper's widths and kernels

    shape = (32, 32, 5) if layout == "channels_last" else (5, 32, 32)
    inputs = keras.Input(shape=shape)
    x = inputs
    for k, (filters, size) in enumerate(zip(paper.conv_filters, paper.kernel_sizes)):
        if k:
            x = layers.MaxPooling2D(2, padding="same", data_format=layout, dtype=policy)(x)
        x = layers.Conv2D(filters, size, padding="same", activation="elu", data_format=layout, dtype=policy)(x)
    h = layers.GlobalAveragePooling2D(data_format=layout, dtype="float32")(x)
    out = layers.Dense(64, dtype="float32")(h)
    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from manga_ssl.ssl.device import configure_threads

    configure_threads(args.threads)
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    maps = rng.random((args.batch, 32, 32, 5), dtype=np.float32)
    inputs = {"channels_last": maps, "channels_first": np.ascontiguousarray(maps.transpose(0, 3, 1, 2))}
    target = np.zeros((args.batch, 64), np.float32)

    configs, models, times = [], {}, {}
    for layout in ("channels_last", "channels_first"):
        for policy in ("float32", "mixed_bfloat16"):
            name = f"{layout}, {policy}"
            try:
                model = build(layout, policy)
                model.train_on_batch(inputs[layout], target)  # compile and warm up
            except Exception as err:  # noqa: BLE001 - a layout the device cannot run is a result
                print(f"{name}: not runnable here ({type(err).__name__}: {str(err).splitlines()[0][:160]})")
                continue
            configs.append(name)
            models[name] = (model, layout)
            times[name] = []
    for step in range(args.steps):
        for name in configs:
            model, layout = models[name]
            t = time.perf_counter()
            model.train_on_batch(inputs[layout], target)
            times[name].append(time.perf_counter() - t)
        print(f"step {step + 1}/{args.steps} done", flush=True)

    rows = {name: args.batch / float(np.median(t)) for name, t in times.items()}
    print(f"\n{platform.processor() or platform.machine()}, batch {args.batch}, {args.threads} threads")
    print("| configuration | galaxies/s (median step) | / channels_last in the same precision |")
    print("|---|---|---|")
    for name, rate in rows.items():
        layout, policy = name.split(", ")
        base = rows.get(f"channels_last, {policy}")
        ratio = f"{rate / base:.2f}" if base else "n/a"
        print(f"| {name} | {rate:.1f} | {ratio} |")
    print(json.dumps({"batch": args.batch, "threads": args.threads, "galaxies_per_s": rows}))


if __name__ == "__main__":
    main()
