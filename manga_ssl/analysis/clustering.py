"""Clustering of the representation space (paper Sections 4.2 and 5.2).

* K-means on the L2-normalised representations (Euclidean and cosine distances
  then agree, as in the contrastive loss), k = 2..15, several K-means seeds per
  training replica, each the best of ten k-means++ starts (scikit-learn's default
  when the paper was written);
* cross-run matching: every run's labels are renamed to the reference run's
  (the first replica) with the linear assignment that maximises the overlap;
* agreement score: the fraction of galaxies placed in the same matched group in
  at least 90% of the runs.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

#: k-means++ starts per K-means seed, the lowest-inertia partition kept: scikit-learn's
#: default when the paper was written (config analysis.kmeans_n_init)
PAPER_N_INIT = 10


def l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def prepare(features: np.ndarray, kind: str) -> np.ndarray:
    """What K-means sees: SimCLR h L2-normalised; PCA-1024 as is; PCA-10 already standardised."""
    if kind == "simclr":
        return l2_normalise(features)
    return np.asarray(features, dtype=np.float32)


def leading_axes(x: np.ndarray, m: int) -> np.ndarray:
    """(N, m) coordinates of ``x`` on its m principal axes of largest variance."""
    from scipy.linalg import eigh

    centred = np.asarray(x - x.mean(axis=0), dtype=np.float32)
    d = centred.shape[1]
    m = min(m, d)
    _, axes = eigh((centred.T @ centred).astype(np.float64), subset_by_index=[d - m, d - 1])
    return np.ascontiguousarray(centred @ axes[:, ::-1].astype(np.float32))


def kmeans_labels(
    x: np.ndarray, k: int, seed: int, n_init: int = PAPER_N_INIT, max_iter: int = 300, start: np.ndarray | None = None
) -> np.ndarray:
    """K-means labels (k-means++ initialisation from ``seed``), int8: the lowest-inertia
    partition of ``n_init`` starts.

    With ``start``, the same galaxies on a few leading principal axes
    (:func:`leading_axes`), k-means++ and Lloyd first run there; Lloyd then
    goes on from those clusters' centroids in the full space until no galaxy
    changes cluster; of the ``n_init`` starts, only the one of lowest inertia on
    the leading axes goes on. The result is a converged K-means partition of the
    full representation, as with a plain start, reached in a few full-space
    iterations instead of ~100 (docs/benchmarks.md).
    """
    from sklearn.cluster import KMeans

    x = np.asarray(x, dtype=np.float32)
    if start is not None and start.shape[1] < x.shape[1]:
        coarse = KMeans(n_clusters=k, n_init=n_init, random_state=seed, max_iter=max_iter, algorithm="lloyd")
        return lloyd(x, centroids(x, coarse.fit_predict(start), k), max_iter).astype(np.int8)
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed, max_iter=max_iter, algorithm="lloyd")
    return km.fit_predict(x).astype(np.int8)


def lloyd(x: np.ndarray, centres: np.ndarray, max_iter: int = 300) -> np.ndarray:
    """Lloyd's iterations from ``centres`` until no point changes cluster; the labels.

    Hamerly's bounds (an upper bound on each point's distance to its centre, a
    lower bound on its distance to the second nearest) skip the points that
    cannot change cluster, so an iteration that moves a handful of galaxies
    costs a handful of distance rows instead of N x k: the labels of the plain
    iteration (tested) for about one full distance product. An emptied cluster
    restarts at the point farthest from its centre.
    """
    x = np.asarray(x, dtype=np.float32)
    n, k = len(x), len(centres)
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    x_sq = np.einsum("ij,ij->i", x, x)

    def nearest_two(rows, c):
        d2 = x_sq[rows, None] - 2 * (x[rows] @ c.T) + np.einsum("ij,ij->i", c, c)[None, :]
        d = np.sqrt(np.maximum(d2, 0))
        two = np.partition(d, 1, axis=1)[:, :2]
        return d.argmin(axis=1), two[:, 0], two[:, 1]

    def assign_all(c):
        labels, upper, lower = nearest_two(np.arange(n), c)
        return labels, upper, lower, cluster_sums(x, labels, k).astype(np.float64)

    centres = np.array(centres, dtype=np.float32)
    labels, upper, lower, sums = assign_all(centres)
    for _ in range(max_iter):
        counts = np.bincount(labels, minlength=k)
        if (counts == 0).any():
            for c in np.flatnonzero(counts == 0):
                far = int(upper.argmax())
                labels[far], upper[far] = c, -np.inf
            centres = centroids(x, labels, k)
            labels, upper, lower, sums = assign_all(centres)
            continue
        moved_centres = (sums / counts[:, None]).astype(np.float32)
        shift = np.linalg.norm(moved_centres - centres, axis=1)
        centres = moved_centres
        upper += shift[labels]
        lower -= shift.max()
        between = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
        np.fill_diagonal(between, np.inf)
        half_gap = 0.5 * between.min(axis=1)
        suspect = np.flatnonzero(upper > np.maximum(lower, half_gap[labels]))
        if not len(suspect):
            break  # no point can change cluster: a fixed point of Lloyd's iteration
        new, upper[suspect], lower[suspect] = nearest_two(suspect, centres)
        changed = new != labels[suspect]
        if not changed.any():
            break
        moved = suspect[changed]
        np.subtract.at(sums, labels[moved], x[moved])
        labels[moved] = new[changed]
        np.add.at(sums, labels[moved], x[moved])
    return labels


def cluster_sums(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(k, D) sum of each cluster's members (one matrix product with the one-hot labels)."""
    one_hot = np.zeros((len(labels), k), dtype=x.dtype)
    one_hot[np.arange(len(labels)), labels] = 1
    return one_hot.T @ x


