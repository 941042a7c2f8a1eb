"""The analysis of Sections 4.2, 5.2 and the appendix, over sets of representation tables.

One K-means fit per (replica, k, K-means seed) serves every table: the labels
are written once (matched to the reference replica) and the agreement score,
the bias regression, the cluster overlaps and the figures all read them.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from manga_ssl.analysis import clustering
from manga_ssl.ssl.representations import read_representation

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


def consensus_by_seed(labels_path, k: int, first_only: bool = False) -> tuple[np.ndarray, dict]:
    """(plateifu, {K-means seed: consensus labels}) of one representation's labels file,
    for every K-means seed or only the first."""
    labels = pd.read_parquet(labels_path)
    sub = labels[labels["k"] == k]
    if sub.empty:
        raise ValueError(
            f"{labels_path}: no K-means division with k = {k} (it has k = "
            f"{', '.join(str(v) for v in sorted(labels['k'].unique()))})"
        )
    first = sub[(sub["replica"] == sub["replica"].iloc[0]) & (sub["kmeans_seed"] == sub["kmeans_seed"].iloc[0])]
    plateifu = first["plateifu"].astype(str).to_numpy()
    seeds = sorted(sub["kmeans_seed"].unique())[: 1 if first_only else None]
    return plateifu, {int(s): consensus_labels(sub, k, s, plateifu) for s in seeds}


def consensus_division(labels_path, k: int, reference=None) -> tuple[np.ndarray, np.ndarray]:
    """(plateifu, consensus labels of the first K-means seed) of a representation's k-division;
    with ``reference`` (plateifu, labels) the clusters are renamed to match it."""
    plateifu, by_seed = consensus_by_seed(labels_path, k, first_only=True)
    (labels,) = by_seed.values()
    if reference is not None:
        ref_ids, ref_labels = reference
        order = pd.Index(plateifu).get_indexer(ref_ids)
        labels, plateifu = clustering.match_labels(labels[order], ref_labels, k), np.asarray(ref_ids)
    return plateifu, labels
