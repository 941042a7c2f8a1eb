"""h averaged over augmented copies of each galaxy, not only over its rotations and flips
(``simclr.augmented_views``, beyond the paper; docs/science.md section 38), from a finished
run's encoders, without rerunning the workflow.

For each replica of a SimCLR variant, h of every galaxy as ``model.embed`` computes it with
``augmented_views`` copies drawn with the training's augmentations (the paper's, with
``--set`` overrides, e.g. ``p_redshift=0.5`` for ``further_away``) from the replica's seed,
each seen in its eight rotations and flips. Saved as an NPZ that
``bench/erasure_study.py --saved`` scores (keys ``plateifu`` and ``h``):

    .venv/bin/python bench/view_average_study.py --run results/demo --variant individual-all+further_away \\
        --views 4 --set p_redshift=0.5 --out /tmp/views4.npz
    .venv/bin/python bench/erasure_study.py --run results/demo --truth resources/demo/mock/truth.parquet \\
        --saved /tmp/views4.npz --representation simclr-individual-all+further_away --label views4

``--views 0``: the dihedral average alone (the reference); ``--no-dihedral``: each copy seen in
the random rotation or flip it was drawn with, not in all eight.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np


def main() -> None:
    import keras

    from manga_ssl.ssl.augmentations import AugmentationSettings
    from manga_ssl.ssl.model import embed
    from manga_ssl.ssl.tensors import load_tensors

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a finished run's results folder")
    ap.add_argument("--variant", default="relative-all", help="<normalisation>-<channels>[+<method>]")
    ap.add_argument("--views", type=int, default=4, help="augmented copies per galaxy (each seen 8 ways)")
    ap.add_argument("--set", action="append", default=[], help="an augmentation probability, e.g. p_redshift=0.5")
    ap.add_argument(
        "--no-dihedral", action="store_true", help="each copy in one random rotation or flip, not in all eight"
    )
    ap.add_argument("--out", required=True, help="the NPZ to write")
    args = ap.parse_args()

    run = Path(args.run)
    tensors = load_tensors(run / "tensors" / f"{args.variant.split('-')[0]}.npz")
    settings = AugmentationSettings.from_config({k: float(v) for k, v in (s.split("=", 1) for s in args.set)})
    hs = []
    for path in sorted((run / "simclr" / args.variant).glob("seed*/encoder.keras")):
        t0, seed = time.perf_counter(), int(re.fullmatch(r"seed(\d+)", path.parent.name)[1])
        encoder = keras.models.load_model(path, compile=False)
        h = embed(
            encoder,
            tensors["maps"],
            dihedral_average=not args.no_dihedral,
            augmented_views=args.views,
            augmentations=settings,
            sigma=tensors["sigma"],
            model_variation=tensors["model_variation"],
            seed=seed,
        )
        hs.append(h)
        print(f"{path}: {args.views} copies, {time.perf_counter() - t0:.0f} s", flush=True)
    np.savez(args.out, plateifu=tensors["plateifu"], h=np.stack(hs))


if __name__ == "__main__":
    main()
