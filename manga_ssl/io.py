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
