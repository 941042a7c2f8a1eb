"""Linear erasure of the instrument from h (beyond the paper).

A linear probe reads the bundle size, the apparent size and the redshift from every SimCLR h
better than from PCA-1024, also once the true physics is known (docs/science.md, sections
11-13): no augmentation or loss term tried removed it. This removes it after training,
from each replica's h: the directions of h along which h covaries with the instrumental
catalogue columns (e.g. ``n_fibres``, ``re_arcsec``) are projected out, so that no linear
function of the erased h covaries with them over the survey (least-squares concept erasure,
in the spirit of Ravfogel et al. 2020 and Belrose et al. 2023; here one orthogonal
projection of rank at most the number of columns).

The selection ties the instrument to the physics (massive galaxies are further away and
fill larger bundles), so erasing the instrument as a whole would take physics with it.
With ``given`` (physical catalogue columns, e.g. ``log_mass``, ``sigma_cen``), what is
erased is the instrument's residual from a linear fit on them: the part of the instrument
that the measured physics does not explain. Both read the catalogue's measured values, on
the mock as on real data, never the mock's truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _standardised(catalogue: pd.DataFrame, columns, option: str, source: str) -> np.ndarray:
    """(N, len(columns)) the columns standardised over their known values
    (:func:`manga_ssl.analysis.bias.standardised`); a missing value becomes 0, the mean, which
    neither adds to nor takes from a covariance. Raises ValueError naming a column that
    ``source`` lacks or that has no known value."""
    from manga_ssl.analysis.bias import standardised

    missing = [c for c in columns if c not in catalogue.columns]
    if missing:
        raise ValueError(
            f"simclr.{option} names {missing}, which {source} does not have "
            f"(its columns: {', '.join(map(str, catalogue.columns))})"
        )
    values = catalogue[list(columns)].apply(pd.to_numeric, errors="coerce")
    empty = [c for c in columns if not np.isfinite(values[c].to_numpy(float)).any()]
    if empty:
        raise ValueError(f"simclr.{option}: {source} has no known value of {empty}")
    return np.nan_to_num(standardised(values, columns), nan=0.0)


#: a categorical column with more values than this is not a category (e.g. a redshift)
MAX_CATEGORIES = 12


def _categories(catalogue: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """(N, V) one standardised indicator per known value of a column (e.g. the bundle sizes),
    a missing value at the mean (0). Raises ValueError for a column with more than
    :data:`MAX_CATEGORIES` values."""
    _standardised(catalogue, [column], "erase_instrument", source)  # the same checks
    values = catalogue[column]
    known = sorted(values.dropna().unique())
    if len(known) > MAX_CATEGORIES:
        raise ValueError(
            f"simclr.erase_categorical: {column} has {len(known)} distinct values in {source}; a "
            f"category per value needs at most {MAX_CATEGORIES}: erase it as a number"
        )
    indicators = pd.DataFrame({v: (values == v).astype(float).where(values.notna()) for v in known})
    return _standardised(indicators, known, "erase_instrument", source)


def instrument_concept(
    catalogue: pd.DataFrame,
    columns,
    given=(),
    source: str = "catalogue",
    categorical=(),
    interactions: bool = False,
) -> np.ndarray:
    """(N, M) what is erased, rows in ``catalogue``'s order: the standardised instrumental
    columns or, with ``given``, their residuals from a least-squares fit on the ``given``
    columns and a constant over the whole survey
    (:func:`manga_ssl.analysis.probes.residuals`).

    ``categorical``: columns of ``columns`` taken as categories, one indicator per value,
    not as numbers: h need not move with the number of fibres in proportion, each bundle
    size may leave its own imprint. ``interactions`` (needs ``given``): each instrumental
    term times each standardised ``given`` column as well, since a bundle crops a large disc
    and a compact elliptical differently: the instrument's imprint on h depends on the
    galaxy's physics (docs/science.md, section 21).

    Raises ValueError naming a column that the catalogue (``source``) lacks or that has no
    known value, a categorical column not among ``columns`` or with too many values, and
    interactions without ``given``."""
    from manga_ssl.analysis.probes import residuals

    if not len(columns):
        raise ValueError("simclr.erase_instrument names no column")
    stray = [c for c in categorical if c not in columns]
    if stray:
        raise ValueError(f"simclr.erase_categorical names {stray}, which simclr.erase_instrument does not")
    if interactions and not len(given):
        raise ValueError("simclr.erase_interactions: the instrument times the physics needs simclr.erase_given")
    numbers = [c for c in columns if c not in categorical]
    terms = [_standardised(catalogue, numbers, "erase_instrument", source)] if numbers else []
    terms += [_categories(catalogue, c, source) for c in categorical]
    concept = np.hstack(terms)
    if len(given):
        physics = _standardised(catalogue, given, "erase_given", source)
        if interactions:
            concept = np.hstack([concept, *(concept * physics[:, [j]] for j in range(physics.shape[1]))])
        concept = residuals(physics, concept, physics, concept)[0]
    return concept


def erasure(h: np.ndarray, concept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The erasure of ``concept`` (N, K) from ``h`` (N, D): (h's mean (D,), an orthonormal
    basis (D, K') of the directions of h that covary with the concept, K' <= K).

    The cross-covariance of h and the concept spans at most K directions of h; removing
    them (:func:`apply_erasure`) leaves every linear function of h uncorrelated with every
    column of the concept over these N galaxies, and changes h in no other direction.
    Raises ValueError when they are all of h's directions."""
    h = np.asarray(h, np.float64)
    concept = np.asarray(concept, np.float64)
    if len(h) != len(concept):
        raise ValueError(f"erasure: h has {len(h)} rows and the concept {len(concept)}")
    mean = h.mean(axis=0)
    centred = h - mean
    concept = concept - concept.mean(axis=0)
    u, s, _ = np.linalg.svd(centred.T @ concept, full_matrices=False)
    # a covariance at float32 round-off (h already erased, a constant column) spans nothing;
    # the bound is Cauchy-Schwarz's, |cross| <= |h| |concept|
    basis = u[:, s > 1e-5 * np.linalg.norm(centred) * np.linalg.norm(concept)]
    if basis.shape[1] >= h.shape[1]:
        raise ValueError(
            f"erasure: the {concept.shape[1]} erased terms span all {h.shape[1]} dimensions of h, "
            "which would leave every galaxy at the same point; erase fewer terms (no "
            "erase_interactions, fewer columns) or embed a wider encoder"
        )
    return mean, basis


def apply_erasure(h: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """``h`` (N, D) with the ``basis`` directions projected out about ``mean``, as the survey's
    erasure does (also for galaxies placed later); float32."""
    h = np.asarray(h, np.float64)
    basis = np.asarray(basis, np.float64).reshape(h.shape[1], -1)
    return (h - (h - np.asarray(mean, np.float64)) @ basis @ basis.T).astype(np.float32)


def erase_linear(h: np.ndarray, concept: np.ndarray) -> np.ndarray:
    """``h`` with ``concept`` erased (:func:`erasure`, then :func:`apply_erasure`); float32."""
    return apply_erasure(h, *erasure(h, concept))
