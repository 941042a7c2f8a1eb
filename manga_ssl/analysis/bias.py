"""Bias regression (paper Section 4.2, Tables 1 and 2).

For each cluster: a balanced binary sample (its members and as many random
non-members), a linear classifier of the standardised parameters fitted on 80%
and scored on the held-out 20%. The paper's words, "a linear regression fit of
the parameters to a binary classification", are taken literally by default
(``fit="least_squares"``: least squares on the 0/1 labels, a galaxy is a member
above 0.5); an L2 logistic regression is offered beside it (``fit="logistic"``).
With the non-physical (instrumental) parameters
the largest validation accuracy over the clusters is Acc_max non-phys: a
division is rejected when it exceeds 65%, as the cluster could then be an
instrumental artefact. With the physical parameters the mean over the clusters
is Acc_mean phys, and each parameter's normalised |coefficient| is its
contribution in percent (Table 2).

Beyond the paper (:func:`conditional_fit`): the paper's test is confounded by
the sample selection (MaNGA observes massive galaxies at higher z, so even a
purely physical division is predicted from z). What the non-physical
parameters *add* once the physical ones are known separates the two: on one
balanced sample and split, physical-only and physical + non-physical fits; the
held-out accuracy gain is ~0 for a physical cluster however strongly z tracks
it, and large for an instrumental one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


#: Fig. 2, left columns: parameters a physical division must not depend on.
NON_PHYSICAL = {
    "n_fibres": "N fibres",
    "re_arcsec": "Re [arcsec]",
    "n_zero_pixels": "N zero pixels",
    "position_angle": "PA",
    "rotation_angle": "RA",
    "coverage": "D_IFU/Re",
    "z": "z",
}

#: Beyond the paper: the same parameters with the angles as a linear fit can see them, the
#: position angle as an axis (cos 2PA, sin 2PA) and the rotation angle as a direction.
NON_PHYSICAL_ORIENTED = {
    "n_fibres": "N fibres",
    "re_arcsec": "Re [arcsec]",
    "n_zero_pixels": "N zero pixels",
    "cos_2pa": "cos 2PA",
    "sin_2pa": "sin 2PA",
    "cos_ra": "cos RA",
    "sin_ra": "sin RA",
    "coverage": "D_IFU/Re",
    "z": "z",
}

#: Table 2's integrated physical parameters (column name in the catalogue after :func:`derived_columns`).
PHYSICAL = {
    "log_sigma_cen": "log(sigma)",
    "age_lw_re": "LW Age_Re",
    "log_re_kpc": "log(Re[kpc])",
    "lambda_re": "lambda_Re",
    "log_sfr": "log(SFR_Halpha)",
    "zh_lw_re": "LW ZH_Re",
    "grad_zh_lw": "grad LW ZH_Re",
    "grad_age_lw": "grad LW Age_Re",
}


def derived_columns(catalogue: pd.DataFrame) -> pd.DataFrame:
    """The catalogue with the logarithmic columns of Table 2 added."""
    out = catalogue.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["log_sigma_cen"] = np.log10(out["sigma_cen"].where(out["sigma_cen"] > 0))
        out["log_re_kpc"] = np.log10(out["re_kpc"].where(out["re_kpc"] > 0))
    pa, ra = np.radians(out["position_angle"]), np.radians(out["rotation_angle"])
    out["cos_2pa"], out["sin_2pa"] = np.cos(2 * pa), np.sin(2 * pa)
    out["cos_ra"], out["sin_ra"] = np.cos(ra), np.sin(ra)
    return out


def standardised(catalogue: pd.DataFrame, columns) -> np.ndarray:
    """(N, P) zero-mean unit-variance parameters; NaN stays NaN."""
    x = catalogue[list(columns)].to_numpy(dtype=np.float64)
    mean, std = np.nanmean(x, axis=0), np.nanstd(x, axis=0)
    return (x - mean) / np.where(std > 0, std, 1.0)


def balanced_split(members: np.ndarray, ok: np.ndarray, seed, test_fraction: float = 0.2):
    """(train, y_train, test, y_test) of members vs as many random non-members, or None.

    Only galaxies with ``ok`` take part; both classes are the same size (the
    smaller of the two sets) and each is split 80/20 on its own, so the held-out
    set stays balanced. None when either class has fewer than 5 galaxies.
    """
    inside, outside = np.flatnonzero(members & ok), np.flatnonzero(~members & ok)
    n = min(len(inside), len(outside))
    if n < 5:
        return None
    rng = np.random.default_rng(seed)  # an int or a sequence of ints
    n_test = max(1, int(round(test_fraction * n)))
    train, test = [], []
    for group in (inside, outside):
        chosen = rng.choice(group, n, replace=False)  # in random order: the first n_test are held out
        test.append(chosen[:n_test]), train.append(chosen[n_test:])
    return (
        np.concatenate(train),
        np.r_[np.ones(n - n_test), np.zeros(n - n_test)],
        np.concatenate(test),
        np.r_[np.ones(n_test), np.zeros(n_test)],
    )


def cluster_fit(members: np.ndarray, params: np.ndarray, seed, test_fraction: float = 0.2, fit: str = "least_squares"):
    """(validation accuracy, contributions in % (P,)) of members vs random non-members.

    Galaxies with a missing parameter are left out (see :func:`balanced_split`);
    ``fit``: the linear classifier (:data:`FITS`).
    """
    p = params.shape[1]
    split = balanced_split(members, np.isfinite(params).all(axis=1), seed, test_fraction)
    if split is None:
        return np.nan, np.full(p, np.nan)
    train, y_train, test, y_test = split
    w, b = FITS[fit](params[train], y_train)
    predicted = (params[test] @ w + b) > 0
    coef = np.abs(w)
    total = coef.sum()
    return float(np.mean(predicted == y_test)), (100 * coef / total if total > 0 else np.full(p, 100 / p))


def deviance(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """-2 log-likelihood of labels ``y`` under the logistic model (w, b)."""
    z = x @ w + b
    return float(2 * np.sum(np.logaddexp(0, z) - y * z))


def conditional_fit(
    members: np.ndarray,
    physical: np.ndarray,
    non_physical: np.ndarray,
    seed,
    test_fraction: float = 0.2,
    fit: str = "least_squares",
) -> dict:
    """What the non-physical parameters add to the physical ones in predicting membership.

    One balanced sample and 80/20 split (:func:`balanced_split`, the same as
    :func:`cluster_fit` for the same seed, drawn among the galaxies with every
    parameter), two nested fits: (i) physical parameters only, (ii) physical +
    non-physical. Returns the held-out accuracies ``acc_phys`` and ``acc_both``,
    their difference ``gain`` (the acceptance statistic), and the likelihood-ratio
    statistic ``lr`` (training deviance of (i) minus that of (ii)) with its
    chi-square p-value ``lr_pvalue`` (degrees of freedom: the number of
    non-physical parameters). The accuracies come from ``fit``; the likelihood
    ratio needs a likelihood, so it is computed only with ``fit="logistic"``
    (NaN otherwise). A cluster that the physical parameters explain,
    however strongly a non-physical parameter correlates with them through the
    sample selection, gains nothing; one that the instrument makes does.
    """
    from scipy.stats import chi2

    both = np.column_stack([physical, non_physical])
    split = balanced_split(members, np.isfinite(both).all(axis=1), seed, test_fraction)
    nan = {"acc_phys": np.nan, "acc_both": np.nan, "gain": np.nan, "lr": np.nan, "lr_pvalue": np.nan}
    if split is None:
        return nan
    train, y_train, test, y_test = split
    out = {}
    for name, x in (("phys", physical), ("both", both)):
        w, b = FITS[fit](x[train], y_train)
        out[f"acc_{name}"] = float(np.mean(((x[test] @ w + b) > 0) == y_test))
        out[f"dev_{name}"] = deviance(x[train], y_train, w, b) if fit == "logistic" else np.nan
    lr = max(0.0, out.pop("dev_phys") - out.pop("dev_both"))  # the L2 penalty can make it a hair negative
    if fit != "logistic":
        lr = np.nan
    return {
        **out,
        "gain": out["acc_both"] - out["acc_phys"],
        "lr": lr,
        "lr_pvalue": float(chi2.sf(lr, non_physical.shape[1])) if np.isfinite(lr) else np.nan,
    }


def gain_by_parameter(
    members: np.ndarray,
    physical: np.ndarray,
    non_physical: np.ndarray,
    seed,
    test_fraction: float = 0.2,
    fit: str = "least_squares",
) -> dict:
    """Which non-physical parameter the conditional test's gain comes from (beyond the paper).

    :func:`conditional_fit`'s gain with all the non-physical parameters (``all``), with each
    one alone added to the physical ones (``alone``, one per column of ``non_physical``), and
    what is lost when each one is left out (``unique``: ``all`` minus the gain without it).
    A parameter that the others stand in for has a large ``alone`` and a small ``unique``.
    Each fit draws its own balanced sample and split from ``seed`` as
    :func:`conditional_fit` does (the same sample where no value is missing).
    """

    def gain(columns):
        return conditional_fit(members, physical, non_physical[:, columns], seed, test_fraction, fit)["gain"]

    every = list(range(non_physical.shape[1]))
    total = gain(every)
    alone = np.array([gain([j]) for j in every])
    unique = np.array([total - gain([i for i in every if i != j]) for j in every])
    return {"all": total, "alone": alone, "unique": unique}


def least_squares_fit(x: np.ndarray, y: np.ndarray):
    """(weights, offset) of the paper's linear regression of 0/1 labels on the parameters;
    the offset includes the 0.5 threshold, so that ``x @ w + b > 0`` classifies as with
    :func:`logistic_fit`."""
    design = np.column_stack([x, np.ones(len(x))])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    return beta[:-1], float(beta[-1] - 0.5)


def logistic_fit(x: np.ndarray, y: np.ndarray, c: float = 1.0, tol: float = 1e-10, max_iter: int = 100):
    """(weights, intercept) of an L2-regularised logistic regression, by Newton's method.

    Minimises |w|^2 / 2 + c * sum(log-loss), the intercept unpenalised: the
    objective of scikit-learn's ``LogisticRegression()`` (tested to agree with
    it), without its per-call validation, which cost 10x the fit itself on
    these 7-parameter problems run ~10^4 times per representation.
    """
    design = np.column_stack([x, np.ones(len(x))])
    penalty = np.ones(design.shape[1])
    penalty[-1] = 0.0
    beta = np.zeros(design.shape[1])
    for _ in range(max_iter):
        prob = 0.5 * (1 + np.tanh(0.5 * (design @ beta)))  # the logistic function, overflow-free
        gradient = c * design.T @ (prob - y) + penalty * beta
        hessian = c * (design.T * (prob * (1 - prob))) @ design + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-12 * np.eye(len(beta)), gradient)
        beta -= step
        if np.max(np.abs(step)) < tol * max(1.0, np.max(np.abs(beta))):
            break
    return beta[:-1], float(beta[-1])


#: What the conditional test conditions on: Table 2's parameters and the stellar mass,
#: through which MaNGA's selection (luminosity -> redshift) reaches the non-physical ones.
CONDITIONING = {**PHYSICAL, "log_mass": "log M*"}


def conditioning(catalogue: pd.DataFrame) -> np.ndarray:
    """The standardised :data:`CONDITIONING` parameters; a column the catalogue lacks
    entirely (e.g. no Pipe3D catalogue) is left out rather than emptying every row."""
    present = [c for c in CONDITIONING if c in catalogue and catalogue[c].notna().any()]
    return standardised(catalogue, present)


def parameter_sets(catalogue: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The standardised parameters of :func:`division_bias`, in its argument order:
    non-physical, physical, the conditional test's conditioning set, and the non-physical
    ones with the angles as axes; ``catalogue`` after :func:`derived_columns`."""
    return (
        standardised(catalogue, NON_PHYSICAL),
        standardised(catalogue, PHYSICAL),
        conditioning(catalogue),
        standardised(catalogue, NON_PHYSICAL_ORIENTED),
    )


