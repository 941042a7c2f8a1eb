"""Two-dimensional UMAP projection of a representation (paper Sections 4.1 and 5.1).

Only for visualisation: every quantitative step uses the full representation.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

from manga_ssl.analysis.clustering import prepare
from manga_ssl.core.names import kind_of
from manga_ssl.ssl.representations import read_representation

# umap-learn's kernels that a projection compiles and that umap-learn does not cache
_UNCACHED_KERNELS = {
    "umap.umap_": ("smooth_knn_dist", "compute_membership_strengths"),
    "umap.layouts": ("_nb_optimize_layout_euclidean_single_epoch",),
}


def _cache_umap_kernels() -> None:
    """Recompile umap-learn's uncached numba kernels with numba's on-disk cache, same options.

    Compiling them took 6-7 s of every ~8 s UMAP job, in each job anew; cached, only the first
    projection after installing pays it. umap-learn looks these kernels up in its modules when
    it calls them, so replacing the module attributes is enough. Where numba cannot cache
    (a read-only installation) or umap-learn has changed, they stay as they are."""
    import importlib

    import numba
    from numba.core.dispatcher import Dispatcher

    for module_name, names in _UNCACHED_KERNELS.items():
        module = importlib.import_module(module_name)
        for name in names:
            kernel = getattr(module, name, None)
            if not isinstance(kernel, Dispatcher) or kernel._cache.__class__.__name__ != "NullCache":
                continue
            options = {k: v for k, v in kernel.targetoptions.items() if k != "nopython"}
            try:
                cached = numba.njit(cache=True, locals=kernel.locals, **options)(kernel.py_func)
            except RuntimeError:  # no writable cache location
                return
            setattr(module, name, cached)


def umap_2d(features: np.ndarray, kind: str, seed: int, n_neighbors: int = 15, min_dist: float = 0.1) -> np.ndarray:
    """(N, 2) UMAP coordinates; seeded (umap-learn then runs single-threaded, reproducibly).

    SimCLR representations are L2-normalised first, as for K-means, so the
    Euclidean metric is the cosine distance of the contrastive loss. The
    neighbour graph is the exact one (``neighbours.nearest_neighbours``), which
    also spares umap-learn compiling its approximate search in every job
    (~30 s of the ~50 s a 9507-galaxy projection took).
    """
    # umap-learn imports its ParametricUMAP, and with it TensorFlow, when TensorFlow is
    # installed: 4-5 s of every UMAP job on 2 cores for a class never used here. A None
    # entry in sys.modules makes that import fail, and umap-learn goes on without it.
    sys.modules.setdefault("umap.parametric_umap", None)
    import umap

    from manga_ssl.analysis.neighbours import nearest_neighbours

    _cache_umap_kernels()

    x = prepare(features, kind)
    n_neighbors = min(n_neighbors, len(x) - 1)
    knn = nearest_neighbours(x, n_neighbors)
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        random_state=seed,
        n_jobs=1,
        precomputed_knn=(*knn, None),
        init="spectral" if len(x) > n_neighbors + 2 else "random",
    )
    with warnings.catch_warnings():
        # without a search index the fitted reducer cannot transform new galaxies; it never has to
        warnings.filterwarnings("ignore", message=".*precomputed_knn.*")
        return reducer.fit_transform(x).astype(np.float32)


def run_umap(table_path, name, seed, out, n_neighbors=15, min_dist=0.1) -> None:
    from manga_ssl.analysis.projection import umap_2d
    from manga_ssl.core.files import write_parquet

    plateifu, features, _ = read_representation(table_path)
    xy = umap_2d(features, kind_of(name), seed, n_neighbors, min_dist)
    write_parquet(
        pd.DataFrame({"plateifu": plateifu, "umap_x": xy[:, 0], "umap_y": xy[:, 1]}),
        out,
        {"umap_x": "UMAP coordinate (visualisation only)", "umap_y": "UMAP coordinate"},
        metadata={"representation": name, "seed": str(seed)},
    )