def centroids(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(k, D) mean of each cluster's members (zeros for an empty cluster)."""
    counts = np.bincount(labels, minlength=k)
    return cluster_sums(x, labels, k) / np.maximum(counts, 1)[:, None].astype(x.dtype)


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


def matched_to(reference: np.ndarray, others, k: int) -> np.ndarray:
    """(runs, N): the reference's labels, then every other run's renamed to match them."""
    return np.stack([reference] + [match_labels(labels, reference, k) for labels in others])


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


def replica_aris(matched: np.ndarray, threshold: float = 0.9) -> np.ndarray:
    """(runs,) ARI of each run's labels against the consensus of the other runs.

    Beyond the paper: the agreement score says how many galaxies keep their cluster, not
    whether one replica's partition differs from the others' altogether (docs/science.md
    section 34); a replica whose ARI here is far below the others' is such a one."""
    from sklearn.metrics import adjusted_rand_score

    runs = len(matched)
    if runs < 3:
        return np.full(runs, np.nan)
    return np.array(
        [
            adjusted_rand_score(agreement_score(np.delete(matched, i, axis=0), threshold)[1], matched[i])
            for i in range(runs)
        ]
    )


CLUSTER_NAMING = (
    "named as in the paper: for k >= 3 the cluster of lowest median lambda_Re (the slow "
    "rotators) last, the others by decreasing median light-weighted age at Re; numbers for "
    "the relative norm, letters for the individual norm"
)


def lettered(normalisation: str) -> bool:
    """The paper names the individual norm's clusters A, B, ... and the relative norm's 1, 2, ..."""
    return normalisation == "individual"


def cluster_name(c: int, letters: bool = False) -> str:
    """Cluster ``c`` (0-based) as the paper writes it: '1', '2', ... or 'A', 'B', ..."""
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[c] if letters else str(c + 1)


def paper_order(labels: np.ndarray, k: int, lambda_re: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Relabel clusters 0..k-1 by the paper's naming (Sections 5.1-5.2).

    For k >= 3 the cluster of lowest median lambda_Re (the slow rotators) takes the last
    number; the others are numbered by decreasing median light-weighted age at Re (old
    first). The paper's relative-norm clusters then come out as 1 = quenched fast rotators,
    2 = star-forming discs, 3 = massive slow rotators, and its individual-norm ones as
    A = early types, B = late types. A median that cannot be computed (no finite value)
    sorts last, ties keep the K-means order: the naming is deterministic for any k.
    """
    labels = np.asarray(labels, dtype=np.int64)

    def median(values, c):
        v = np.asarray(values, dtype=np.float64)[labels == c]
        v = v[np.isfinite(v)]
        return float(np.median(v)) if len(v) else np.nan

    clusters = list(range(k))
    last = []
    if k >= 3:
        lam = np.array([median(lambda_re, c) for c in clusters])
        if np.isfinite(lam).any():
            last = [int(np.nanargmin(lam))]
            clusters.remove(last[0])
    ages = np.array([median(age, c) for c in clusters])
    # decreasing age; NaN last; stable among ties
    key = np.where(np.isfinite(ages), -ages, np.inf)
    order = [clusters[i] for i in np.argsort(key, kind="stable")] + last
    rank = np.empty(k, dtype=np.int8)
    rank[order] = np.arange(k)
    return rank[labels]


def nearest_to_centroids(features: np.ndarray, labels: np.ndarray, k: int, n: int = 5) -> dict:
    """{cluster: indices of the n galaxies nearest its centroid} in the L2-normalised space."""
    x = l2_normalise(features)
    out = {}
    for c in range(k):
        idx = np.flatnonzero(labels == c)
        centre = x[idx].mean(axis=0)
        out[c] = idx[np.argsort(np.linalg.norm(x[idx] - centre, axis=1))[:n]]
    return out
