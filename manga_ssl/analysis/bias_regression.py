"""The bias regression of every division (paper Section 4.2): per (k, replica, K-means seed),
Acc_max non-phys, Acc_mean phys, the physical contributions and, beyond the paper, the
conditional test; and the same regressions of the mock's true populations."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from manga_ssl.analysis import bias
from manga_ssl.analysis.bias import BIAS_COLUMNS
from manga_ssl.core.names import TRUTH_NAME

log = logging.getLogger(__name__)

#: the mock survey's true populations (k = 3) and early vs late types (k = 2), Table 1's reference rows
TRUE_DIVISIONS = {
    3: {"star_forming_disc": 0, "quenched_fast_rotator": 1, "slow_rotator": 2},
    2: {"star_forming_disc": 0, "quenched_fast_rotator": 1, "slow_rotator": 1},
}
TRUE_DIVISION_NAMES = {3: "the three populations", 2: "early vs late types"}


def first_divisions(labels: pd.DataFrame, n_replicas: int, n_seeds: int) -> tuple[list, list]:
    """The replicas and K-means seeds the bias regression scores: the first ``n_replicas``
    and ``n_seeds`` of those ``labels`` holds (config ``analysis.bias_replicas``,
    ``bias_kmeans_seeds``)."""
    return sorted(labels["replica"].unique())[:n_replicas], sorted(labels["kmeans_seed"].unique())[:n_seeds]


def scored_divisions(labels: pd.DataFrame, catalogue: pd.DataFrame, k_values, replicas, kmeans_seeds):
    """The divisions the bias regression scores, in order: ((k, replica, K-means seed),
    labels (N,), the standardised parameter sets of :func:`bias.parameter_sets`) for each
    of ``k_values`` x ``replicas`` x ``kmeans_seeds`` that ``labels`` holds."""
    wanted = labels[
        labels["k"].isin(k_values) & labels["replica"].isin(replicas) & labels["kmeans_seed"].isin(kmeans_seeds)
    ]
    if not len(wanted):
        return
    groups = wanted.groupby(["k", "replica", "kmeans_seed"], sort=True)
    # every division lists the galaxies in the same order (labels_frame), so one set of
    # standardised parameters serves them all
    order = next(iter(groups))[1]["plateifu"].astype(str).to_numpy()
    parameters = bias.parameter_sets(bias.derived_columns(catalogue).set_index("plateifu").loc[order])
    for (k, rid, s), sub in groups:
        assert np.array_equal(sub["plateifu"].astype(str).to_numpy(), order)
        yield (int(k), rid, s), sub["label"].to_numpy(), parameters


def bias_table(
    labels: pd.DataFrame,
    catalogue: pd.DataFrame,
    k_values,
    replicas,
    kmeans_seeds,
    seed: int = 0,
    fit: str = "least_squares",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (k, replica, K-means seed): Acc_max non-phys, Acc_mean phys, the conditional test's
    accuracy gain and likelihood ratio (:data:`BIAS_COLUMNS`); and the physical contributions
    per cluster (long format)."""
    rows, contrib = [], []
    for (k, rid, s), division, (non_phys, phys, given, oriented) in scored_divisions(
        labels, catalogue, k_values, replicas, kmeans_seeds
    ):
        out = bias.division_bias(division, k, non_phys, phys, [int(seed), int(rid), int(s)], given, fit, oriented)
        rows.append({"k": k, "replica": rid, "kmeans_seed": s, **{c: out[c] for c in BIAS_COLUMNS}})
        for c_idx, w in enumerate(out["contributions"]):
            contrib.append(
                {"k": k, "replica": rid, "kmeans_seed": s, "cluster": c_idx + 1, **dict(zip(bias.PHYSICAL, w))}
            )
    return pd.DataFrame(rows), pd.DataFrame(contrib)


def true_labels(truth: pd.DataFrame, plateifu, k: int) -> np.ndarray:
    """The mock survey's true division into ``k`` groups (:data:`TRUE_DIVISIONS`) of the
    galaxies ``plateifu``, in that order (int8). A galaxy without a true population, or a
    population not in the division, is an error naming it."""
    population = truth.set_index("plateifu")["population"].reindex(pd.Index(plateifu).astype(str))
    if population.isna().any():
        raise ValueError(
            f"{int(population.isna().sum())} galaxies have no true population "
            f"(e.g. {population.index[population.isna()][0]})"
        )
    codes = TRUE_DIVISIONS[k]
    unknown = set(population) - set(codes)
    if unknown:
        raise ValueError(f"unknown true populations: {sorted(unknown)}")
    return population.map(codes).to_numpy(dtype=np.int8)


def true_divisions(truth: pd.DataFrame, catalogue: pd.DataFrame):
    """The mock survey's true divisions (:data:`TRUE_DIVISIONS`) of the catalogue's galaxies:
    (k, labels (N,), the standardised parameter sets of :func:`bias.parameter_sets`) per k."""
    cat = bias.derived_columns(catalogue)
    parameters = bias.parameter_sets(cat)
    for k in TRUE_DIVISIONS:
        yield k, true_labels(truth, cat["plateifu"], k), parameters


def truth_bias(
    truth: pd.DataFrame, catalogue: pd.DataFrame, n_draws: int, seed: int = 0, fit: str = "least_squares"
) -> pd.DataFrame:
    """The bias numbers of the mock survey's true divisions (:data:`TRUE_DIVISIONS`): one row
    per k and draw of the random non-member samples and 80/20 splits (``n_draws`` of them,
    seeded by ``seed``), the columns of :func:`bias_table` with ``draw`` for the replica."""
    rows = []
    for k, labels, (non_phys, phys, given, oriented) in true_divisions(truth, catalogue):
        for draw in range(n_draws):
            out = bias.division_bias(labels, k, non_phys, phys, [int(seed), draw], given, fit, oriented)
            rows.append({"k": k, "draw": draw, **{c: out[c] for c in BIAS_COLUMNS}})
    return pd.DataFrame(rows).sort_values(["k", "draw"], ignore_index=True)


def run_bias(
    labels_path,
    catalogue_path,
    name,
    n_replicas,
    n_seeds,
    seed,
    accuracy_out,
    contributions_out,
    fit: str = "least_squares",
) -> None:
    """The bias_regression rule, at every k the kmeans rule clustered at."""
    from manga_ssl.core.files import write_csv

    labels = pd.read_parquet(labels_path)
    k_values = sorted(int(k) for k in labels["k"].unique())
    replicas, seeds = first_divisions(labels, n_replicas, n_seeds)
    accuracy, contributions = bias_table(labels, pd.read_parquet(catalogue_path), k_values, replicas, seeds, seed, fit)
    accuracy.insert(0, "representation", name)
    contributions.insert(0, "representation", name)
    write_csv(accuracy, accuracy_out)
    write_csv(contributions, contributions_out)
    log.info("bias per k:\n%s", accuracy.groupby("k")[BIAS_COLUMNS].mean().to_string())


def run_truth_bias(
    truth_path, catalogue_path, n_replicas, n_seeds, seed, accuracy_out, fit: str = "least_squares"
) -> None:
    """The bias_truth rule: as many draws as the replicas x K-means seeds behind the other rows."""
    from manga_ssl.core.files import write_csv

    accuracy = truth_bias(pd.read_parquet(truth_path), pd.read_parquet(catalogue_path), n_replicas * n_seeds, seed, fit)
    accuracy.insert(0, "representation", TRUTH_NAME)
    write_csv(accuracy, accuracy_out)
    log.info("bias of the true divisions per k:\n%s", accuracy.groupby("k")[BIAS_COLUMNS].mean().to_string())
