"""The bias regression with the paper's least squares and with the logistic fit, side by side,
on a finished run's K-means labels (docs/science.md):

    .venv/bin/python bench/bias_fits.py results/demo simclr-relative-all pca1024-relative --k 2 3
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", help="a finished run's results folder")
    ap.add_argument("representations", nargs="+")
    ap.add_argument("--k", nargs="+", type=int, default=[2, 3])
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--kmeans-seeds", type=int, default=5)
    args = ap.parse_args()

    from manga_ssl.analysis.bias_regression import bias_table

    run = Path(args.run)
    catalogue = pd.read_parquet(run / "preprocess" / "catalogue.parquet")
    print(
        "| representation | k | fit | Acc_max Non-phys | Acc_mean Phys | ΔAcc Non-phys given Phys | "
        "Acc_max Non-phys, angles as axes |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in args.representations:
        labels = pd.read_parquet(run / "clusters" / name / "labels.parquet")
        replicas = sorted(labels["replica"].unique())[: args.replicas]
        seeds = sorted(labels["kmeans_seed"].unique())[: args.kmeans_seeds]
        for fit in ("least_squares", "logistic"):
            acc, _ = bias_table(labels, catalogue, args.k, replicas, seeds, 0, fit)
            for k, g in acc.groupby("k"):
                cells = [
                    f"{100 * g[c].mean():.1f} ± {100 * g[c].std():.1f}"
                    for c in ("acc_max_nonphys", "acc_mean_phys", "acc_gain_nonphys", "acc_max_nonphys_oriented")
                ]
                print(f"| {name} | {k} | {fit} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
