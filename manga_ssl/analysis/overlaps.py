"""Overlaps of two divisions' consensus clusters: Fig. 7 (relative vs individual norm) and the
appendix's channel sets against the five-map clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from manga_ssl.analysis import clustering
from manga_ssl.analysis.labels import consensus_by_seed
from manga_ssl.analysis.tables import pm, write_table
from manga_ssl.core.names import Representation


def cross_overlap(a: np.ndarray, b: np.ndarray, ka: int, kb: int) -> np.ndarray:
    """Percentages of each cluster of ``a`` (rows) that fall in each cluster of ``b`` (Fig. 7)."""
    counts = clustering.overlap_matrix(a, b, ka, kb).astype(float)
    total = counts.sum(axis=1, keepdims=True)
    return np.where(total > 0, 100 * counts / np.where(total > 0, total, 1), np.nan)  # an empty cluster: NaN


def matched_overlap(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Percentage of galaxies in the same cluster after matching ``b``'s labels to ``a`` (appendix)."""
    return float(100 * np.mean(clustering.match_labels(b, a, k) == a))


def is_matrix(comparison: dict) -> bool:
    """Fig. 7 compares two normalisations cluster by cluster; the appendix compares channel
    sets of one normalisation at the same k."""
    a, b = (Representation.parse(comparison[x]).normalisation for x in ("a", "b"))
    return a != b


def make_overlaps(comparisons: list[dict], out_csv, matrix_stem=None, matrix_pair=None) -> None:
    """Overlaps between divisions of two representations.

    ``comparisons``: dicts with keys a, b (names), a_labels, b_labels (paths), ka, kb.
    Two divisions of one normalisation (the appendix's channel sets against the five maps,
    at the same k) give the percentage of galaxies in the same matched cluster (kind
    "matched"); two normalisations (Fig. 7) give the overlap matrix, percentages over the
    clusters of a (kind "matrix"), whatever their k. Mean and std over K-means seeds.
    """
    from manga_ssl.core.files import write_csv

    rows = []
    for comp in comparisons:
        ids_a, cons_a = consensus_by_seed(comp["a_labels"], comp["ka"])
        ids_b, cons_b = consensus_by_seed(comp["b_labels"], comp["kb"])
        order = pd.Index(ids_b).get_indexer(ids_a)
        seeds = sorted(set(cons_a) & set(cons_b))
        if not is_matrix(comp):
            values = [matched_overlap(cons_a[s], cons_b[s][order], comp["ka"]) for s in seeds]
            rows.append(
                {
                    "kind": "matched",
                    "a": comp["a"],
                    "ka": comp["ka"],
                    "b": comp["b"],
                    "kb": comp["kb"],
                    "cluster_a": "all",
                    "cluster_b": "same",
                    "overlap": np.mean(values),
                    "overlap_std": np.std(values),
                }
            )
        else:
            mats = np.stack([cross_overlap(cons_a[s], cons_b[s][order], comp["ka"], comp["kb"]) for s in seeds])
            lettered_a, lettered_b = (
                clustering.lettered(Representation.parse(comp[x]).normalisation) for x in ("a", "b")
            )
            for i in range(comp["ka"]):
                for j in range(comp["kb"]):
                    rows.append(
                        {
                            "kind": "matrix",
                            "a": comp["a"],
                            "ka": comp["ka"],
                            "b": comp["b"],
                            "kb": comp["kb"],
                            "cluster_a": clustering.cluster_name(i, lettered_a),
                            "cluster_b": clustering.cluster_name(j, lettered_b),
                            "overlap": np.nanmean(mats[:, i, j]),
                            "overlap_std": np.nanstd(mats[:, i, j]),
                        }
                    )
    table = pd.DataFrame(rows)
    write_csv(table, out_csv)
    if matrix_stem and matrix_pair:
        m = table[(table["a"] == matrix_pair[0]) & (table["b"] == matrix_pair[1])]
        numbers = m.pivot(index="cluster_a", columns="cluster_b", values="overlap").reset_index()
        shown = (
            m.assign(v=[pm(a, b, 1) for a, b in zip(m["overlap"], m["overlap_std"])])
            .pivot(index="cluster_a", columns="cluster_b", values="v")
            .reset_index()
        )
        write_table(
            numbers,
            shown,
            matrix_stem,
            f"Overlap (%) of the clusters of {matrix_pair[0]} (rows) with those of {matrix_pair[1]} "
            "(columns), over the row clusters; consensus labels of the replicas, mean ± std over "
            "K-means seeds (Fig. 7).",
        )


def run_overlaps(pairs, labels: dict, divisions_path, out_csv, matrix_stem) -> None:
    """The cluster_overlaps rule: each (a, b) pair of representations at its normalisation's
    division studied (:mod:`manga_ssl.analysis.divisions`); ``labels``: {name: labels path}."""
    from manga_ssl.analysis.divisions import read_divisions

    divisions = read_divisions(divisions_path)

    def k(name):
        return divisions[Representation.parse(name).normalisation].k

    comparisons = [
        {"a": a, "ka": k(a), "b": b, "kb": k(b), "a_labels": labels[a], "b_labels": labels[b]} for a, b in pairs
    ]
    fig7 = next(((c["a"], c["b"]) for c in comparisons if is_matrix(c)), None)
    make_overlaps(comparisons, out_csv, matrix_stem, fig7)
