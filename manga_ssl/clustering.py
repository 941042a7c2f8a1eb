"""Clustering of the representation space (paper Sections 4.2 and 5.2).

* K-means on the L2-normalised representations (Euclidean and cosine distances
  then agree, as in the contrastive loss), k = 2..15, several K-means seeds per
  training replica;
* cross-run matching: every run's labels are renamed to the reference run's
  (the first replica) with the linear assignment that maximises the overlap;
* agreement score: the fraction of galaxies placed in the same matched group in
  at least 90% of the runs.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def prepare(features: np.ndarray, kind: str) -> np.ndarray:
    """What K-means sees: SimCLR h L2-normalised; PCA-1024 as is; PCA-10 already standardised."""
    if kind == "simclr":
        return l2_normalise(features)
    return np.asarray(features, dtype=np.float32)


def kmeans_labels(x: np.ndarray, k: int, seed: int, n_init: int = 1, max_iter: int = 300) -> np.ndarray:
    """K-means labels (k-means++ initialisation from ``seed``), int8."""
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed, max_iter=max_iter, algorithm="lloyd")
    return km.fit_predict(x).astype(np.int8)


def overlap_matrix(a: np.ndarray, b: np.ndarray, ka: int | None = None, kb: int | None = None) -> np.ndarray:
    """Counts[i, j] of galaxies labelled i in ``a`` and j in ``b``."""
    ka = int(a.max()) + 1 if ka is None else ka
    kb = int(b.max()) + 1 if kb is None else kb
    counts = np.zeros((ka, kb), dtype=np.int64)
    np.add.at(counts, (a.astype(np.int64), b.astype(np.int64)), 1)
    return counts


def match_labels(labels: np.ndarray, reference: np.ndarray, k: int) -> np.ndarray:
    """Rename ``labels`` so that as many galaxies as possible share the reference's label."""
    counts = overlap_matrix(labels, reference, k, k)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    mapping = np.empty(k, dtype=np.int8)
    mapping[rows] = cols
    return mapping[labels.astype(np.int64)]


def agreement_score(matched: np.ndarray, threshold: float = 0.9) -> tuple[float, np.ndarray]:
    """(score, per-galaxy consensus label) of matched labels (runs, N).

    A galaxy agrees when its most frequent matched label holds in at least
    ``threshold`` of the runs.
    """
    runs, n = matched.shape
    k = int(matched.max()) + 1
    votes = np.zeros((k, n), dtype=np.int64)
    for row in matched:
        votes[row, np.arange(n)] += 1
    consensus = votes.argmax(axis=0).astype(np.int8)
    agree = votes.max(axis=0) >= np.ceil(threshold * runs - 1e-9)
    return float(agree.mean()), consensus


def order_by(labels: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Relabel clusters 0..k-1 by increasing median of ``values`` (a stable, physical naming)."""
    med = np.array([np.nanmedian(values[labels == c]) if np.any(labels == c) else np.inf for c in range(k)])
    rank = np.empty(k, dtype=np.int8)
    rank[np.argsort(med, kind="stable")] = np.arange(k)
    return rank[labels.astype(np.int64)]