def largest_over_clusters(values) -> np.ndarray:
    """The largest value over the clusters (the first axis of ``values``), NaN where none is
    finite (no cluster could be scored: too few galaxies), without numpy's all-NaN warning."""
    values = np.asarray(values, float)
    top = np.where(np.isnan(values), -np.inf, values).max(axis=0)
    return np.where(np.isfinite(values).any(axis=0), top, np.nan)


def division_bias(
    labels: np.ndarray,
    k: int,
    non_physical: np.ndarray,
    physical: np.ndarray,
    seed,
    conditioning: np.ndarray | None = None,
    fit: str = "least_squares",
    oriented: np.ndarray | None = None,
) -> dict:
    """One division's bias numbers.

    The paper's: Acc_max non-phys (largest over the clusters), Acc_mean phys
    (mean) and the per-cluster physical contributions. Beyond the paper:
    ``acc_gain_nonphys``, the largest held-out accuracy gain of physical +
    non-physical over physical parameters alone (:func:`conditional_fit`), and
    the largest likelihood-ratio statistic ``lr_nonphys`` with the smallest
    p-value ``lr_pvalue_min`` over the clusters; the conditional test conditions on
    ``conditioning`` (default: ``physical``); and, where ``oriented`` holds the
    :data:`NON_PHYSICAL_ORIENTED` parameters, ``acc_max_nonphys_oriented``: the
    paper's Acc_max non-phys with the angles as axes and directions.
    """
    given = physical if conditioning is None else conditioning
    acc_non, acc_phys, contrib, cond, acc_oriented = [], [], [], [], []
    for c in range(k):
        members = labels == c
        key = [*np.atleast_1d(seed).tolist(), c]
        a, _ = cluster_fit(members, non_physical, key, fit=fit)
        b, w = cluster_fit(members, physical, key, fit=fit)
        acc_non.append(a), acc_phys.append(b), contrib.append(w)
        cond.append(conditional_fit(members, given, non_physical, key, fit=fit))
        acc_oriented.append(cluster_fit(members, oriented, key, fit=fit)[0] if oriented is not None else np.nan)
    gains = np.array([c["gain"] for c in cond])
    lr, pvalue = np.array([c["lr"] for c in cond]), np.array([c["lr_pvalue"] for c in cond])

    def largest(v):
        return float(largest_over_clusters(v))

    return {
        "acc_max_nonphys": largest(acc_non),
        "acc_max_nonphys_oriented": largest(acc_oriented),
        "acc_mean_phys": float(np.nanmean(acc_phys)) if np.isfinite(acc_phys).any() else np.nan,
        "acc_nonphys": np.array(acc_non),
        "contributions": np.array(contrib),
        "acc_gain_nonphys": largest(gains),
        "gains": gains,
        "lr_nonphys": largest(lr),
        "lr_pvalue_min": -largest(-pvalue),
    }


#: The linear classifiers of the bias regression (config ``analysis.bias_fit``).
FITS = {"least_squares": least_squares_fit, "logistic": logistic_fit}
