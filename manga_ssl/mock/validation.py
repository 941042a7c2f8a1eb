"""Validation of the embedded mock survey: against its ground truth and against
real MaNGA catalogues (the calibration documented in docs/mock-survey.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from astropy.table import Table

from manga_ssl.analysis.probes import log10_positive
from manga_ssl.survey.formats import read_catalogue_table
from manga_ssl.survey.ifu import FIBRE_COUNTS

#: catalogue column -> ground-truth column (mock survey).
MEASURED_VS_TRUE = {
    "lambda_re": "lambda_re_true",
    "sigma_cen": "sigma_cen_true",
    "age_lw_re": "age_re",
    "grad_age_lw": "grad_age",
    "zh_lw_re": "zh_re",
    "grad_zh_lw": "grad_zh",
    "rotation_angle": "rotation_angle",
    "re_kpc": "re_kpc",
    "z": "z",
}


def _nmad(x):
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) else np.nan


def measurements_vs_truth(catalogue: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Correlation, median bias and robust scatter of each map-derived parameter."""
    t = truth.set_index("plateifu").loc[catalogue["plateifu"]]
    rows = []
    for measured, true in MEASURED_VS_TRUE.items():
        x, y = catalogue[measured].to_numpy(float), t[true].to_numpy(float)
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        diff = np.mod(x - y + 180.0, 360.0) - 180.0 if measured == "rotation_angle" else x - y
        r = np.corrcoef(x, y)[0, 1] if measured != "rotation_angle" and len(x) > 2 else np.nan
        rows.append(
            {
                "parameter": measured,
                "truth": true,
                "n": int(ok.sum()),
                "n_missing": int((~ok).sum()),
                "pearson_r": r,
                "median_bias": float(np.median(diff)) if len(diff) else np.nan,
                "nmad_scatter": _nmad(diff),
            }
        )
    return pd.DataFrame(rows)


def _distribution_row(quantity, mock, real, source) -> dict:
    """One row of mock_vs_real: median, 16th and 84th percentiles and count, mock beside real."""
    stats = ("median", "p16", "p84", "n")
    return {
        "quantity": quantity,
        **{f"mock_{k}": v for k, v in zip(stats, mock)},
        **{f"real_{k}": v for k, v in zip(stats, real)},
        "real_source": source,
    }


def _stats(values) -> tuple[float, float, float, int]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > -90)]  # catalogue sentinels (-99, -999, -9999)
    if not len(v):
        return (np.nan, np.nan, np.nan, 0)
    p16, p50, p84 = np.percentile(v, [16, 50, 84])
    return p50, p16, p84, len(v)


def _col(table: Table, name: str):
    lower = {c.lower(): c for c in table.colnames}
    return np.asarray(table[lower[name.lower()]], dtype=float)


