"""Representation tables: one row per galaxy (keyed by plateifu), one column per feature.

SimCLR tables hold the encoder output **h** (the paper's 1024-d representation,
before the projection head), never the projection z. PCA tables hold principal
components. The Parquet metadata says which, and how it was made.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from manga_ssl.core.files import write_parquet


def feature_columns(prefix: str, n: int) -> list[str]:
    return [f"{prefix}_{i:04d}" for i in range(n)]


def representation_frame(plateifu, features: np.ndarray, prefix: str) -> pd.DataFrame:
    features = np.asarray(features, dtype=np.float32)
    if len(plateifu) != len(features):
        raise ValueError(f"{len(plateifu)} galaxies but {len(features)} feature rows")
    frame = pd.DataFrame(features, columns=feature_columns(prefix, features.shape[1]))
    frame.insert(0, "plateifu", np.asarray(plateifu).astype(str))
    return frame


def write_representation(path, plateifu, features, prefix: str, description: dict) -> None:
    """Write the table with ``description`` (kind, source, settings) in the Parquet metadata."""
    frame = representation_frame(plateifu, features, prefix)
    write_parquet(
        frame,
        path,
        units={"plateifu": "MaNGA PLATE-IFU"},
        metadata={"representation": json.dumps(description, default=str)},
    )


def _description(schema) -> dict:
    return json.loads((schema.metadata or {}).get(b"representation", b"{}"))


def read_description(path) -> dict:
    """The description of a representation table (kind, source, settings), without its rows."""
    import pyarrow.parquet as pq

    return _description(pq.read_schema(path))


def read_representation(path) -> tuple[np.ndarray, np.ndarray, dict]:
    """(plateifu (N,), features (N, D) float32, description) of a representation table."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = _description(table.schema)
    frame = table.to_pandas()
    cols = [c for c in frame.columns if c != "plateifu"]
    return frame["plateifu"].to_numpy(str), frame[cols].to_numpy(np.float32), meta
