"""Which non-physical parameter makes a division's ΔAcc non-phys given phys (Table 1's
conditional test, beyond the paper)? For each division of a finished run, each cluster's
conditional test is repeated with each non-physical parameter alone added to the physical
ones, and with each one left out (``manga_ssl.analysis.bias.gain_by_parameter``), on the
divisions, samples and splits that Table 1's bias regression drew (the replicas and K-means
seeds of the run's ``bias/<representation>/accuracy.csv``, the same seeds). Reported: the
mean over the divisions of the largest gain among the clusters, as Table 1's column, with
all the parameters, with each alone, and what leaving each out loses (docs/science.md
section 27).

    .venv/bin/python bench/bias_attribution.py --run results/mock-seed7 \\
        --representation simclr-individual-all+further_away:2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from manga_ssl.analysis import bias


def attribution(
    labels: pd.DataFrame, catalogue: pd.DataFrame, k: int, divisions, seed: int = 0, fit: str = "least_squares"
) -> dict:
    """Per non-physical parameter: the mean over ``divisions`` ((replica, K-means seed) pairs)
    of the largest gain among the clusters with that parameter alone (``alone``) and the loss
    when it is left out (``unique``), beside the gain with all of them (``all``), in points."""
    pairs = pd.MultiIndex.from_frame(labels[["replica", "kmeans_seed"]]).isin(list(divisions))
    wanted = labels[(labels["k"] == k) & pairs]
    order = wanted["plateifu"].astype(str).drop_duplicates().to_numpy()
    cat = bias.derived_columns(catalogue).set_index("plateifu").loc[order]
    non_physical, _, given, _ = bias.parameter_sets(cat)  # the bias regression's own parameters
    total, alone, unique = [], [], []
    for (replica, kmeans_seed), sub in wanted.groupby(["replica", "kmeans_seed"], sort=True):
        assert np.array_equal(sub["plateifu"].astype(str).to_numpy(), order)
        per_cluster = [
            bias.gain_by_parameter(
                sub["label"].to_numpy() == c, given, non_physical, [seed, int(replica), int(kmeans_seed), c], fit=fit
            )
            for c in range(k)
        ]
        total.append(max(g["all"] for g in per_cluster))
        alone.append(np.max([g["alone"] for g in per_cluster], axis=0))
        unique.append(np.max([g["unique"] for g in per_cluster], axis=0))
    names = list(bias.NON_PHYSICAL)
    return {
        "divisions": len(total),
        "all": round(100 * float(np.mean(total)), 1),
        "alone": dict(zip(names, np.round(100 * np.mean(alone, axis=0), 1).tolist())),
        "unique": dict(zip(names, np.round(100 * np.mean(unique, axis=0), 1).tolist())),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a finished run's results folder")
    ap.add_argument("--representation", action="append", required=True, help="NAME:K, e.g. simclr-relative-all:3")
    ap.add_argument("--seed", type=int, default=0, help="analysis.bias_seed of the run")
    ap.add_argument("--fit", default="least_squares", help="analysis.bias_fit of the run")
    ap.add_argument("--out", default=None, help="JSON lines (default: <run>/bias_attribution.jsonl)")
    args = ap.parse_args()

    run = Path(args.run)
    catalogue = pd.read_parquet(run / "preprocess" / "catalogue.parquet")
    rows = []
    for spec in args.representation:
        name, k = spec.rsplit(":", 1)
        labels = pd.read_parquet(run / "clusters" / name / "labels.parquet")
        table1 = pd.read_csv(run / "bias" / name / "accuracy.csv")
        table1 = table1[table1["k"] == int(k)]
        divisions = zip(table1["replica"], table1["kmeans_seed"])
        row = {"run": str(run), "representation": name, "k": int(k)}
        row |= attribution(labels, catalogue, int(k), divisions, args.seed, args.fit)
        rows.append(row)
        print(
            f"{name} k={k}: ΔAcc non-phys given phys {row['all']} points over {row['divisions']} divisions "
            f"(Table 1: {100 * table1['acc_gain_nonphys'].mean():.1f})"
        )
        for p, label in bias.NON_PHYSICAL.items():
            print(f"  {label:>14s}: alone {row['alone'][p]:5.1f}, left out loses {row['unique'][p]:5.1f}", flush=True)
    out = Path(args.out) if args.out else run / "bias_attribution.jsonl"
    with open(out, "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    print(f"written {out}")


if __name__ == "__main__":
    main()
