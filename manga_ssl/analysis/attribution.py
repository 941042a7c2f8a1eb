"""Which non-physical parameter a division's instrumental part comes from (beyond the paper).

Table 1's ΔAcc non-phys given phys says how much the non-physical parameters together add to
the physical ones in predicting a cluster; on real data an astronomer then wants to know which
of them: the bundle, the apparent size, the coverage, the redshift. For every division the bias
regression scored (the same replicas, K-means seeds, balanced samples and 80/20 splits), each
cluster's conditional test is repeated with each non-physical parameter alone added to the
physical ones and with each one left out (:func:`manga_ssl.analysis.bias.gain_by_parameter`);
per division, the largest over the clusters, as Table 1's column. Its gain with every
parameter is Table 1's ΔAcc (docs/science.md, section 27).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from manga_ssl.analysis import bias
from manga_ssl.analysis.bias_regression import first_divisions, scored_divisions, true_divisions
from manga_ssl.analysis.tables import pm, write_table
from manga_ssl.core.names import TRUTH_NAME

log = logging.getLogger(__name__)


#: the columns of one division's attribution, after its keys
PARAMETER_COLUMNS = ["gain_all", *(f"{w}_{p}" for w in ("alone", "unique") for p in bias.NON_PHYSICAL)]


def division_attribution(labels: np.ndarray, k: int, given, non_physical, key, fit: str = "least_squares") -> list:
    """One division's :data:`PARAMETER_COLUMNS`: the largest over its clusters of the gain
    with every non-physical parameter, with each alone, and of what leaving each out loses;
    ``key`` seeds each cluster's sample and split as :func:`bias.division_bias` does."""
    per_cluster = [bias.gain_by_parameter(labels == c, given, non_physical, [*key, c], fit=fit) for c in range(k)]
    largest = bias.largest_over_clusters
    alone = largest([g["alone"] for g in per_cluster])
    unique = largest([g["unique"] for g in per_cluster])
    return [float(largest([g["all"] for g in per_cluster])), *alone.tolist(), *unique.tolist()]


def attribution_table(
    labels: pd.DataFrame,
    catalogue: pd.DataFrame,
    k_values,
    replicas,
    kmeans_seeds,
    seed: int = 0,
    fit: str = "least_squares",
) -> pd.DataFrame:
    """Per (k, replica, K-means seed): the largest gain among the clusters with every
    non-physical parameter (``gain_all``: Table 1's ``acc_gain_nonphys``), with each alone
    (``alone_<parameter>``) and what leaving each out loses (``unique_<parameter>``);
    fractions, on :func:`manga_ssl.analysis.bias_regression.bias_table`'s samples and splits
    (the same ``seed``). A parameter that the others stand in for has a large ``alone`` and a
    small ``unique``."""
    rows = []
    for (k, replica, kmeans_seed), division, (non_physical, _, given, _) in scored_divisions(
        labels, catalogue, k_values, replicas, kmeans_seeds
    ):
        key = [int(seed), int(replica), int(kmeans_seed)]  # Table 1's samples and splits
        rows.append([k, replica, kmeans_seed, *division_attribution(division, k, given, non_physical, key, fit)])
    return pd.DataFrame(rows, columns=["k", "replica", "kmeans_seed", *PARAMETER_COLUMNS])


def truth_attribution(
    truth: pd.DataFrame, catalogue: pd.DataFrame, k_values, n_draws: int, seed: int = 0, fit: str = "least_squares"
) -> pd.DataFrame:
    """:func:`attribution_table` of the mock survey's true divisions at ``k_values``, on the
    samples and splits of :func:`manga_ssl.analysis.bias_regression.truth_bias` (``n_draws``
    of them, the same ``seed``): Table 1's truth rows split by parameter, what a division
    that follows the physics alone gets on this survey."""
    rows = [
        [k, draw, *division_attribution(labels, k, given, non_physical, [int(seed), draw], fit)]
        for k, labels, (non_physical, _, given, _) in true_divisions(truth, catalogue)
        if k in k_values
        for draw in range(n_draws)
    ]
    return pd.DataFrame(rows, columns=["k", "draw", *PARAMETER_COLUMNS]).sort_values(["k", "draw"], ignore_index=True)


