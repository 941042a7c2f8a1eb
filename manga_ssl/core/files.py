"""Atomic file output: nothing is ever left half-written under its final name."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def _partial_name(path: Path) -> Path:
    # Keep the suffixes (.fits.gz, .npz, ...) so writers that pick the format
    # or the compression from the name still do the right thing.
    name = path.name
    stem, dot, rest = name.partition(".")
    return path.with_name(f"{stem}.partial-{os.getpid()}{dot}{rest}")


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; rename it into place on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _partial_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_csv(df, path) -> None:
    with atomic_output(path) as tmp:
        df.to_csv(tmp, index=False)


def write_parquet(df, path, units: dict | None = None, metadata: dict | None = None) -> None:
    """Parquet with the column units stored in the schema metadata (key 'units', JSON),
    and any other ``metadata`` (str -> str) beside them."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"units"] = json.dumps({k: v for k, v in (units or {}).items() if k in df.columns}).encode()
    meta.update({k.encode(): v.encode() for k, v in (metadata or {}).items()})
    with atomic_output(path) as tmp:
        pq.write_table(table.replace_schema_metadata(meta), tmp)


def read_parquet_units(path) -> dict:
    import json

    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(b"units", b"{}"))


def write_json(data, path, digits: int = 3) -> None:
    """JSON with floats rounded to ``digits`` decimals (the numbers quoted in captions)."""
    import json

    def rounded(x):
        if isinstance(x, dict):
            return {str(k): rounded(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [rounded(v) for v in x]
        if hasattr(x, "item") and not isinstance(x, (str, bytes)):
            x = x.item()
        return round(x, digits) if isinstance(x, float) else x

    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(rounded(data), indent=1))


class JsonNumbers:
    """Numbers of a JSON file written by the run, read only when asked for.

    Used as a rule parameter so that report captions (rendered after the run) can quote
    the key numbers: ``{{ snakemake.params.numbers["agreement"] }}``.
    """

    def __init__(self, path):
        self.path = str(path)

    def __getitem__(self, key):
        import json

        with open(self.path) as fh:
            return json.load(fh)[key]

    def __repr__(self):
        return f"JsonNumbers({self.path!r})"
