"""Beyond the paper, on the mock survey: how much physics and how much instrument each
representation holds, measured against what the mock knows to be true.

* adjusted Rand index and normalised mutual information of the clusters against
  the mock's true populations;
* linear probes: cross-validated R^2 of a ridge regression from a representation
  to each physical and each instrumental parameter. The paper's claim, made
  quantitative: SimCLR should predict physics better, and instruments worse,
  than PCA.
"""

from __future__ import annotations

import numpy as np


def cluster_scores(labels: np.ndarray, truth: np.ndarray) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {"ari": float(adjusted_rand_score(truth, labels)), "nmi": float(normalized_mutual_info_score(truth, labels))}


def linear_probe_r2(
    features: np.ndarray, targets: np.ndarray, seed: int = 0, folds: int = 5, given: np.ndarray | None = None
) -> np.ndarray:
    """Cross-validated R^2 (mean over ``folds``) of a ridge regression from the features to
    each column of ``targets`` (N, T); the regularisation of each target is chosen by
    efficient leave-one-out CV inside the training folds (:func:`ridge_loo`). Galaxies
    with a missing target are left out (of every target, so one decomposition serves all).

    The features are centred and divided by one common scale, not standardised one by
    one: standardising would inflate PCA's noise components to the weight of the leading
    ones, while ridge should shrink the directions of little variance.

    ``given`` (N, G), beyond the paper: a partial R^2. In each fold every target is first
    replaced by its residual from a least-squares fit on ``given`` (fitted on the training
    galaxies), and the probe predicts that residual: the share of the target's variance that
    ``given`` does not explain and the features do. With the true physical parameters as
    ``given`` it separates an instrumental parameter that the representation reads from the
    maps from one it predicts only because the survey's selection ties it to the physics
    (the mass-redshift relation).
    """
    from sklearn.model_selection import KFold

    targets = np.asarray(targets, np.float64).reshape(len(targets), -1)
    ok = np.isfinite(targets).all(axis=1)
    if given is not None:
        given = np.asarray(given, np.float64).reshape(len(targets), -1)
        ok &= np.isfinite(given).all(axis=1)
        given = given[ok]
    x, y = np.asarray(features, np.float64)[ok], targets[ok]
    if len(y) < 2 * folds:
        return np.full(targets.shape[1], np.nan)
    scores = []
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(x):
        yt, yv = y[train], y[test]
        if given is not None:
            yt, yv = residuals(given[train], yt, given[test], yv)
        pred = _ridge_fit_predict(x[train], yt, x[test])
        resid = ((yv - pred) ** 2).sum(axis=0)
        total = ((yv - yv.mean(axis=0)) ** 2).sum(axis=0)
        scores.append(1 - resid / np.where(total > 0, total, np.nan))
    return np.nanmean(np.array(scores), axis=0)


def _ridge_fit_predict(x_train, y_train, x_test):
    """The probes' ridge regression: fitted on the training rows (centred, divided by one
    common scale, the penalty chosen by leave-one-out), predicted for the test rows."""
    centre = x_train.mean(axis=0)
    scale = np.sqrt(np.mean(np.sum((x_train - centre) ** 2, axis=1))) or 1.0
    weights, offset = ridge_loo((x_train - centre) / scale, y_train, len(x_train) * np.logspace(-7, 1, 17))
    return (x_test - centre) / scale @ weights + offset


def linear_probe_accuracy(features: np.ndarray, classes: np.ndarray, seed: int = 0, folds: int = 5) -> float:
    """Cross-validated accuracy of a linear classifier of two classes (``classes``, boolean):
    the ridge probe of :func:`linear_probe_r2` fitted to +-1 and read by its sign, over
    ``folds`` stratified folds. NaN when a class has fewer galaxies than folds."""
    from sklearn.model_selection import StratifiedKFold

    classes = np.asarray(classes, bool)
    x = np.asarray(features, np.float64)
    if min(classes.sum(), (~classes).sum()) < folds:
        return float("nan")
    y = np.where(classes, 1.0, -1.0)[:, None]
    correct = 0
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, classes):
        correct += int(np.sum((_ridge_fit_predict(x[train], y[train], x[test])[:, 0] > 0) == classes[test]))
    return correct / len(x)


def residuals(g_train, y_train, g_test, y_test):
    """Residuals of a least-squares fit (with intercept) of y on g, fitted on the training rows."""
    centre, scale = g_train.mean(axis=0), g_train.std(axis=0)
    scale[scale == 0] = 1.0

    def design(g):
        return np.column_stack([np.ones(len(g)), (g - centre) / scale])

    beta = np.linalg.lstsq(design(g_train), y_train, rcond=None)[0]
    return y_train - design(g_train) @ beta, y_test - design(g_test) @ beta


