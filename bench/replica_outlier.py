"""What sets a replica apart when a three-replica draw of a division fails (docs/science.md
section 34). From a finished mock run with several replicas: each replica's ARI against the
true populations and against the consensus of the other replicas (the pipeline's own K-means
labels, K-means seed 0), its cluster sizes against the true populations, the inertia of its
own partition and of the consensus partition in its h (L2-normalised, as K-means sees it),
the share of its variance on the leading principal axes, and the mean three-replica
agreement of the subsets with and without it. With --geometries, the same K-means (seed 0,
the paper's ten starts) in other spaces made from each replica's h, to see whether the
outlier is a matter of the space K-means is given (docs/science.md section 35).

    .venv/bin/python bench/replica_outlier.py --run results/s3-ten --truth resources/s3-ten/mock/truth.parquet \
        --representation simclr-relative-all+erased --k 3 [--geometries]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
from replica_count import replica_labels, subset_agreements  # bench/ is the script's folder
from sklearn.metrics import adjusted_rand_score

from manga_ssl.analysis.clustering import (
    PAPER_N_INIT,
    agreement_score,
    centroids,
    kmeans_labels,
    l2_normalise,
    matched_to,
    replica_aris,
)


def inertia(x: np.ndarray, labels: np.ndarray, k: int) -> float:
    return float(((x - centroids(x, labels, k)[labels]) ** 2).sum())


def geometries(h: np.ndarray) -> dict[str, np.ndarray]:
    """Spaces K-means could be given instead of the pipeline's L2-normalised h: h as it is,
    h centred before the normalisation, and the normalised h's leading principal axes, as
    they are and each standardised (the paper's treatment of PCA-10)."""
    x = l2_normalise(h)
    centred = x - x.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    spaces = {
        "L2-normalised (the pipeline's)": x,
        "as it is": h,
        "centred, then L2-normalised": l2_normalise(h - h.mean(0)),
    }
    for m in (2, 3, 10):
        lead = centred @ axes[:m].T
        spaces[f"{m} leading axes"] = lead
        spaces[f"{m} leading axes, standardised"] = lead / lead.std(axis=0)
    return spaces


def compare_geometries(features: list[np.ndarray], population: np.ndarray, k: int) -> None:
    """Per space: the ten-replica agreement, the three-replica draws at or above 85%, the
    replicas' ARI against the truth and the least agreeing replica's ARI against the others."""
    spaces = [geometries(h) for h in features]
    for name in spaces[0]:
        labels = np.array([kmeans_labels(s[name], k, 0, PAPER_N_INIT) for s in spaces], dtype=np.int64)
        labels = matched_to(labels[0], labels[1:], k)
        triples = subset_agreements(labels, k, 3)
        truth = [adjusted_rand_score(population, lab) for lab in labels]
        others = replica_aris(labels)
        print(
            f"{name:32s} all replicas {100 * agreement_score(labels)[0]:5.1f}%; three-replica draws >= 85%: "
            f"{100 * np.mean(triples >= 0.85):3.0f}% (mean {100 * triples.mean():.1f}%); ARI truth mean "
            f"{np.mean(truth):.2f}, min {np.min(truth):.2f}; least agreeing replica's ARI {others.min():.2f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--truth", type=Path, required=True, help="the mock survey's truth.parquet")
    ap.add_argument("--representation", default="simclr-relative-all+erased")
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--geometries", action="store_true", help="also cluster each replica in other spaces made from h")
    args = ap.parse_args()
    name, k = args.representation, args.k

    frame = pd.read_parquet(args.run / "clusters" / name / "labels.parquet")
    replicas, labels = replica_labels(frame, k, int(frame["kmeans_seed"].min()))
    galaxies = np.sort(frame["plateifu"].unique())  # replica_labels' galaxy order
    population = pd.read_parquet(args.truth).set_index("plateifu").loc[galaxies, "population"].to_numpy()

    consensus = agreement_score(matched_to(labels[0], labels[1:], k))[1].astype(np.int64)
    against_others = replica_aris(labels)
    subsets = list(itertools.combinations(range(len(replicas)), 3))
    triples = dict(zip(subsets, subset_agreements(labels, k, 3)))
    print(
        f"{name}, k={k}: {len(replicas)} replicas; their consensus ARI against the truth "
        f"{adjusted_rand_score(population, consensus):.2f}"
    )
    features = []
    for i, replica in enumerate(replicas):
        table = args.run / "embeddings" / f"{name}-seed{replica}.parquet"
        h = pd.read_parquet(table).set_index("plateifu").loc[galaxies].to_numpy()
        features.append(h)
        x = l2_normalise(h)
        centred = x - x.mean(axis=0)
        variance = np.linalg.svd(centred, compute_uv=False) ** 2
        own, shared = inertia(x, labels[i], k), inertia(x, consensus, k)
        within = [v for s, v in triples.items() if i in s]
        without = [v for s, v in triples.items() if i not in s]
        print(
            f"replica {replica}: ARI truth {adjusted_rand_score(population, labels[i]):.2f}, others' consensus "
            f"{against_others[i]:.2f}; inertia {own:.1f}, consensus partition's {shared:.1f} "
            f"(+{100 * (shared / own - 1):.1f}%); variance on axes 1-3 "
            f"{', '.join(f'{v:.2f}' for v in variance[:3] / variance.sum())}; three-replica agreement "
            f"{100 * np.mean(within):.1f}% with it, {100 * np.mean(without):.1f}% without"
        )
        print("   ", pd.crosstab(population, labels[i]).to_dict("index"))
    if args.geometries:
        print(f"K-means seed 0, the paper's {PAPER_N_INIT} starts, in other spaces made from each replica's h:")
        compare_geometries(features, population, k)


if __name__ == "__main__":
    main()
