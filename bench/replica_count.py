"""How much does the agreement score depend on how many replicas are trained, and on which?
(docs/science.md section 24.) The paper trains ten replicas and counts a galaxy as agreeing
when it keeps its cluster in at least 90% of them (nine of ten); the demo trains three, where
that threshold asks all three. From a run with ten replicas, this scores every subset of m of
them (the subset's first replica the reference, each other replica's labels re-matched to it
with the linear assignment, as the pipeline does) for each K-means seed, and reports the
mean, the range, the fraction of subsets at or above the paper's 85% and the score of the
first m replicas (what a run that trains m of them reports).

    .venv/bin/python bench/replica_count.py --run results/mock-seed11 \
        --representation simclr-relative-all+erased:3 --representation simclr-individual-all+further_away:2
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd

from manga_ssl.analysis.clustering import agreement_score, matched_to


def subset_agreements(labels: np.ndarray, k: int, m: int, threshold: float = 0.9) -> np.ndarray:
    """Agreement score of every subset of ``m`` of the rows of ``labels`` (replicas, N),
    each subset's labels matched to its first replica."""
    scores = []
    for subset in itertools.combinations(range(len(labels)), m):
        matched = matched_to(labels[subset[0]], labels[list(subset[1:])], k)
        scores.append(agreement_score(matched, threshold)[0])
    return np.asarray(scores)


def replica_labels(frame: pd.DataFrame, k: int, seed: int) -> tuple[list[int], np.ndarray]:
    """(replica ids, labels (replicas, N)) of one k and K-means seed, galaxies in one order."""
    one = frame[(frame["k"] == k) & (frame["kmeans_seed"] == seed)]
    wide = one.pivot(index="plateifu", columns="replica", values="label").sort_index(axis=1)
    if wide.isna().any().any():
        raise ValueError(f"k={k}, K-means seed {seed}: not every replica labels every galaxy")
    return [int(r) for r in wide.columns], wide.to_numpy(dtype=np.int64).T


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a finished run's results folder")
    ap.add_argument(
        "--representation", action="append", required=True, help="NAME:K, e.g. simclr-relative-all+erased:3"
    )
    ap.add_argument("--sizes", default="3,5,10", help="subset sizes m")
    ap.add_argument("--threshold", type=float, default=0.9, help="the paper's share of replicas")
    ap.add_argument("--out", default=None, help="JSON lines (default: <run>/replica_count.jsonl)")
    args = ap.parse_args()

    run = Path(args.run)
    out = Path(args.out) if args.out else run / "replica_count.jsonl"
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for spec in args.representation:
        name, k = spec.rsplit(":", 1)
        k = int(k)
        frame = pd.read_parquet(run / "clusters" / name / "labels.parquet")
        # (replicas, N) labels of each K-means seed, reshaped once for every subset size
        per_seed = [replica_labels(frame, k, int(seed))[1] for seed in sorted(frame["kmeans_seed"].unique())]
        replicas = len(per_seed[0])
        for m in sizes:
            if m > replicas:
                raise SystemExit(f"{name}: {replicas} replicas, cannot score subsets of {m}")
            scores = np.stack([subset_agreements(labels, k, m, args.threshold) for labels in per_seed])
            # scores: (K-means seeds, subsets)
            by_subset = scores.mean(axis=0)  # each subset's score, averaged over the K-means seeds
            row = {
                "run": str(run),
                "representation": name,
                "k": k,
                "replicas": replicas,
                "m": m,
                "subsets": int(scores.shape[1]),
                "agreement_mean": round(100 * float(by_subset.mean()), 2),
                "agreement_min": round(100 * float(by_subset.min()), 2),
                "agreement_max": round(100 * float(by_subset.max()), 2),
                "share_at_least_85": round(float((by_subset >= 0.85).mean()), 3),
                # the subsets come in lexicographic order: the first is the first m replicas,
                # the seeds a run that trains m replicas trains (the demo's three)
                "agreement_first": round(100 * float(by_subset[0]), 2),
            }
            rows.append(row)
            print(
                f"{name} k={k} m={m:2d} ({row['subsets']:3d} subsets): agreement {row['agreement_mean']:5.1f}% "
                f"[{row['agreement_min']:.1f}, {row['agreement_max']:.1f}], >= 85% in {row['share_at_least_85']:.0%}; "
                f"the first {m} replicas {row['agreement_first']:.1f}%",
                flush=True,
            )
    with open(out, "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    print(f"written {out}")


if __name__ == "__main__":
    main()
