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
from .names import Representation, kind_of
from .representations import read_representation
from .tables import pm, write_table

log = logging.getLogger(__name__)

LABEL_COLUMNS = ["plateifu", "k", "replica", "kmeans_seed", "label"]
#: one division's bias numbers (bias.division_bias): the paper's two accuracies, then the
#: conditional test's largest accuracy gain, Acc_max non-phys with the angles as axes, and the
#: conditional test's largest likelihood ratio and smallest p-value
BIAS_COLUMNS = [
    "acc_max_nonphys",
    "acc_mean_phys",
    "acc_gain_nonphys",
    "acc_max_nonphys_oriented",
    "lr_nonphys",
    "lr_pvalue_min",
]
#: the fractions that Table 1 shows in percent
PERCENT_COLUMNS = ["acc_max_nonphys", "acc_mean_phys", "acc_gain_nonphys", "acc_max_nonphys_oriented"]
#: the mock survey's true populations (k = 3) and early vs late types (k = 2), Table 1's reference rows
TRUE_DIVISIONS = {
    3: {"star_forming_disc": 0, "quenched_fast_rotator": 1, "slow_rotator": 2},
    2: {"star_forming_disc": 0, "quenched_fast_rotator": 1, "slow_rotator": 1},
}
TRUTH_NAME = "truth (mock)"


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


