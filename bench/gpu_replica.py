"""Time of one paper-scale SimCLR replica on an accelerator (docs/benchmarks.md).

Needs only keras, numpy and a backend; written for a GPU machine with JAX and
no TensorFlow:

    KERAS_BACKEND=jax python bench/gpu_replica.py --epochs 20

9507 synthetic 32x32x5 galaxies (the speed does not depend on the values),
batch 1024, the paper's widths. Reports the wall time of the first epoch
(compilation included), the steady rate, and the projected time of 500 epochs.
XLA is always on under JAX; --precision bfloat16 runs the convolutions in
bfloat16 (float32 weights, head and loss: simclr.precision of the pipeline,
whose 'auto' picks bfloat16 on any accelerator).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--galaxies", type=int, default=9507)
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--paper-epochs", type=int, default=500)
    p.add_argument("--steps-per-execution", type=int, default=9)
    p.add_argument("--precision", default="bfloat16", choices=["float32", "bfloat16"])
    args = p.parse_args()

    import keras

    from manga_ssl.ssl.training import TrainingSettings, build_simclr, make_optimizer, step_inputs

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    maps = rng.random((args.galaxies, 32, 32, 5), dtype=np.float32)
    tensors = {"maps": maps, "sigma": np.full_like(maps, 0.1), "model_variation": maps[::-1].copy()}
    settings = TrainingSettings(
        batch_size=args.batch,
        epochs=args.paper_epochs,
        steps_per_execution=args.steps_per_execution,
        precision=args.precision,
    )
    steps = args.galaxies // args.batch
    model = build_simclr(tensors, settings, seed=0)
    model.compile(
        optimizer=make_optimizer(settings, steps), steps_per_execution=args.steps_per_execution, jit_compile=True
    )
    times, losses = [], []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            losses.append(float(logs["loss"]))  # forces the device to finish the epoch
            times.append(time.perf_counter() - self.t0)

    model.fit(**step_inputs(steps), epochs=args.epochs, shuffle=False, verbose=0, callbacks=[Clock()])
    steady = float(np.median(times[1:])) if len(times) > 1 else times[0]
    print(
        f"backend {keras.backend.backend()}, precision {args.precision}, devices "
        f"{getattr(keras.distribution, 'list_devices', lambda: ['?'])()}"
    )
    print(f"first epoch (compilation included): {times[0]:.2f} s")
    print(f"steady epoch: {steady * 1000:.1f} ms = {steps * args.batch / steady:.0f} galaxies/s")
    print(f"projected {args.paper_epochs} epochs: {(times[0] + steady * (args.paper_epochs - 1)) / 60:.2f} min")
    print("loss per epoch:", " ".join(f"{x:.3f}" for x in losses))


if __name__ == "__main__":
    main()