def mock_vs_real(catalogue: pd.DataFrame, real: dict) -> pd.DataFrame:
    """Medians and 16-84% ranges of the mock (as the pipeline measures it) and of
    real catalogues: DR14 Pipe3D, MPL-5 drpall, MPL-9 drpcomplete, MDLM DR15."""
    pipe3d = read_catalogue_table(real["pipe3d"])
    drpall = read_catalogue_table(real["drpall"])
    drpc = read_catalogue_table(real["drpcomplete"])
    mdlm = read_catalogue_table(real["mdlm"])
    main = (_col(drpall, "mngtarg1").astype(np.int64) & (7 << 10)) > 0
    rows = [
        ("z", catalogue["z"], _col(drpall, "nsa_z")[main], "MPL-5 drpall NSA_Z (main sample)"),
        (
            "Re [arcsec]",
            catalogue["re_arcsec"],
            _col(drpall, "nsa_elpetro_th50_r")[main],
            "MPL-5 drpall NSA_ELPETRO_TH50_R",
        ),
        ("Re [arcsec] (DAP)", catalogue["re_arcsec"], _col(drpc, "reff"), "MPL-9 drpcomplete REFF"),
        ("Re [kpc]", catalogue["re_kpc"], _col(pipe3d, "re_kpc"), "DR14 Pipe3D re_kpc"),
        ("log M* [Msun]", catalogue["log_mass"], _col(pipe3d, "log_mass"), "DR14 Pipe3D log_mass"),
        ("log SFR [Msun/yr]", catalogue["log_sfr"], _col(pipe3d, "log_sfr_ha"), "DR14 Pipe3D log_sfr_ha"),
        (
            "LW log age at Re [yr] (maps)",
            catalogue["age_lw_re"],
            _col(pipe3d, "age_lw_re_fit"),
            "DR14 Pipe3D age_lw_re_fit",
        ),
        ("LW [Z/H] at Re (maps)", catalogue["zh_lw_re"], _col(pipe3d, "zh_lw_re_fit"), "DR14 Pipe3D zh_lw_re_fit"),
        (
            "grad age 0.5-2 Re (maps)",
            catalogue["grad_age_lw"],
            _col(pipe3d, "alpha_age_lw_re_fit"),
            "DR14 Pipe3D alpha_age_lw_re_fit",
        ),
        ("sigma_cen [km/s] (maps)", catalogue["sigma_cen"], _col(pipe3d, "sigma_cen"), "DR14 Pipe3D sigma_cen"),
        ("lambda_Re (maps)", catalogue["lambda_re"], _col(pipe3d, "lambda_re"), "DR14 Pipe3D lambda_re"),
        ("ellipticity 1-b/a", catalogue["ellipticity"], _col(drpc, "ell"), "MPL-9 drpcomplete ELL"),
        ("T-Type", catalogue["t_type"], _col(mdlm, "ttype"), "MDLM DR15 TTYPE"),
    ]
    out = []
    for name, mock, data, source in rows:
        out.append(_distribution_row(name, _stats(mock), _stats(data), source))
    out += joint_checks(catalogue, pipe3d, drpall, main)
    real_sizes = _col(drpall, "ifudesignsize")[main]
    mock_sizes = catalogue["n_fibres"].to_numpy()
    for f in FIBRE_COUNTS:
        out.append(
            {
                "quantity": f"fraction in {f}-fibre IFUs",
                "mock_median": float(np.mean(mock_sizes == f)),
                "mock_n": len(mock_sizes),
                "real_median": float(np.mean(real_sizes == f)),
                "real_n": len(real_sizes),
                "real_source": "MPL-5 drpall IFUDESIGNSIZE (main sample)",
            }
        )
    return pd.DataFrame(out)


def _pearson(x, y) -> tuple[float, int]:
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    return (float(np.corrcoef(x[ok], y[ok])[0, 1]) if ok.sum() > 2 else np.nan), int(ok.sum())


