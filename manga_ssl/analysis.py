"""The analysis of Sections 4.2, 5.2 and the appendix, over sets of representation tables.

One K-means fit per (replica, k, K-means seed) serves every table: the labels
are written once (matched to the reference replica) and the agreement score,
the bias regression, the cluster overlaps and the figures all read them.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from . import bias, clustering
from .representations import read_representation

log = logging.getLogger(__name__)

LABEL_COLUMNS = ["plateifu", "k", "replica", "kmeans_seed", "label"]


def load_replicas(paths) -> tuple[np.ndarray, list[np.ndarray], list[dict]]:
    """(plateifu, [features per replica], [descriptions]); every table in the first one's order."""
    plateifu, first, meta = read_representation(paths[0])
    features, metas = [first], [meta]
    for path in paths[1:]:
        ids, f, m = read_representation(path)
        if not np.array_equal(ids, plateifu):
            order = pd.Index(ids).get_indexer(plateifu)
            if (order < 0).any():
                raise ValueError(f"{path}: galaxies differ from {paths[0]}")
            f = f[order]
        features.append(f), metas.append(m)
    return plateifu, features, metas


def compact_basis(x: np.ndarray, keep: float = 1 - 1e-6) -> np.ndarray:
    """``x`` rotated onto its principal axes, dropping the axes with (almost) no variance.

    A rotation preserves every Euclidean distance, and the dropped axes carry
    less than ``1 - keep`` of the variance, so K-means sees the same geometry
    at a fraction of the cost (representations have far fewer effective
    dimensions than 1024).
    """
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    var = s**2
    n = int(np.searchsorted(np.cumsum(var) / max(var.sum(), 1e-30), keep) + 1)
    return (centred @ vt[:n].T).astype(np.float32)


def cluster_runs(features: list[np.ndarray], kind: str, k_values, kmeans_seeds, replica_ids,
                 order_values=None, threshold=0.9):
    """K-means on every replica for every k and seed; labels matched to replica 0.

    Returns (labels long DataFrame without plateifu, agreement DataFrame).
    ``order_values`` (N,) names the reference clusters by increasing median
    (e.g. log sigma_cen) so that cluster numbers mean the same across k and seeds.
    """
    xs = [compact_basis(clustering.prepare(f, kind)) for f in features]
    log.info("K-means on %d replica(s) of %d galaxies (%s dims after rotation)", len(xs), len(xs[0]),
             "/".join(str(x.shape[1]) for x in xs))
    n = len(xs[0])
    rows, scores = [], []
    t0 = time.perf_counter()
    for k in k_values:
        for seed in kmeans_seeds:
            labels = [clustering.kmeans_labels(x, k, seed) for x in xs]
            reference = labels[0]
            if order_values is not None:
                reference = clustering.order_by(reference, order_values, k)
            matched = np.stack([reference] + [clustering.match_labels(lab, reference, k) for lab in labels[1:]])
            score, _ = clustering.agreement_score(matched, threshold) if len(xs) > 1 else (np.nan, None)
            scores.append({"k": k, "kmeans_seed": seed, "agreement": score})
            for rid, lab in zip(replica_ids, matched):
                rows.append((np.full(n, k, np.int8), np.full(n, rid, np.int16), np.full(n, seed, np.int16), lab))
        log.info("k = %d done (%.0f s elapsed)", k, time.perf_counter() - t0)
    cols = [np.concatenate(c) for c in zip(*rows)]
    labels = pd.DataFrame(dict(zip(LABEL_COLUMNS[1:], cols)))
    return labels, pd.DataFrame(scores)


