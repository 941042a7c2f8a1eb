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


def linear_probe_r2(features: np.ndarray, target: np.ndarray, seed: int = 0, folds: int = 5) -> float:
    """Mean R^2 over ``folds`` cross-validation folds of a standardised ridge regression
    (regularisation chosen by internal CV); galaxies with a missing target are left out."""
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ok = np.isfinite(target)
    x, y = np.asarray(features, np.float64)[ok], np.asarray(target, np.float64)[ok]
    if len(y) < 2 * folds or np.std(y) == 0:
        return np.nan
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 4, 15)))
    cv = KFold(folds, shuffle=True, random_state=seed)
    return float(np.mean(cross_val_score(model, x, y, cv=cv, scoring="r2")))