def joint_checks(catalogue: pd.DataFrame, pipe3d: Table, drpall: Table, main: np.ndarray) -> list[dict]:
    """The relations MaNGA's selection induces, mock beside real: Pearson correlations of
    stellar mass, angular size and redshift, and the median Re [arcsec] in each bundle size.

    Masses: the mock's catalogue log M* against NSA elliptical-Petrosian masses (h = 1 units,
    a constant offset that leaves correlations unchanged) and DR14 Pipe3D log_mass."""
    m_mass, m_z, m_re = catalogue["log_mass"], catalogue["z"], log10_positive(catalogue["re_arcsec"])
    d_mass, d_z = log10_positive(_col(drpall, "nsa_elpetro_mass"))[main], _col(drpall, "nsa_z")[main]
    d_re = log10_positive(_col(drpall, "nsa_elpetro_th50_r"))[main]
    p_mass, p_z = _col(pipe3d, "log_mass"), _col(pipe3d, "redshift")
    p_mass = np.where(p_mass > 0, p_mass, np.nan)
    pairs = [
        ("corr(log M*, z)", (m_mass, m_z), (d_mass, d_z), "MPL-5 drpall NSA_ELPETRO_MASS, NSA_Z (main sample)"),
        ("corr(log M*, z) (Pipe3D)", (m_mass, m_z), (p_mass, p_z), "DR14 Pipe3D log_mass, redshift"),
        ("corr(log Re [arcsec], z)", (m_re, m_z), (d_re, d_z), "MPL-5 drpall NSA_ELPETRO_TH50_R, NSA_Z (main sample)"),
        (
            "corr(log Re [arcsec], log M*)",
            (m_re, m_mass),
            (d_re, d_mass),
            "MPL-5 drpall NSA_ELPETRO_TH50_R, NSA_ELPETRO_MASS (main sample)",
        ),
    ]
    rows = []
    for name, mock, real, source in pairs:
        (rm, nm), (rr, nr) = _pearson(*mock), _pearson(*real)
        rows.append(
            {"quantity": name, "mock_median": rm, "mock_n": nm, "real_median": rr, "real_n": nr, "real_source": source}
        )
    sizes = _col(drpall, "ifudesignsize")[main]
    d_re_lin = _col(drpall, "nsa_elpetro_th50_r")[main]
    for f in FIBRE_COUNTS:
        rows.append(
            _distribution_row(
                f"Re [arcsec] in {f}-fibre IFUs",
                _stats(catalogue.loc[catalogue["n_fibres"] == f, "re_arcsec"]),
                _stats(d_re_lin[sizes == f]),
                "MPL-5 drpall NSA_ELPETRO_TH50_R by IFUDESIGNSIZE (main sample)",
            )
        )
    return rows


def to_markdown(df: pd.DataFrame) -> str:
    def rng(row, who):
        med, lo, hi = row[f"{who}_median"], row.get(f"{who}_p16"), row.get(f"{who}_p84")
        if pd.isna(lo):
            return f"{med:.3g}"
        return f"{med:.3g} [{lo:.3g}, {hi:.3g}]"

    lines = [
        "| quantity | mock: median [16%, 84%] or r | real: median [16%, 84%] or r | real source (N) |",
        "|---|---|---|---|",
    ]
    for _, row in df.iterrows():
        lines.append(
            f"| {row['quantity']} | {rng(row, 'mock')} | {rng(row, 'real')} | "
            f"{row['real_source']} ({int(row['real_n'])}) |"
        )
    return "\n".join(lines) + "\n"


#: the probe table's reference row: the mock's true physical parameters as the features
PHYSICS_ROW = "true physical parameters"
#: the true populations among which the slow / fast rotator probe separates
EARLY_TYPES = ("quenched_fast_rotator", "slow_rotator")


def slow_fast_accuracy(features: np.ndarray, population: np.ndarray, seed: int = 0) -> float:
    """The slow / fast rotator probe: cross-validated accuracy of a linear probe of slow
    against fast rotators among the true early types (``population``: one per row of
    ``features``)."""
    from manga_ssl.analysis.probes import linear_probe_accuracy

    early = np.isin(population, EARLY_TYPES)
    return linear_probe_accuracy(features[early], population[early] == "slow_rotator", seed)


def slow_fast_majority(population: np.ndarray) -> float:
    """The slow / fast rotator probe's floor: the majority class's share among the early types."""
    early = np.asarray(population)[np.isin(population, EARLY_TYPES)]
    share = float(np.mean(early == "slow_rotator")) if early.size else float("nan")
    return max(share, 1 - share)


def division_row(name: str, k: int, per_run: list[dict]) -> dict:
    """A k-division's ARI and NMI against the truth (:func:`analysis.probes.cluster_scores`
    of each run), mean and std over its runs."""
    ari, nmi = np.array([r["ari"] for r in per_run]), np.array([r["nmi"] for r in per_run])
    return {
        "representation": name,
        "k": k,
        "ari": ari.mean(),
        "ari_std": ari.std(),
        "nmi": nmi.mean(),
        "nmi_std": nmi.std(),
        "n_runs": len(per_run),
    }