def labels_frame(plateifu, labels: pd.DataFrame) -> pd.DataFrame:
    n = len(plateifu)
    out = labels.copy()
    out.insert(0, "plateifu", pd.Categorical(np.tile(np.asarray(plateifu), len(labels) // n)))
    return out


def labels_of(labels: pd.DataFrame, k: int, replica=None, kmeans_seed=None) -> pd.DataFrame:
    sel = labels["k"] == k
    if replica is not None:
        sel &= labels["replica"] == replica
    if kmeans_seed is not None:
        sel &= labels["kmeans_seed"] == kmeans_seed
    return labels.loc[sel]


def consensus_labels(labels: pd.DataFrame, k: int, kmeans_seed: int, plateifu) -> np.ndarray:
    """Per galaxy, the matched label most replicas agree on (K-means seed ``kmeans_seed``)."""
    sub = labels_of(labels, k, kmeans_seed=kmeans_seed)
    table = sub.pivot(index="plateifu", columns="replica", values="label").loc[list(plateifu)]
    _, consensus = clustering.agreement_score(table.to_numpy().T)
    return consensus


def bias_table(labels: pd.DataFrame, catalogue: pd.DataFrame, k_values, replicas, kmeans_seeds,
               seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (k, replica, K-means seed): Acc_max non-phys, Acc_mean phys; and the physical
    contributions per cluster (long format)."""
    cat = bias.derived_columns(catalogue).set_index("plateifu")
    non_phys = None
    rows, contrib = [], []
    for k in k_values:
        for rid in replicas:
            for s in kmeans_seeds:
                sub = labels_of(labels, k, rid, s)
                if sub.empty:
                    continue
                if non_phys is None:
                    c = cat.loc[list(sub["plateifu"].astype(str))]
                    order = list(sub["plateifu"].astype(str))
                    non_phys = bias.standardised(c, bias.NON_PHYSICAL)
                    phys = bias.standardised(c, bias.PHYSICAL)
                assert list(sub["plateifu"].astype(str)) == order
                out = bias.division_bias(sub["label"].to_numpy(), k, non_phys, phys, seed + 1000 * int(rid) + s)
                rows.append({"k": k, "replica": rid, "kmeans_seed": s, "acc_max_nonphys": out["acc_max_nonphys"],
                             "acc_mean_phys": out["acc_mean_phys"]})
                for c_idx, w in enumerate(out["contributions"]):
                    contrib.append({"k": k, "replica": rid, "kmeans_seed": s, "cluster": c_idx + 1,
                                    **dict(zip(bias.PHYSICAL, w))})
    return pd.DataFrame(rows), pd.DataFrame(contrib)


def division_performance(agreement: pd.DataFrame, accuracy: pd.DataFrame) -> pd.DataFrame:
    """Table 1's rows: per k, agreement mean/std over K-means seeds and accuracies mean/std
    over (replica, seed) pairs, in percent."""
    agree = agreement.groupby("k")["agreement"].agg(["mean", "std"]) * 100
    acc = accuracy.groupby("k")[["acc_max_nonphys", "acc_mean_phys"]].agg(["mean", "std"]) * 100
    table = pd.DataFrame({
        "k": agree.index,
        "agreement": agree["mean"].to_numpy(), "agreement_std": agree["std"].to_numpy(),
    })
    for col in ("acc_max_nonphys", "acc_mean_phys"):
        table[col] = acc[(col, "mean")].reindex(agree.index).to_numpy()
        table[f"{col}_std"] = acc[(col, "std")].reindex(agree.index).to_numpy()
    return table


def accepted_k(table: pd.DataFrame, min_agreement=85.0, max_nonphys=65.0) -> int | None:
    """The largest k whose division is reproducible and not instrumental (Section 4.2)."""
    ok = table[(table["agreement"] >= min_agreement) & (table["acc_max_nonphys"] <= max_nonphys)]
    return int(ok["k"].max()) if len(ok) else None


def cross_overlap(a: np.ndarray, b: np.ndarray, ka: int, kb: int) -> np.ndarray:
    """Percentages of each cluster of ``a`` (rows) that fall in each cluster of ``b`` (Fig. 7)."""
    counts = clustering.overlap_matrix(a, b, ka, kb).astype(float)
    return 100 * counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)


def matched_overlap(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Percentage of galaxies in the same cluster after matching ``b``'s labels to ``a`` (appendix)."""
    return float(100 * np.mean(clustering.match_labels(b, a, k) == a))
