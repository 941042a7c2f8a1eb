"""The encoder's forward pass as ``model.embed`` runs it (``model.forward_pass``: compiled) against
the eager call it made before (docs/benchmarks.md): seconds per pass over a finished run's
survey, one thread as the embed_simclr jobs have, alternating over ``--rounds`` so that the
machine's drift touches both; and the largest difference between the two h.

    .venv/bin/python bench/embed_speed.py --run results/demo --variant individual-all+further_away
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a finished run's results folder")
    ap.add_argument("--variant", default="relative-all", help="<normalisation>-<channels>[+<method>]")
    ap.add_argument("--seed", type=int, default=0, help="which replica's encoder")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=512, help="model.embed's default")
    args = ap.parse_args()

    from manga_ssl.ssl.device import configure_threads

    configure_threads(1)
    import keras

    from manga_ssl.ssl.model import forward_pass
    from manga_ssl.ssl.tensors import load_tensors

    run = Path(args.run)
    maps = load_tensors(run / "tensors" / f"{args.variant.split('-')[0]}.npz")["maps"]
    path = run / "simclr" / args.variant / f"seed{args.seed}" / "encoder.keras"
    encoder = keras.models.load_model(path, compile=False)

    def eager(x) -> np.ndarray:
        return np.concatenate(
            [
                np.asarray(encoder(np.ascontiguousarray(x[i : i + args.batch_size]), training=False))
                for i in range(0, len(x), args.batch_size)
            ]
        )

    ways = {"eager call": eager, "compiled (model.forward_pass)": lambda x: forward_pass(encoder, x, args.batch_size)}
    h = {name: forward(maps) for name, forward in ways.items()}  # also traces the compiled one
    seconds = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, forward in ways.items():
            t0 = time.perf_counter()
            forward(maps)
            seconds[name].append(time.perf_counter() - t0)
    print(f"{args.variant} seed {args.seed}: {len(maps)} galaxies, batch {args.batch_size}, 1 thread")
    for name, s in seconds.items():
        print(f"  {name:28s} {np.median(s):.3f} s per pass (median of {len(s)}; {min(s):.3f}-{max(s):.3f})")
    a, b = h.values()
    print(f"  largest |h difference| {np.abs(a - b).max():.2e} (largest |h| {np.abs(a).max():.2f})")


if __name__ == "__main__":
    main()