def scores_per_run(division: pd.DataFrame, true) -> list[dict]:
    """:func:`analysis.probes.cluster_scores` of each (replica, K-means seed) run of a labels
    table at one k, against ``true`` (one value per row of ``division``)."""
    from manga_ssl.analysis.probes import cluster_scores

    runs = division.assign(true=np.asarray(true)).groupby(["replica", "kmeans_seed"], observed=True)
    return [cluster_scores(g["label"].to_numpy(), g["true"].to_numpy()) for _, g in runs]


def standardised_physics(targets: np.ndarray, groups) -> tuple[np.ndarray, np.ndarray]:
    """The true physical columns of :func:`analysis.probes.probe_targets`' ``targets``, each
    standardised: (known (N,), the galaxies with every one of them; features (N, P), 0 where
    one is missing)."""
    physics = targets[:, [g == "physical" for _, g in groups]]
    known = np.isfinite(physics).all(axis=1)
    return known, np.where(known[:, None], (physics - np.nanmean(physics, 0)) / np.nanstd(physics, 0), 0.0)


def representations_vs_truth(
    tables: dict,
    labels: dict,
    catalogue: pd.DataFrame,
    truth: pd.DataFrame,
    k: int,
    seed: int = 0,
    max_replicas: int = 3,
    kmeans_seeds=(0,),
    n_init: int | None = None,
):
    """Mock only: how physical and how instrumental each representation is.

    ``tables``: {name: [representation tables (replicas)]}; ``labels``: {name:
    labels parquet}. Returns (cluster scores frame, probe frame): the adjusted
    Rand index and NMI of the k-division against the true populations (mean,
    std over replicas x K-means seeds), and the cross-validated R^2 of linear
    probes to each target (mean, std over up to ``max_replicas`` replicas).

    Beyond the paper, ``slow_fast_accuracy``: the cross-validated accuracy of a linear probe
    of slow against fast rotators among the true early types (the line K-means' k=3 division
    may not follow although h holds it; docs/science.md, section 18), with the majority
    class's share in ``slow_fast_majority``.

    Beyond the paper, for the instrumental targets: ``r2_given_physical``, the partial R^2
    once the true physical parameters are known (:func:`analysis.probes.linear_probe_r2`
    with ``given``), and a reference row (:data:`PHYSICS_ROW`) whose features are the true
    physical parameters themselves: how much of each instrumental parameter the survey's
    selection ties to the physics, which a representation of the physics alone predicts too.
    That row's ARI and NMI are those of K-means (``k``, each of ``kmeans_seeds``, ``n_init``
    starts) on the standardised true physical parameters: what a representation that held
    the physics exactly, and nothing else, would give K-means' division on this survey.
    """
    from manga_ssl.analysis.clustering import PAPER_N_INIT, kmeans_labels
    from manga_ssl.analysis.labels import load_replicas
    from manga_ssl.analysis.probes import cluster_scores, linear_probe_r2, probe_targets

    truth_pop = truth.set_index("plateifu")["population"]
    score_rows, probe_rows = [], []

    def slow_fast(features, plateifu):
        """Accuracies of the slow / fast rotator probe, one per set of features."""
        pop = truth_pop.reindex(pd.Index(plateifu).astype(str)).to_numpy()
        return np.array([slow_fast_accuracy(f, pop, seed) for f in features])

    def add_probes(name, features, targets, groups):
        physics = targets[:, [g == "physical" for _, g in groups]]
        r2 = np.array([linear_probe_r2(f, targets, seed) for f in features])
        r2_given = np.array([linear_probe_r2(f, targets, seed, given=physics) for f in features])
        for j, (target, group) in enumerate(groups):
            partial = group == "instrumental"
            probe_rows.append(
                {
                    "representation": name,
                    "target": target,
                    "group": group,
                    "r2": r2[:, j].mean(),
                    "r2_std": r2[:, j].std(),
                    "r2_given_physical": r2_given[:, j].mean() if partial else np.nan,
                    "r2_given_physical_std": r2_given[:, j].std() if partial else np.nan,
                    "n_replicas": len(r2),
                }
            )

    for name, paths in tables.items():
        lab = pd.read_parquet(labels[name])
        lab = lab[lab["k"] == k]
        per_run = scores_per_run(lab, truth_pop.reindex(lab["plateifu"].astype(str)).to_numpy())
        score_rows.append(division_row(name, k, per_run))
        plateifu, features, _ = load_replicas(list(paths)[:max_replicas])
        accuracy = slow_fast(features, plateifu)
        score_rows[-1].update(slow_fast_accuracy=accuracy.mean(), slow_fast_accuracy_std=accuracy.std())
        cat = catalogue.set_index("plateifu").reindex(plateifu).reset_index()
        targets, groups = probe_targets(cat, truth)
        add_probes(name, features, targets, groups)

    targets, groups = probe_targets(catalogue, truth)
    known, standardised = standardised_physics(targets, groups)
    r2 = linear_probe_r2(standardised[known], targets[known], seed)
    for j, (target, group) in enumerate(groups):
        if group == "instrumental":
            probe_rows.append(
                {"representation": PHYSICS_ROW, "target": target, "group": group, "r2": r2[j], "r2_std": 0.0}
            )
    plateifu = catalogue["plateifu"].to_numpy()[known]
    accuracy = slow_fast([standardised[known]], plateifu)[0]
    population = truth_pop.reindex(pd.Index(plateifu).astype(str)).to_numpy()
    per_seed = [
        cluster_scores(kmeans_labels(standardised[known], k, s, n_init or PAPER_N_INIT), population)
        for s in kmeans_seeds
    ]
    score_rows.append(
        {**division_row(PHYSICS_ROW, k, per_seed), "slow_fast_accuracy": accuracy, "slow_fast_accuracy_std": 0.0}
    )
    scores = pd.DataFrame(score_rows)
    scores["slow_fast_majority"] = slow_fast_majority(truth_pop.to_numpy())
    return scores, pd.DataFrame(probe_rows)


