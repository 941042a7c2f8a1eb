"""Names of the representations, formatted and parsed in one place.

``simclr-<normalisation>-<channels>[+<method>]``: a SimCLR variant trained on a channel
set, with the paper's method or a named one of ``simclr.methods`` (beyond the paper);
``<baseline>-<normalisation>``: PCA-1024, PCA-10 or the summary statistics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

NORMALISATIONS = ("relative", "individual")
BASELINES = ("pca1024", "pca10", "summary")
PAPER_METHOD = "paper"
#: Table 1's rows of the mock survey's true divisions (no representation)
TRUTH_NAME = "truth (mock)"

_SIMCLR = re.compile(r"simclr-(relative|individual)-([a-z0-9_]+)(?:\+([a-z0-9_]+))?")
_BASELINE = re.compile(rf"({'|'.join(BASELINES)})-(relative|individual)")
#: Snakemake wildcard constraints: a representation and a SimCLR variant's folder tag.
REPRESENTATION_PATTERN = f"{_SIMCLR.pattern}|{_BASELINE.pattern}"
VARIANT_TAG_PATTERN = r"[a-z0-9_]+(\+[a-z0-9_]+)?"


@dataclass(frozen=True)
class Representation:
    kind: str  # 'simclr' or a baseline
    normalisation: str
    channels: str = "all"
    method: str = PAPER_METHOD

    @classmethod
    def parse(cls, name: str) -> Representation:
        if m := _SIMCLR.fullmatch(name):
            return cls("simclr", m[1], m[2], m[3] or PAPER_METHOD)
        if m := _BASELINE.fullmatch(name):
            return cls(m[1], m[2], "all")
        raise ValueError(
            f"'{name}' is not a representation name (simclr-<normalisation>-<channels>[+<method>] "
            f"or one of {', '.join(BASELINES)} followed by -<normalisation>)"
        )

    @classmethod
    def simclr(cls, variant: dict) -> Representation:
        """The representation of a ``simclr.variants`` entry."""
        return cls("simclr", variant["normalisation"], variant["channels"], variant.get("method", PAPER_METHOD))

    @property
    def tag(self) -> str:
        """The variant's folder name part after the normalisation: 'all' or 'all+footprint'."""
        return self.channels if self.method == PAPER_METHOD else f"{self.channels}+{self.method}"

    @property
    def is_simclr(self) -> bool:
        return self.kind == "simclr"

    @property
    def is_paper_method(self) -> bool:
        return self.method == PAPER_METHOD

    def __str__(self) -> str:
        if self.is_simclr:
            return f"simclr-{self.normalisation}-{self.tag}"
        return f"{self.kind}-{self.normalisation}"


def kind_of(name: str) -> str | None:
    """'simclr', a baseline's kind, or None for a row that is no representation (Table 1's truth)."""
    try:
        return Representation.parse(name).kind
    except ValueError:
        return None


def split_tag(tag: str) -> tuple[str, str]:
    """'all+footprint' -> ('all', 'footprint'); 'all' -> ('all', 'paper')."""
    channels, _, method = tag.partition("+")
    return channels, method or PAPER_METHOD


def input_key(name: str) -> str:
    """A representation name as a rule's input name ('simclr-relative-all' -> 'simclr__relative__all'):
    the rules name their inputs so, the scripts read them back so."""
    return name.replace("-", "__")


def representation_of_table(path) -> str:
    """The representation an embedding table holds, read from its file name:
    '.../simclr-relative-all+erased-seed3.parquet' -> 'simclr-relative-all+erased'; a
    baseline's single table is named after it ('.../pca1024-relative.parquet')."""
    name = re.sub(r"-seed\d+$", "", PurePath(path).name.removesuffix(".parquet"))
    Representation.parse(name)  # a file that is no representation's table is an error naming it
    return name


def tables_by_representation(paths, names) -> dict[str, list]:
    """{name: its embedding tables among ``paths``, in their order} for each of ``names``: by
    the whole name, so that 'simclr-relative-all' never takes 'simclr-relative-all+erased''s."""
    found = [(representation_of_table(p), p) for p in paths]
    return {n: [p for owner, p in found if owner == n] for n in names}
