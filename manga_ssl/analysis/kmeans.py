"""K-means over the replicas (paper Section 4.2): every replica, k and K-means seed, the
labels matched to the reference replica and named as the paper names them, and the
agreement score."""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from manga_ssl.analysis import bias, clustering
from manga_ssl.analysis.labels import LABEL_COLUMNS, labels_frame, load_replicas
from manga_ssl.core.names import kind_of

log = logging.getLogger(__name__)


def cluster_runs(
    features: list[np.ndarray],
    kind: str,
    k_values,
    kmeans_seeds,
    replica_ids,
    physical=None,
    threshold=0.9,
    warm_start_dims=0,
    n_init=clustering.PAPER_N_INIT,
):
    """K-means on every replica for every k and seed; labels matched to replica 0.

    Each K-means seed keeps the lowest-inertia partition of ``n_init`` k-means++ starts, as
    scikit-learn's KMeans did by default when the paper was written.
    Returns (labels long DataFrame without plateifu, agreement DataFrame).
    ``physical`` (DataFrame with ``lambda_re`` and ``age_lw_re``, N rows) names the reference
    clusters as the paper does (:func:`clustering.paper_order`), so that cluster numbers mean
    the same across k and seeds.
    """
    xs = [clustering.prepare(f, kind) for f in features]
    starts = [clustering.leading_axes(x, warm_start_dims) if 0 < warm_start_dims < x.shape[1] else None for x in xs]
    log.info(
        "K-means (best of %d start(s) per seed) on %d replica(s) of %d galaxies x %d dims%s",
        n_init,
        len(xs),
        len(xs[0]),
        xs[0].shape[1],
        f", started on the {warm_start_dims} leading axes" if starts[0] is not None else "",
    )
    n = len(xs[0])
    rows, scores = [], []
    t0 = time.perf_counter()
    for k in k_values:
        for seed in kmeans_seeds:
            labels = [clustering.kmeans_labels(x, k, seed, n_init, start=s) for x, s in zip(xs, starts)]
            reference = labels[0]
            if physical is not None:
                reference = clustering.paper_order(
                    reference, k, physical["lambda_re"].to_numpy(), physical["age_lw_re"].to_numpy()
                )
            matched = clustering.matched_to(reference, labels[1:], k)
            score, _ = clustering.agreement_score(matched, threshold) if len(xs) > 1 else (np.nan, None)
            least = least_agreeing(clustering.replica_aris(matched, threshold), replica_ids)
            scores.append({"k": k, "kmeans_seed": seed, "agreement": score, **least})
            for rid, lab in zip(replica_ids, matched):
                rows.append((np.full(n, k, np.int8), np.full(n, rid, np.int16), np.full(n, seed, np.int16), lab))
        named = [s for s in scores if s["k"] == k and s["least_agreeing_replica"] is not None]
        note = ""
        if named:
            worst = min(named, key=lambda s: s["least_agreeing_ari"])
            median = np.median([s["median_replica_ari"] for s in named])
            note = (
                f"; least like the others' consensus: replica {worst['least_agreeing_replica']}, ARI "
                f"{worst['least_agreeing_ari']:.2f} (median replica {median:.2f})"
            )
        log.info("k = %d done (%.0f s elapsed)%s", k, time.perf_counter() - t0, note)
    cols = [np.concatenate(c) for c in zip(*rows)]
    labels = pd.DataFrame(dict(zip(LABEL_COLUMNS[1:], cols)))
    return labels, pd.DataFrame(scores)


def least_agreeing(aris: np.ndarray, replica_ids) -> dict:
    """Beyond the paper: the replica whose partition is least like the others' consensus, its
    ARI against theirs and the median replica's (none with fewer than three replicas)."""
    if not np.isfinite(aris).all():
        return {"least_agreeing_replica": None, "least_agreeing_ari": np.nan, "median_replica_ari": np.nan}
    i = int(np.argmin(aris))
    return {
        "least_agreeing_replica": replica_ids[i],
        "least_agreeing_ari": float(aris[i]),
        "median_replica_ari": float(np.median(aris)),
    }


# --------------------------------------------------------------------------
# Rule-level steps: files in, files out
# --------------------------------------------------------------------------


def run_kmeans(
    tables,
    name,
    k_values,
    kmeans_seeds,
    catalogue_path,
    labels_out,
    agreement_out,
    threshold=0.9,
    warm_start_dims=0,
    n_init=clustering.PAPER_N_INIT,
    threads=1,
) -> None:
    """The kmeans rule. ``threads`` caps the BLAS/OpenMP threads: these small products run
    faster single-threaded, with Snakemake running other jobs on the other cores."""
    from threadpoolctl import threadpool_limits

    from manga_ssl.core.files import write_csv, write_parquet

    kind = kind_of(name)
    plateifu, features, metas = load_replicas(list(tables))
    replica_ids = [int(m.get("seed", 0)) for m in metas]
    cat = bias.derived_columns(pd.read_parquet(catalogue_path)).set_index("plateifu")
    physical = cat[["lambda_re", "age_lw_re"]].reindex(plateifu)
    with threadpool_limits(threads):
        labels, agreement = cluster_runs(
            features,
            kind,
            k_values,
            kmeans_seeds,
            replica_ids,
            physical,
            threshold=threshold,
            warm_start_dims=warm_start_dims,
            n_init=n_init,
        )
    write_parquet(
        labels_frame(plateifu, labels),
        labels_out,
        {"label": f"cluster, matched to the reference replica and {clustering.CLUSTER_NAMING}"},
        metadata={"representation": name, "reference_replica": str(replica_ids[0])},
    )
    agreement.insert(0, "representation", name)
    write_csv(agreement, agreement_out)
    log.info("agreement per k:\n%s", agreement.groupby("k")["agreement"].agg(["mean", "std"]).to_string())