def write_truth_tables(scores: pd.DataFrame, probes: pd.DataFrame, stem) -> None:
    """One table: per representation, ARI/NMI and mean probe R^2 (physical, instrumental,
    instrumental given the physics), then R^2 per target and the partial R^2 per instrumental
    target; CSV numbers, Markdown and LaTeX. Missing numbers (the physics row has no physical
    probes) are shown as a dash."""
    from manga_ssl.analysis.probes import INSTRUMENTAL, PHYSICAL_TRUTH
    from manga_ssl.analysis.tables import pm, write_table

    names = {**PHYSICAL_TRUTH, **INSTRUMENTAL}
    wide = probes.pivot(index="representation", columns="target", values="r2")
    given = probes.pivot(index="representation", columns="target", values="r2_given_physical")[list(INSTRUMENTAL)]
    summary = probes.groupby(["representation", "group"])["r2"].mean().unstack()
    summary["instrumental_given_physical"] = given.mean(axis=1, skipna=False)
    numbers = (
        scores.set_index("representation")
        .join(summary.add_prefix("mean_r2_"))
        .join(wide.add_prefix("r2_"))
        .join(given.add_suffix("_given_physical").add_prefix("r2_"))
    )

    def fmt(values, spec):
        return [format(v, spec) if np.isfinite(v) else "-" for v in values]

    def pm_or_dash(mean, std):
        return [pm(a, b) if np.isfinite(a) else "-" for a, b in zip(mean, std)]

    shown = pd.DataFrame(
        {
            "representation": numbers.index,
            "ARI": pm_or_dash(numbers["ari"], numbers["ari_std"]),
            "NMI": pm_or_dash(numbers["nmi"], numbers["nmi_std"]),
            "slow/fast probe": pm_or_dash(numbers["slow_fast_accuracy"], numbers["slow_fast_accuracy_std"]),
            "mean R2 physical": fmt(numbers["mean_r2_physical"], ".3f"),
            "mean R2 instrumental": fmt(numbers["mean_r2_instrumental"], ".3f"),
            "mean R2 instrumental given phys": fmt(numbers["mean_r2_instrumental_given_physical"], ".3f"),
            **{f"R2 {names[t]}": fmt(numbers[f"r2_{t}"], ".2f") for t in names},
            **{f"R2 {names[t]} given phys": fmt(numbers[f"r2_{t}_given_physical"], ".2f") for t in INSTRUMENTAL},
        }
    )
    k = int(scores["k"].iloc[0])
    write_table(
        numbers.reset_index(),
        shown,
        stem,
        f"Representations against the mock survey's truth: adjusted Rand index and normalised mutual "
        f"information of the {k}-cluster K-means division against the true populations (mean ± std over "
        "replicas x K-means seeds), and cross-validated R^2 of linear (ridge) probes from each "
        "representation to physical parameters (true values) and instrumental ones (as observed). "
        "SimCLR should be high on the physical and low on the instrumental probes, PCA the reverse. "
        "Beyond the paper: 'given phys' is the partial R^2 of an instrumental parameter once the true "
        "physical parameters are known (the probe predicts its residual from a linear fit on them), "
        f"and the row '{PHYSICS_ROW}' probes the instrumental parameters from the true physical ones: "
        "what the survey's selection ties to the physics, which a representation of the physics alone "
        "predicts too; its ARI and NMI are K-means' (same seeds and starts) on the standardised true "
        "physical parameters: what a representation of the physics alone would give on this survey. "
        "'slow/fast probe': cross-validated accuracy of a linear probe of slow against fast rotators "
        "among the true early types, which a representation can hold where its K-means division "
        f"does not follow it (the majority class: {scores['slow_fast_majority'].iloc[0]:.3f}).",
    )