def run_attribution(
    labels_path, catalogue_path, name, k_values, n_replicas, n_seeds, seed, out, fit: str = "least_squares"
) -> None:
    """The instrument_attribution rule: the divisions of the bias regression (its first
    ``n_replicas`` replicas and ``n_seeds`` K-means seeds) at each of ``k_values`` that the
    kmeans rule clustered at."""
    from manga_ssl.core.files import write_csv

    labels = pd.read_parquet(labels_path)
    replicas, seeds = first_divisions(labels, n_replicas, n_seeds)
    table = attribution_table(labels, pd.read_parquet(catalogue_path), k_values, replicas, seeds, seed, fit)
    table.insert(0, "representation", name)
    write_csv(table, out)
    if len(table):
        log.info("largest gains per k, in points:\n%s", (100 * table.groupby("k").mean(numeric_only=True)).round(1))
    else:
        log.info("%s is clustered at none of k = %s", name, list(k_values))


def run_truth_attribution(truth_path, catalogue_path, k_values, n_replicas, n_seeds, seed, out, fit="least_squares"):
    """The instrument_attribution_truth rule: as many draws as the replicas x K-means seeds
    behind the other rows (as the bias_truth rule)."""
    from manga_ssl.core.files import write_csv

    table = truth_attribution(
        pd.read_parquet(truth_path), pd.read_parquet(catalogue_path), k_values, n_replicas * n_seeds, seed, fit
    )
    table.insert(0, "representation", TRUTH_NAME)
    write_csv(table, out)
    log.info(
        "the true divisions' largest gains per k, in points:\n%s",
        (100 * table.groupby("k").mean(numeric_only=True)).round(1),
    )


ATTRIBUTION_CAPTION = (
    "Which non-physical parameter a division's ΔAcc Non-phys given Phys comes from (beyond the "
    "paper): Table 1's conditional test, on its divisions, balanced samples and 80/20 splits, "
    "with every non-physical parameter added to the physical ones (ΔAcc, Table 1's column; "
    "mean ± std over replicas x K-means seeds, in points), and for each parameter, "
    "'alone / left out': the largest gain among the clusters with that parameter alone added, "
    "and what leaving it out of the rest loses (means, in points). A parameter that drives the "
    "instrumental part has both large; one that others stand in for (e.g. Re in arcsec for the "
    "coverage) a large 'alone' and a small 'left out'; parameters that share it split the "
    "'left out' between them. On the mock survey the 'truth (mock)' rows give the same numbers "
    "for the true populations (k = 3) and for discs against quenched galaxies (k = 2), over as "
    "many random samples and splits: what a division that follows the physics alone gets."
)


def make_attribution_table(paths, stem) -> pd.DataFrame:
    """``stem``.csv/.md/.tex from the instrument_attribution rule's per-representation files
    (in the order given): per representation and k, the mean (and the total's std) over the
    divisions, in points."""
    frames = [f for f in (pd.read_csv(p) for p in paths) if len(f)]
    names = list(bias.NON_PHYSICAL)
    numbers, shown = [], []
    for frame in frames:
        for (name, k), sub in frame.groupby(["representation", "k"], sort=False):
            row = {"representation": name, "k": int(k), "divisions": len(sub)}
            row["gain_all"] = 100 * sub["gain_all"].mean()
            row["gain_all_std"] = 100 * sub["gain_all"].std(ddof=0)
            for p in names:
                row[f"alone_{p}"] = 100 * sub[f"alone_{p}"].mean()
                row[f"unique_{p}"] = 100 * sub[f"unique_{p}"].mean()
            numbers.append(row)
            shown.append(
                {
                    "representation": name,
                    "N clusters": int(k),
                    "ΔAcc Non-phys given Phys": pm(row["gain_all"], row["gain_all_std"], digits=1, n=len(sub)),
                    **{
                        label: f"{row[f'alone_{p}']:.1f} / {row[f'unique_{p}']:.1f}"
                        for p, label in bias.NON_PHYSICAL.items()
                    },
                }
            )
    numbers = pd.DataFrame(numbers)
    write_table(numbers, pd.DataFrame(shown), stem, ATTRIBUTION_CAPTION)
    return numbers
