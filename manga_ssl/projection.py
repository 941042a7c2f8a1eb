"""Two-dimensional UMAP projection of a representation (paper Sections 4.1 and 5.1).

Only for visualisation: every quantitative step uses the full representation.
"""

from __future__ import annotations

import numpy as np

from .clustering import prepare


def umap_2d(features: np.ndarray, kind: str, seed: int, n_neighbors: int = 15, min_dist: float = 0.1,
            metric: str = "euclidean") -> np.ndarray:
    """(N, 2) UMAP coordinates; seeded (umap-learn then runs single-threaded, reproducibly).

    SimCLR representations are L2-normalised first, as for K-means, so the
    Euclidean metric is the cosine distance of the contrastive loss.
    """
    import umap

    x = prepare(features, kind)
    reducer = umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, len(x) - 1), min_dist=min_dist,
                        metric=metric, random_state=seed, init="spectral" if len(x) > n_neighbors + 2 else "random")
    return reducer.fit_transform(x).astype(np.float32)