def divisions_vs_truth(
    labels: dict,
    catalogue: pd.DataFrame,
    truth: pd.DataFrame,
    kmeans_seeds=(0,),
    n_init: int | None = None,
    tables: dict | None = None,
    max_replicas: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Mock only, beyond the paper: every representation's K-means divisions against the
    mock's true division into as many groups (:data:`analysis.bias_regression.TRUE_DIVISIONS`:
    k=2 early against late types, k=3 the three populations), whatever the normalisation:
    the individual normalisation's k=2 division is scored too, which the truth table's
    relative k=3 leaves out.

    ``labels``: {name: labels parquet (plateifu, k, replica, kmeans_seed, label)}. One row
    per representation and k it was clustered at (:func:`division_row`: ARI and NMI, mean
    and std over replicas x K-means seeds), then per k the row :data:`PHYSICS_ROW`: K-means
    (``kmeans_seeds``, ``n_init`` starts) on the standardised true physical parameters.

    ``tables``: {name: its embedding tables}; where given, each of the representation's rows
    also holds ``early_late_probe``: the cross-validated accuracy of a linear probe of early
    against late types on the features as K-means sees them
    (:func:`analysis.clustering.prepare`; first ``max_replicas`` replicas, mean, std and
    their number; folds seeded by ``seed``), and ``early_late_majority`` the larger class's share. A
    representation can hold the split (a high probe accuracy) where its division does not
    follow it (a low ARI at k=2): the split is then not where its variance is."""
    from manga_ssl.analysis.bias_regression import TRUE_DIVISIONS, true_labels
    from manga_ssl.analysis.clustering import PAPER_N_INIT, kmeans_labels, prepare
    from manga_ssl.analysis.labels import load_replicas
    from manga_ssl.analysis.probes import cluster_scores, linear_probe_accuracy, probe_targets
    from manga_ssl.core.names import kind_of

    def early_late_probe(features, plateifu):
        early = true_labels(truth, plateifu, 2).astype(bool)
        accuracy = np.array([linear_probe_accuracy(f, early, seed) for f in features])
        return {
            "early_late_probe": accuracy.mean(),
            "early_late_probe_std": accuracy.std(),
            "early_late_probe_n": len(accuracy),
            "early_late_majority": max(early.mean(), 1 - early.mean()),
        }

    rows = []
    for name, path in labels.items():
        lab = pd.read_parquet(path)
        probe = {}
        if tables and tables.get(name):
            plateifu, features, _ = load_replicas(list(tables[name])[:max_replicas])
            probe = early_late_probe([prepare(f, kind_of(name)) for f in features], plateifu)
        for k in TRUE_DIVISIONS:
            at_k = lab[lab["k"] == k]
            if len(at_k):  # the true division once per k, not once per run
                per_run = scores_per_run(at_k, true_labels(truth, at_k["plateifu"], k))
                rows.append({**division_row(name, k, per_run), **probe})
    targets, groups = probe_targets(catalogue, truth)
    known, standardised = standardised_physics(targets, groups)
    plateifu = catalogue["plateifu"].to_numpy()[known]
    probe = early_late_probe([standardised[known]], plateifu) if tables else {}
    for k in TRUE_DIVISIONS:
        true = true_labels(truth, plateifu, k)
        per_seed = [
            cluster_scores(kmeans_labels(standardised[known], k, s, n_init or PAPER_N_INIT), true) for s in kmeans_seeds
        ]
        rows.append({**division_row(PHYSICS_ROW, k, per_seed), **probe})
    columns = ["representation", "k", "ari", "ari_std", "nmi", "nmi_std", "n_runs"]
    if tables:
        columns += ["early_late_probe", "early_late_probe_std", "early_late_probe_n", "early_late_majority"]
    return pd.DataFrame(rows, columns=columns)


def write_divisions_table(scores: pd.DataFrame, stem) -> None:
    """:func:`divisions_vs_truth`'s table: one row per representation (in ``scores``' order),
    the ARI and NMI of each k side by side; CSV numbers (long), Markdown and LaTeX."""
    from manga_ssl.analysis.bias_regression import TRUE_DIVISION_NAMES
    from manga_ssl.analysis.tables import pm, write_table

    order = list(dict.fromkeys(scores["representation"]))
    shown = pd.DataFrame({"representation": order})
    probe = ""
    if "early_late_probe" in scores:
        first = scores.drop_duplicates("representation").set_index("representation").reindex(order)
        shown["early/late probe"] = [
            pm(m, s, digits=3) if np.isfinite(m) else "-"
            for m, s in zip(first["early_late_probe"], first["early_late_probe_std"])
        ]
        probe = (
            " 'early/late probe': the cross-validated accuracy of a linear probe of early against late "
            "types on the features as K-means sees them (mean ± std over the first replicas, at most "
            f"{int(first['early_late_probe_n'].max())}; the larger class: {first['early_late_majority'].max():.3f}): "
            "a representation that holds the split "
            "where its k=2 division does not follow it has the split away from its largest variance."
        )
    for k in sorted(scores["k"].unique()):
        at_k = scores[scores["k"] == k].set_index("representation").reindex(order)
        for score in ("ari", "nmi"):
            shown[f"{score.upper()} k={k}"] = [
                pm(m, s, digits=2) if np.isfinite(m) else "-" for m, s in zip(at_k[score], at_k[f"{score}_std"])
            ]
    truths = "; ".join(f"k={k}: {TRUE_DIVISION_NAMES[k]}" for k in sorted(scores["k"].unique()))
    write_table(
        scores,
        shown,
        stem,
        "Beyond the paper: every representation's K-means divisions against the mock survey's "
        f"true division into as many groups ({truths}): adjusted Rand index and normalised mutual "
        "information, mean ± std over replicas x K-means seeds; a dash where the representation "
        f"was not clustered at that k. The row '{PHYSICS_ROW}' is K-means (same seeds and starts) on "
        "the standardised true physical parameters: what a representation of the physics alone "
        "would give on this survey. The paper studies the relative normalisation's k=3 division "
        "and the individual normalisation's k=2." + probe,
    )
