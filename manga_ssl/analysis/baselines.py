"""The PCA baselines of paper Sections 4.1 and 4.2.

* PCA-1024: the flattened maps decomposed into as many principal components
  as the data allow, up to 1024 (the size of the SimCLR representation);
* PCA-10: the first ten components, each standardised to zero mean and unit
  variance (the paper's "more favourable" test for K-means).

Beyond the paper, a summary-statistics baseline: per channel, the mean of the map
inside the footprint and the mean of its central 6x6 pixels, standardised. A learnt
representation that does not beat these ten numbers has not earned its keep.
"""

from __future__ import annotations

import numpy as np


def flatten_maps(maps: np.ndarray) -> np.ndarray:
    """(N, S, S, C) -> (N, S*S*C) float64, the input of the PCA."""
    return np.asarray(maps, dtype=np.float64).reshape(len(maps), -1)


def pca_features(maps: np.ndarray, n_components: int = 1024, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Principal components of the flattened maps: (features (N, K), explained variance ratio (K,)).

    K = min(n_components, N, pixels); the full SVD is used (exact and
    deterministic); ``seed`` only matters for the randomized solver sklearn
    may pick at very large sizes.
    """
    from sklearn.decomposition import PCA

    x = flatten_maps(maps)
    k = int(min(n_components, x.shape[0], x.shape[1]))
    pca = PCA(n_components=k, svd_solver="full", random_state=seed)
    features = pca.fit_transform(x)
    return features.astype(np.float32), pca.explained_variance_ratio_


def standardise(features: np.ndarray) -> np.ndarray:
    """Each column to zero mean and unit standard deviation (constant columns stay 0)."""
    f = np.asarray(features, dtype=np.float64)
    std = f.std(axis=0)
    return ((f - f.mean(axis=0)) / np.where(std > 0, std, 1.0)).astype(np.float32)


def summary_statistics(maps: np.ndarray, centre: int = 6) -> np.ndarray:
    """(N, 2C) standardised features: each channel's mean over the footprint (the pixels
    where any channel is non-zero) and over the central ``centre`` x ``centre`` pixels."""
    maps = np.asarray(maps, dtype=np.float64)
    size = maps.shape[1]
    inside = np.any(maps != 0, axis=-1, keepdims=True)
    lo = (size - centre) // 2
    core = np.zeros((1, size, size, 1), bool)
    core[:, lo : lo + centre, lo : lo + centre] = True

    def mean_over(mask):
        count = mask.sum(axis=(1, 2))
        return (maps * mask).sum(axis=(1, 2)) / np.maximum(count, 1)

    return standardise(np.concatenate([mean_over(inside), mean_over(inside & core)], axis=1))


def pca_baselines(maps: np.ndarray, n_components: int = 1024, n_small: int = 10, seed: int = 0) -> dict:
    """{'pca1024': (features, explained ratio), 'pca10': (standardised features, ratio)}."""
    features, ratio = pca_features(maps, n_components, seed)
    small = min(n_small, features.shape[1])
    return {"pca1024": (features, ratio), "pca10": (standardise(features[:, :small]), ratio[:small])}


def baselines_to_tables(
    tensors_path, pca1024_path, pca10_path, summary_path, n_components=1024, n_small=10, seed=0
) -> None:
    """The baselines rule: PCA-1024, PCA-10 and the summary statistics of one normalisation
    as representation tables."""
    import logging

    from manga_ssl.ssl.representations import write_representation

    with np.load(tensors_path) as npz:
        maps, plateifu, norm = npz["maps"], npz["plateifu"], str(npz["normalisation"])
    out = pca_baselines(maps, n_components, n_small, seed)
    for name, path in (("pca1024", pca1024_path), ("pca10", pca10_path)):
        features, ratio = out[name]
        write_representation(
            path,
            plateifu,
            features,
            "pc",
            {
                "kind": name,
                "representation": "principal components of the flattened maps"
                + (", each standardised" if name == "pca10" else ""),
                "normalisation": norm,
                "explained_variance": float(np.sum(ratio)),
                "n_components": int(features.shape[1]),
            },
        )
        logging.getLogger(__name__).info(
            "%s: %d components explain %.1f%% of the variance", name, features.shape[1], 100 * np.sum(ratio)
        )
    write_representation(
        summary_path,
        plateifu,
        summary_statistics(maps),
        "stat",
        {
            "kind": "summary",
            "representation": "per channel, the mean over the footprint and over the central "
            "6x6 pixels, each standardised (beyond the paper)",
            "normalisation": norm,
        },
    )
