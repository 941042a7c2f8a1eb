"""What a run's k-division is, against the mock survey's truth: the true populations in each
cluster, the true parameters that set the clusters apart, and whether the representation
holds the slow / fast rotator split among the early types even where K-means does not
follow it (the truth table's cross-validated linear probe, beside the true parameters' own).

    .venv/bin/python bench/division_anatomy.py --run results/mock-seed3 \
        --truth resources/mock-seed3/mock/truth.parquet \
        --representation simclr-relative-all+footprint --k 3

Prints Markdown tables (docs/science.md, section 18).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from manga_ssl.mock.validation import slow_fast_accuracy, slow_fast_majority

# the true parameters shown per cluster: the physics the populations differ in, and the
# instrument / selection the division should not follow
PARAMETERS = (
    "log_mass",
    "log_sfr",
    "age_re",
    "zh_re",
    "sigma_cen_true",
    "lambda_re_true",
    "re_kpc",
    "inclination_deg",
    "z",
    "n_fibres",
)


def composition(labels: pd.DataFrame, truth: pd.DataFrame, k: int) -> pd.DataFrame:
    """Galaxies of each true population (rows) in each cluster (columns) at ``k``, averaged
    over the replicas and K-means seeds (the labels are matched across them)."""
    sub = labels[labels["k"] == k].merge(truth[["plateifu", "population"]], on="plateifu")
    counts = sub.groupby(["replica", "kmeans_seed", "population", "label"], observed=True).size()
    runs = sub.groupby(["replica", "kmeans_seed"], observed=True).ngroups
    table = counts.groupby(["population", "label"], observed=True).sum().unstack(fill_value=0) / runs
    return table.rename_axis(index="population", columns="cluster")


def cluster_medians(labels: pd.DataFrame, truth: pd.DataFrame, k: int, replica: int = 0) -> pd.DataFrame:
    """Median true parameters of each cluster at ``k`` (one replica, K-means seed 0)."""
    sub = labels[(labels["k"] == k) & (labels["replica"] == replica) & (labels["kmeans_seed"] == 0)]
    cols = [c for c in PARAMETERS if c in truth]
    merged = sub[["plateifu", "label"]].merge(truth[["plateifu", *cols]], on="plateifu")
    return merged.groupby("label")[cols].median().T.rename_axis(index="true parameter", columns="cluster")


def early_type_probe(features: np.ndarray, population: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """The truth table's slow / fast rotator probe (``mock.validation.slow_fast_accuracy``)
    and its floor, the majority class's share among the early types."""
    return slow_fast_accuracy(features, population, seed), slow_fast_majority(population)


def true_physics(truth: pd.DataFrame) -> np.ndarray:
    """The four true parameters of the K-means ceiling (docs/science.md, section 17), standardised."""
    x = np.column_stack([np.log10(truth["sigma_cen_true"]), truth["lambda_re_true"], truth["age_re"], truth["zh_re"]])
    return (x - x.mean(axis=0)) / x.std(axis=0)


def main(argv=None) -> None:
    from manga_ssl.ssl.representations import read_representation

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", type=Path, required=True, help="a finished run, e.g. results/demo")
    ap.add_argument("--truth", type=Path, required=True, help="the mock survey's truth.parquet")
    ap.add_argument("--representation", action="append", required=True, help="e.g. simclr-relative-all")
    ap.add_argument("--k", type=int, default=3)
    args = ap.parse_args(argv)

    truth = pd.read_parquet(args.truth)
    by_id = truth.set_index("plateifu")
    pd.set_option("display.width", 200)
    accuracy, floor = early_type_probe(true_physics(truth), truth["population"].to_numpy())
    print(f"slow vs fast rotators among the early types: majority {floor:.3f}; true parameters {accuracy:.3f}")
    for name in args.representation:
        labels = pd.read_parquet(args.run / "clusters" / name / "labels.parquet")
        print(f"\n## {name}, k={args.k}\n")
        print(composition(labels, truth, args.k).round(1).to_markdown())
        print()
        print(cluster_medians(labels, truth, args.k).round(2).to_markdown())
        tables = sorted((args.run / "embeddings").glob(f"{name}-seed*.parquet")) or [
            args.run / "embeddings" / f"{name}.parquet"
        ]
        scores = []
        for table in tables:
            plateifu, features, _ = read_representation(table)
            population = by_id.loc[plateifu.astype(str), "population"].to_numpy()
            scores.append(early_type_probe(features, population)[0])
        print(
            f"\nslow vs fast rotators among the early types, linear probe: "
            f"{np.mean(scores):.3f} ± {np.std(scores):.3f} over {len(scores)} table(s)"
        )


if __name__ == "__main__":
    main()