def ridge_loo(x: np.ndarray, y: np.ndarray, alphas) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression of each column of ``y`` on centred ``x`` (N, D), its penalty chosen
    among ``alphas`` by exact leave-one-out error; returns (weights (D, T), intercepts (T,)).

    The same choice as scikit-learn's ``RidgeCV(alpha_per_target=True)`` (tested), from
    one eigendecomposition of the D x D covariance instead of an SVD of the N x D data,
    ~3x faster for N >> D. Leave-one-out residuals: (y - y_hat) / (1 - h) with the hat
    matrix diagonal h = 1/N (the intercept) + sum_j u_j^2 s_j^2 / (s_j^2 + alpha).
    """
    n = len(x)
    y_mean = y.mean(axis=0)
    yc = y - y_mean
    s2, v = np.linalg.eigh(x.T @ x)
    keep = s2 > s2.max() * 1e-12
    s2, v = s2[keep], v[:, keep]
    u = (x @ v) / np.sqrt(s2)
    uty = u.T @ yc
    u2 = u**2
    best_err = np.full(y.shape[1], np.inf)
    best = np.zeros((len(s2), y.shape[1]))
    for alpha in alphas:
        shrink = s2 / (s2 + alpha)
        fitted = u @ (shrink[:, None] * uty)
        hat = 1.0 / n + u2 @ shrink
        err = np.mean(((yc - fitted) / (1 - hat)[:, None]) ** 2, axis=0)
        better = err < best_err
        best_err[better] = err[better]
        best[:, better] = (np.sqrt(s2) / (s2 + alpha))[:, None] * uty[:, better]
    return v @ best, y_mean


#: Probe targets: physical ones from the mock's truth, instrumental ones as observed.
PHYSICAL_TRUTH = {
    "log_mass": "log M*",
    "log_sfr": "log SFR",
    "log_re_kpc": "log Re [kpc]",
    "log_sigma_cen": "log sigma_cen",
    "lambda_re_true": "lambda_Re",
    "age_re": "LW age at Re",
    "zh_re": "LW [Z/H] at Re",
    "grad_age": "grad age",
    "grad_zh": "grad [Z/H]",
}
INSTRUMENTAL = {
    "n_fibres": "N fibres",
    "re_arcsec": "Re [arcsec]",
    "n_zero_pixels": "N zero pixels",
    "coverage": "D_IFU/Re",
    "z": "z",
    "cos_rotation_angle": "cos RA",
    "sin_rotation_angle": "sin RA",
}


def log10_positive(x):
    """log10 of the positive values, NaN elsewhere (catalogue sentinels, zeros)."""
    x = np.asarray(x, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, np.log10(x), np.nan)


#: each physical target: (column of the mock's truth, column of the catalogue, probed in log10)
PHYSICAL_SOURCES = {
    "log_mass": ("log_mass", "log_mass", False),
    "log_sfr": ("log_sfr", "log_sfr", False),
    "log_re_kpc": ("re_kpc", "re_kpc", True),
    "log_sigma_cen": ("sigma_cen_true", "sigma_cen", True),
    "lambda_re_true": ("lambda_re_true", "lambda_re", False),
    "age_re": ("age_re", "age_lw_re", False),
    "zh_re": ("zh_re", "zh_lw_re", False),
    "grad_age": ("grad_age", "grad_age_lw", False),
    "grad_zh": ("grad_zh", "grad_zh_lw", False),
}


def probe_targets(catalogue, truth=None):
    """(N, T) targets in catalogue order and their (name, group) list.

    The physical targets are the mock's true values (``truth``), or, on real data
    (``truth=None``), the catalogue's measured values of the same parameters."""
    import pandas as pd

    c = catalogue.set_index("plateifu")
    source, column = c, 1  # real data: the catalogue's measurements
    if truth is not None:  # the mock: its true values
        source, column = truth.set_index("plateifu").reindex(catalogue["plateifu"]), 0
    physical = {
        name: (log10_positive if log else np.asarray)(source[columns[column]])
        for name, (*columns, log) in PHYSICAL_SOURCES.items()
    }
    cols = {
        **physical,
        "n_fibres": c["n_fibres"],
        "re_arcsec": c["re_arcsec"],
        "n_zero_pixels": c["n_zero_pixels"],
        "coverage": c["coverage"],
        "z": c["z"],
        "cos_rotation_angle": np.cos(np.radians(c["rotation_angle"])),
        "sin_rotation_angle": np.sin(np.radians(c["rotation_angle"])),
    }
    frame = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in cols.items()})
    groups = [(k, "physical") for k in PHYSICAL_TRUTH] + [(k, "instrumental") for k in INSTRUMENTAL]
    return frame.to_numpy(), groups
