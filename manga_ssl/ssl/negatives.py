"""Conditional negatives (beyond the paper): the strata within which a galaxy's negatives are drawn.

SimCLR rewards whatever tells a galaxy from the other galaxies of its batch. A parameter of
the observation that the network can read, such as the size of the fibre bundle, is such a
feature, and it ends up in the representation. When every negative of a view shares the
view's value of that parameter (Tsai et al. 2021, conditional contrastive learning), the
parameter no longer helps and is no longer rewarded. ``simclr.negatives_within`` names the
catalogue columns that define the strata; :func:`manga_ssl.ssl.model.nt_xent` masks the rest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: a column with at most this many distinct values is a category (e.g. the five bundle
#: sizes); one with more is cut into quantile bins
MAX_CATEGORIES = 12


def column_strata(values, bins: int) -> np.ndarray:
    """(N,) int codes of one column: its own values when few or not numbers (e.g. a
    plate's name), else ``bins`` quantile bins. Missing values form a stratum of their own."""
    series = pd.Series(values)
    if not pd.api.types.is_numeric_dtype(series):
        return pd.factorize(series, sort=True)[0].astype(np.int64)  # missing: -1
    values = series.to_numpy(dtype=float)
    known = np.isfinite(values)
    codes = np.full(len(values), -1, dtype=np.int64)
    distinct = np.unique(values[known])
    if len(distinct) <= MAX_CATEGORIES:
        codes[known] = np.searchsorted(distinct, values[known])
    else:
        edges = np.quantile(values[known], np.linspace(0, 1, bins + 1)[1:-1])
        codes[known] = np.searchsorted(edges, values[known], side="right")
    return codes


def negative_strata(catalogue: pd.DataFrame, columns, bins: int = 3, source: str = "catalogue") -> np.ndarray:
    """(N,) stratum of each galaxy (rows of ``catalogue``): one per combination of the
    ``columns``' codes (:func:`column_strata`), numbered 0, 1, ...

    Raises ValueError naming a column that the catalogue does not have."""
    missing = [c for c in columns if c not in catalogue.columns]
    if missing:
        raise ValueError(
            f"simclr.negatives_within names {missing}, which {source} does not have "
            f"(its columns: {', '.join(map(str, catalogue.columns))})"
        )
    if not columns:
        return np.zeros(len(catalogue), dtype=np.int64)
    codes = pd.DataFrame({c: column_strata(catalogue[c], bins) for c in columns})
    return codes.groupby(list(columns), sort=True).ngroup().to_numpy(dtype=np.int64)