def cluster_runs(
    features: list[np.ndarray],
    kind: str,
    k_values,
    kmeans_seeds,
    replica_ids,
    physical=None,
    threshold=0.9,
    warm_start_dims=0,
):
    """K-means on every replica for every k and seed; labels matched to replica 0.

    Returns (labels long DataFrame without plateifu, agreement DataFrame).
    ``physical`` (DataFrame with ``lambda_re`` and ``age_lw_re``, N rows) names the reference
    clusters as the paper does (:func:`clustering.paper_order`), so that cluster numbers mean
    the same across k and seeds.
    """
    xs = [clustering.prepare(f, kind) for f in features]
    starts = [clustering.leading_axes(x, warm_start_dims) if 0 < warm_start_dims < x.shape[1] else None for x in xs]
    log.info(
        "K-means on %d replica(s) of %d galaxies x %d dims%s",
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
            labels = [clustering.kmeans_labels(x, k, seed, start=s) for x, s in zip(xs, starts)]
            reference = labels[0]
            if physical is not None:
                reference = clustering.paper_order(
                    reference, k, physical["lambda_re"].to_numpy(), physical["age_lw_re"].to_numpy()
                )
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
    wanted = labels[
        labels["k"].isin(k_values) & labels["replica"].isin(replicas) & labels["kmeans_seed"].isin(kmeans_seeds)
    ]
    groups = wanted.groupby(["k", "replica", "kmeans_seed"], sort=True)
    rows, contrib = [], []
    if not len(wanted):
        return pd.DataFrame(rows), pd.DataFrame(contrib)
    # every division lists the galaxies in the same order (labels_frame), so one set of
    # standardised parameters serves them all
    order = next(iter(groups))[1]["plateifu"].astype(str).to_numpy()
    cat = bias.derived_columns(catalogue).set_index("plateifu").loc[order]
    non_phys, phys, given, oriented = bias.parameter_sets(cat)
    for (k, rid, s), sub in groups:
        assert np.array_equal(sub["plateifu"].astype(str).to_numpy(), order)
        out = bias.division_bias(
            sub["label"].to_numpy(), int(k), non_phys, phys, [int(seed), int(rid), int(s)], given, fit, oriented
        )
        rows.append({"k": k, "replica": rid, "kmeans_seed": s, **{c: out[c] for c in BIAS_COLUMNS}})
        for c_idx, w in enumerate(out["contributions"]):
            contrib.append(
                {"k": k, "replica": rid, "kmeans_seed": s, "cluster": c_idx + 1, **dict(zip(bias.PHYSICAL, w))}
            )
    return pd.DataFrame(rows), pd.DataFrame(contrib)


def division_performance(agreement: pd.DataFrame, accuracy: pd.DataFrame) -> pd.DataFrame:
    """Table 1's rows: per k, agreement mean/std over K-means seeds and the bias numbers'
    mean/std over (replica, seed) pairs, accuracies in percent; ``*_n`` counts the runs
    behind each mean, those with a number (a std needs two; a division whose clusters are
    all too small to fit has none)."""
    agree = agreement.groupby("k")["agreement"].agg(["mean", "std", "count"])
    accuracy = accuracy.reindex(columns=list(dict.fromkeys(["k", *accuracy.columns, *BIAS_COLUMNS])))
    acc = accuracy.groupby("k")[BIAS_COLUMNS[:-1]].agg(["mean", "std", "count"])
    ks = agree.index.union(acc.index)
    table = pd.DataFrame(
        {
            "k": ks,
            "agreement": 100 * agree["mean"].reindex(ks).to_numpy(),
            "agreement_std": 100 * agree["std"].reindex(ks).to_numpy(),
            "agreement_n": agree["count"].reindex(ks).fillna(0).astype(int).to_numpy(),
        }
    )
    for col in BIAS_COLUMNS[:-1]:
        scale = 100 if col in PERCENT_COLUMNS else 1
        table[col] = scale * acc[(col, "mean")].reindex(ks).to_numpy()
        table[f"{col}_std"] = scale * acc[(col, "std")].reindex(ks).to_numpy()
        table[f"{col}_n"] = acc[(col, "count")].reindex(ks).fillna(0).astype(int).to_numpy()
    table["lr_pvalue_min"] = accuracy.groupby("k")["lr_pvalue_min"].median().reindex(ks).to_numpy()
    return table


def accepted_k(table: pd.DataFrame, min_agreement=85.0, max_nonphys=65.0) -> int | None:
    """The largest k whose division is reproducible and not instrumental (Section 4.2)."""
    ok = table[(table["agreement"] >= min_agreement) & (table["acc_max_nonphys"] <= max_nonphys)]
    return int(ok["k"].max()) if len(ok) else None


def accepted_k_conditional(table: pd.DataFrame, min_agreement=85.0, max_gain=5.0) -> int | None:
    """Beyond the paper: the largest reproducible k whose clusters the non-physical parameters
    predict at most ``max_gain`` (%) better than the physical ones alone (bias.conditional_fit)."""
    ok = table[(table["agreement"] >= min_agreement) & (table["acc_gain_nonphys"] <= max_gain)]
    return int(ok["k"].max()) if len(ok) else None


def truth_bias(
    truth: pd.DataFrame, catalogue: pd.DataFrame, n_draws: int, seed: int = 0, fit: str = "least_squares"
) -> pd.DataFrame:
    """The bias numbers of the mock survey's true divisions (:data:`TRUE_DIVISIONS`): one row
    per k and draw of the random non-member samples and 80/20 splits (``n_draws`` of them,
    seeded by ``seed``), the columns of :func:`bias_table` with ``draw`` for the replica."""
    cat = bias.derived_columns(catalogue)
    population = truth.set_index("plateifu")["population"].reindex(cat["plateifu"].astype(str))
    if population.isna().any():
        raise ValueError(
            f"{int(population.isna().sum())} catalogue galaxies have no true population "
            f"(e.g. {population.index[population.isna()][0]})"
        )
    non_phys, phys, given, oriented = bias.parameter_sets(cat)
    rows = []
    for k, codes in TRUE_DIVISIONS.items():
        unknown = set(population) - set(codes)
        if unknown:
            raise ValueError(f"unknown true populations: {sorted(unknown)}")
        labels = population.map(codes).to_numpy(dtype=np.int8)
        for draw in range(n_draws):
            out = bias.division_bias(labels, k, non_phys, phys, [int(seed), draw], given, fit, oriented)
            rows.append({"k": k, "draw": draw, **{c: out[c] for c in BIAS_COLUMNS}})
    return pd.DataFrame(rows).sort_values(["k", "draw"], ignore_index=True)


def cross_overlap(a: np.ndarray, b: np.ndarray, ka: int, kb: int) -> np.ndarray:
    """Percentages of each cluster of ``a`` (rows) that fall in each cluster of ``b`` (Fig. 7)."""
    counts = clustering.overlap_matrix(a, b, ka, kb).astype(float)
    total = counts.sum(axis=1, keepdims=True)
    return np.where(total > 0, 100 * counts / np.where(total > 0, total, 1), np.nan)  # an empty cluster: NaN


def matched_overlap(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Percentage of galaxies in the same cluster after matching ``b``'s labels to ``a`` (appendix)."""
    return float(100 * np.mean(clustering.match_labels(b, a, k) == a))


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
    threads=1,
) -> None:
    """The kmeans rule. ``threads`` caps the BLAS/OpenMP threads: these small products run
    faster single-threaded, with Snakemake running other jobs on the other cores."""
    from threadpoolctl import threadpool_limits

    from .files import write_csv, write_parquet

    kind = kind_of(name)
    plateifu, features, metas = load_replicas(list(tables))
    replica_ids = [int(m.get("seed", 0)) for m in metas]
    cat = bias.derived_columns(pd.read_parquet(catalogue_path)).set_index("plateifu")
    physical = cat[["lambda_re", "age_lw_re"]].reindex(plateifu)
    with threadpool_limits(threads):
        labels, agreement = cluster_runs(
            features, kind, k_values, kmeans_seeds, replica_ids, physical, threshold, warm_start_dims
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
    from .files import write_csv

    labels = pd.read_parquet(labels_path)
    k_values = sorted(int(k) for k in labels["k"].unique())
    replicas = sorted(labels["replica"].unique())[:n_replicas]
    seeds = sorted(labels["kmeans_seed"].unique())[:n_seeds]
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
    from .files import write_csv

    accuracy = truth_bias(pd.read_parquet(truth_path), pd.read_parquet(catalogue_path), n_replicas * n_seeds, seed, fit)
    accuracy.insert(0, "representation", TRUTH_NAME)
    write_csv(accuracy, accuracy_out)
    log.info("bias of the true divisions per k:\n%s", accuracy.groupby("k")[BIAS_COLUMNS].mean().to_string())


TABLE1_CAPTION = (
    "Table 1. Cluster divisions performance: agreement score over the training replicas "
    "(mean ± std over K-means seeds), the largest validation accuracy of the fit to "
    "non-physical parameters among the clusters, and the mean accuracy of the fit to physical "
    "parameters (mean ± std over replicas x K-means seeds), in percent. Beyond the paper: "
    "ΔAcc Non-phys given Phys, the largest gain in validation accuracy among the clusters when the "
    "non-physical parameters are added to the physical ones (same samples and splits), which the "
    "sample selection (z tracking mass) does not inflate; and Acc_max Non-phys with PA and RA as a "
    "linear fit can see them (cos 2PA, sin 2PA, cos RA, sin RA) instead of as numbers from 0 to 360 "
    "deg."
)
TABLE1_COLUMNS = {
    "acc_max_nonphys": "Acc_max Non-phys",
    "acc_mean_phys": "Acc_mean Phys",
    "acc_gain_nonphys": "ΔAcc Non-phys given Phys",
    "acc_max_nonphys_oriented": "Acc_max Non-phys, angles as axes",
}


def table1_rows(table: pd.DataFrame, name: str, agreement: bool) -> list[dict]:
    """Table 1's shown cells of one representation; ``agreement`` False: no agreement score
    (PCA: one table; the truth: true labels)."""
    rows = []
    for _, r in table.iterrows():
        agree = pm(r["agreement"], r["agreement_std"], n=r["agreement_n"], flat_digits=1) if agreement else ""
        if agreement and not agree:
            agree = "n/a (1 replica)"  # the agreement score compares replicas
        if name == TRUTH_NAME:
            agree = "n/a (true labels)"
        rows.append(
            {
                "representation": name,
                "N clusters": int(r["k"]),
                "% Agree": agree,
                **{
                    shown: pm(r[col], r[f"{col}_std"], n=r[f"{col}_n"], flat_digits=1)
                    or "n/a (too few galaxies)"  # every cluster under 5 members or non-members
                    for col, shown in TABLE1_COLUMNS.items()
                },
            }
        )
    return rows


def make_table1(
    performance: dict,
    stem,
    min_agreement=85.0,
    max_nonphys=65.0,
    max_gain=5.0,
    truth_accuracy=None,
    division_note: str = "",
) -> dict:
    """Table 1 from {representation: (agreement csv, accuracy csv)}, with the mock survey's
    true divisions as reference rows when ``truth_accuracy`` (csv) is given. Returns the
    largest accepted k of each SimCLR representation under the paper's rule and under the
    conditional one: {"paper": {...}, "conditional": {...}, "rules": {...}}; the truth
    rows are never accepted."""
    numbers, shown = [], []
    accepted = {"paper": {}, "conditional": {}}
    for name, (agreement_path, accuracy_path) in performance.items():
        table = division_performance(pd.read_csv(agreement_path), pd.read_csv(accuracy_path))
        table.insert(0, "representation", name)
        simclr = kind_of(name) == "simclr"
        accepted["paper"][name] = accepted_k(table, min_agreement, max_nonphys) if simclr else None
        accepted["conditional"][name] = accepted_k_conditional(table, min_agreement, max_gain) if simclr else None
        numbers.append(table)
        shown += table1_rows(table, name, simclr)
    if truth_accuracy is not None:
        accuracy = pd.read_csv(truth_accuracy)
        table = division_performance(pd.DataFrame({"k": accuracy["k"].unique(), "agreement": np.nan}), accuracy)
        table.insert(0, "representation", TRUTH_NAME)
        numbers.append(table)
        shown += table1_rows(table, TRUTH_NAME, False)
    rules = {
        "paper": f"agreement >= {min_agreement:g}% and Acc_max non-phys <= {max_nonphys:g}%",
        "conditional": f"agreement >= {min_agreement:g}% and ΔAcc non-phys given phys <= {max_gain:g}%",
    }
    titles = {"paper": "the paper's rule (Section 4.2)", "conditional": "the conditional rule (beyond the paper)"}
    notes = " ".join(
        f"Largest accepted k under {titles[rule]}, {rules[rule]}: "
        + ", ".join(f"{n} {v}" for n, v in accepted[rule].items() if kind_of(n) == "simclr")
        + "."
        for rule in ("paper", "conditional")
    )
    truth_note = (
        f" The {TRUTH_NAME} rows: the mock survey's three true populations (k = 3) and star-forming "
        "discs vs the quenched populations (k = 2), mean ± std over random non-member samples and "
        "splits; reference only, never accepted."
        if truth_accuracy is not None
        else ""
    )
    write_table(
        pd.concat(numbers, ignore_index=True),
        pd.DataFrame(shown),
        stem,
        f"{TABLE1_CAPTION}{truth_note} {notes}" + (f" Divisions studied: {division_note}" if division_note else ""),
    )
    return {**accepted, "rules": rules}


def make_table2(contributions_path, k: int, stem, letters: bool = False, division_note: str = "") -> None:
    """Table 2: each physical parameter's contribution (%) to each cluster of the k-division;
    ``division_note`` says how k was chosen (:mod:`manga_ssl.divisions`)."""

    c = pd.read_csv(contributions_path)
    c = c[c["k"] == k]
    params = list(bias.PHYSICAL)
    stats = c.groupby("cluster")[params].agg(["mean", "std", "count"])
    numbers = pd.DataFrame({"cluster": stats.index})
    shown = pd.DataFrame({"Cluster": [clustering.cluster_name(int(c) - 1, letters) for c in stats.index]})
    for p in params:
        numbers[p] = stats[(p, "mean")].to_numpy()
        numbers[f"{p}_std"] = stats[(p, "std")].to_numpy()
        shown[bias.PHYSICAL[p]] = [
            pm(m, s, 1, n=n, unit="%") for m, s, n in zip(stats[(p, "mean")], stats[(p, "std")], stats[(p, "count")])
        ]
    name = c["representation"].iloc[0] if len(c) else ""
    write_table(
        numbers,
        shown,
        stem,
        f"Table 2. Dependence of the {k} clusters of {name} on integrated parameters: normalised "
        "|coefficient| of each standardised parameter in the linear fit of cluster membership, "
        f"mean ± std over replicas x K-means seeds. Clusters are {clustering.CLUSTER_NAMING}."
        + (f" {division_note}" if division_note else ""),
    )


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


def make_overlaps(comparisons: list[dict], out_csv, matrix_stem=None, matrix_pair=None) -> None:
    """Overlaps between divisions of two representations.

    ``comparisons``: dicts with keys a, b (names), a_labels, b_labels (paths), ka, kb.
    When ka == kb the overlap is the percentage of galaxies in the same matched
    cluster (appendix); otherwise it is the overlap matrix (Fig. 7), percentages
    over the clusters of a. Mean and std over K-means seeds.
    """
    from .files import write_csv

    rows = []
    for comp in comparisons:
        ids_a, cons_a = consensus_by_seed(comp["a_labels"], comp["ka"])
        ids_b, cons_b = consensus_by_seed(comp["b_labels"], comp["kb"])
        order = pd.Index(ids_b).get_indexer(ids_a)
        seeds = sorted(set(cons_a) & set(cons_b))
        if comp["ka"] == comp["kb"]:
            values = [matched_overlap(cons_a[s], cons_b[s][order], comp["ka"]) for s in seeds]
            rows.append(
                {
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


def run_umap(table_path, name, seed, out, n_neighbors=15, min_dist=0.1) -> None:
    from .files import write_parquet
    from .projection import umap_2d

    plateifu, features, _ = read_representation(table_path)
    xy = umap_2d(features, kind_of(name), seed, n_neighbors, min_dist)
    write_parquet(
        pd.DataFrame({"plateifu": plateifu, "umap_x": xy[:, 0], "umap_y": xy[:, 1]}),
        out,
        {"umap_x": "UMAP coordinate (visualisation only)", "umap_y": "UMAP coordinate"},
        metadata={"representation": name, "seed": str(seed)},
    )


def division(labels_path, k: int, reference=None) -> tuple[np.ndarray, np.ndarray]:
    """(plateifu, consensus labels of the first K-means seed) of a representation's k-division;
    with ``reference`` (plateifu, labels) the clusters are renamed to match it."""
    plateifu, by_seed = consensus_by_seed(labels_path, k, first_only=True)
    (labels,) = by_seed.values()
    if reference is not None:
        ref_ids, ref_labels = reference
        order = pd.Index(plateifu).get_indexer(ref_ids)
        labels, plateifu = clustering.match_labels(labels[order], ref_labels, k), np.asarray(ref_ids)
    return plateifu, labels


def nearest_to_centroids(features: np.ndarray, labels: np.ndarray, k: int, n: int = 5) -> dict:
    """{cluster: indices of the n galaxies nearest its centroid} in the L2-normalised space."""
    x = clustering.l2_normalise(features)
    out = {}
    for c in range(k):
        idx = np.flatnonzero(labels == c)
        centre = x[idx].mean(axis=0)
        out[c] = idx[np.argsort(np.linalg.norm(x[idx] - centre, axis=1))[:n]]
    return out
