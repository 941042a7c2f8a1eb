"""A run's results from Python, read from the files the workflow wrote (nothing recomputed).

from manga_ssl.catalogue.run import Run

run = Run("results/demo")
cat = run.catalogue()                              # pandas DataFrame, one row per galaxy
table = run.catalogue(astropy=True)                # astropy Table, with units
plateifu, h = run.representation("simclr-relative-all", seed=0)
clusters = run.clusters("simclr-relative-all")     # plateifu, cluster, consensus (division studied)
near = run.neighbours("8485-1901", "simclr-relative-all")
"""

from __future__ import annotations

import json
import re
import warnings
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.io import fits

from manga_ssl.catalogue.vac import CATALOGUE_HDU, EMBEDDING_CARDS, column_prefix, replica_hdu_name
from manga_ssl.core.names import Representation
from manga_ssl.ssl.representations import read_description


class RunError(ValueError):
    """A run folder, file or name that is not there; the message says what is."""


class Run:
    """The results of one run: ``folder`` is results/<run> (or its catalogue/ folder)."""

    def __init__(self, folder):
        folder = Path(folder)
        if folder.name == "catalogue":
            folder = folder.parent
        found = sorted(p for p in (folder / "catalogue").glob("manga-ssl-*.fits") if "-representations" not in p.name)
        if len(found) != 1:
            raise RunError(
                f"{folder}: expected one catalogue/manga-ssl-<run>.fits, found "
                f"{', '.join(p.name for p in found) or 'none'} (has the workflow's catalogue rule run?)"
            )
        self.folder, self.fits_path = folder, found[0]
        self.name = self.fits_path.name.removeprefix("manga-ssl-").removesuffix(".fits")
        self.parquet_path = self.fits_path.with_suffix(".parquet")
        self.representations_path = self.fits_path.with_name(f"manga-ssl-{self.name}-representations.fits")

    @cached_property
    def header(self) -> fits.Header:
        """The catalogue's primary header: what made it and the method's settings."""
        return fits.getheader(self.fits_path, 0)

    @cached_property
    def representation_names(self) -> list[str]:
        return [self.header[f"REPR{i}"] for i in range(1, self.header["NREPR"] + 1)]

    @cached_property
    def reference_seeds(self) -> dict[str, int]:
        return {self.header[f"REPR{i}"]: self.header[f"RSEED{i}"] for i in range(1, self.header["NREPR"] + 1)}

    def _prefix(self, name: str) -> str:
        if name not in self.representation_names:
            raise RunError(
                f"run '{self.name}' has no representation '{name}' (it has {', '.join(self.representation_names)})"
            )
        return column_prefix(name)

    def catalogue(self, astropy: bool = False):
        """The catalogue: a pandas DataFrame (from the Parquet twin; vector columns hold arrays)
        or, with ``astropy=True``, an astropy Table read from the FITS file, with units."""
        if not astropy:
            return pd.read_parquet(self.parquet_path)
        from astropy.table import Table
        from astropy.units import UnitsWarning

        with warnings.catch_warnings():
            # log(yr) and friends are FITS-standard units that astropy reads as unrecognised
            warnings.simplefilter("ignore", UnitsWarning)
            table = Table.read(self.fits_path, hdu=CATALOGUE_HDU)
        table.convert_bytestring_to_unicode()  # astropy leaves the neighbours' plateifus as bytes
        return table

    @cached_property
    def _columns(self) -> pd.DataFrame:
        return self.catalogue()

    @cached_property
    def descriptions(self) -> dict[str, str]:
        """Column -> description (TCOMMn)."""
        import pyarrow.parquet as pq

        return json.loads(pq.read_schema(self.parquet_path).metadata[b"descriptions"])

    def divisions(self, name: str) -> list[int]:
        """The k of the divisions the catalogue holds for ``name``."""
        pattern = re.compile(rf"{re.escape(self._prefix(name))}_k(\d+)_cluster")
        return sorted(int(m[1]) for c in self._columns if (m := pattern.fullmatch(c)))

    def division_studied(self, name: str) -> int:
        return int(self.header[f"K{Representation.parse(name).normalisation[:3].upper()}"])

    def clusters(self, name: str, k: int | None = None) -> pd.DataFrame:
        """plateifu, cluster (named as in the paper) and consensus (fraction of replicas that
        agree) of a representation's k-division; k defaults to the division studied."""
        p, k = self._prefix(name), self.division_studied(name) if k is None else k
        if k not in self.divisions(name):
            raise RunError(f"the catalogue has {name}'s divisions k = {self.divisions(name)}, not k = {k}")
        c = self._columns
        return pd.DataFrame(
            {"plateifu": c["plateifu"], "cluster": c[f"{p}_k{k}_cluster"], "consensus": c[f"{p}_k{k}_consensus"]}
        )

    def neighbours(self, plateifu: str, name: str) -> pd.DataFrame:
        """A galaxy's nearest galaxies in a representation (reference replica), nearest first."""
        p, c = self._prefix(name), self._columns
        row = c.index[c["plateifu"] == plateifu]
        if not len(row):
            raise RunError(f"{plateifu} is not a galaxy of run '{self.name}'")
        return pd.DataFrame(
            {
                "plateifu": np.asarray(c.at[row[0], f"{p}_nn_plateifu"], dtype=str),
                "distance": np.asarray(c.at[row[0], f"{p}_nn_distance"], dtype=np.float32),
            }
        )

    def seeds(self, name: str) -> list[int]:
        """The replicas (training seeds) of a SimCLR representation."""
        self._prefix(name)
        with fits.open(self.representations_path) as hdul:
            return [h.header["SEED"] for h in hdul[1:] if h.header["REPRNAME"] == name]

    def representation(self, name: str, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(plateifu (N,), h (N, D) float32) of one replica of a SimCLR representation; seed
        defaults to the reference replica."""
        self._prefix(name)
        seed = self.reference_seeds[name] if seed is None else seed
        extname = replica_hdu_name(name, seed)
        with fits.open(self.representations_path) as hdul:
            if extname not in hdul:
                raise RunError(
                    f"{self.representations_path}: no HDU {extname} (replicas of {name}: {self.seeds(name)})"
                )
            data = hdul[extname].data
            return np.char.strip(data["plateifu"].astype(str)), np.array(data["h"], dtype=np.float32)

    # Files of the run that placing new galaxies needs besides the catalogue.
    def encoder_path(self, name: str, seed: int) -> Path:
        """The encoder a replica's h was computed with, as its embedding table records it: a
        method with simclr.encoders_of embeds another method's encoders. Without the table,
        the representation's own."""
        rep = Representation.parse(name)
        folder = f"{rep.normalisation}-{rep.tag}"
        if (path := self._embedding_path(name, seed)).exists():
            folder = Path(read_description(path)["encoder"]).parent.parent.name
        return self.folder / "simclr" / folder / f"seed{seed}" / "encoder.keras"

    def _embedding_path(self, name: str, seed: int) -> Path:
        return self.folder / "embeddings" / f"{name}-seed{seed}.parquet"

    def erasure(self, name: str, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(mean, basis) of the instrument's erasure from a replica's h
        (:func:`manga_ssl.ssl.erasure.apply_erasure`), or None for a plain h."""
        if not self.erased(name):
            return None
        path = self._embedding_path(name, seed)
        if not path.exists():
            raise RunError(f"{path}: missing (the embedding of {name}, replica {seed}, records its erasure)")
        found = read_description(path).get("erasure")
        if found is None:
            raise RunError(f"the embedding of {name}, replica {seed}, does not record its erasure")
        return np.asarray(found["mean"]), np.asarray(found["basis"])

    def labels_path(self, name: str) -> Path:
        return self.folder / "clusters" / name / "labels.parquet"

    def relative_scale(self) -> tuple[np.ndarray, np.ndarray]:
        """The relative normalisation's (lo, hi) per channel, fixed by the run's sample."""
        path = self.folder / "tensors" / "relative.npz"
        with np.load(path) as npz:
            if "scale_lo" not in npz:
                raise RunError(f"{path}: no relative scale (scale_lo, scale_hi)")
            return npz["scale_lo"].astype(np.float64), npz["scale_hi"].astype(np.float64)

    def _replica_header(self, name: str) -> fits.Header:
        """The header of a SimCLR representation's first replica HDU (what its replicas share)."""
        self._prefix(name)
        with fits.open(self.representations_path) as hdul:
            return next(h for h in hdul[1:] if h.header["REPRNAME"] == name).header.copy()

    def embedding_settings(self, name: str) -> dict:
        """How a SimCLR representation's h was computed from its encoders (``model.embed``'s
        keywords), from its replicas' cards (``vac.EMBEDDING_CARDS``)."""
        header = self._replica_header(name)
        return {key: kind(header.get(card, kind())) for key, (card, kind, _) in EMBEDDING_CARDS.items()}

    def erased(self, name: str) -> list[str]:
        """The catalogue columns erased from a SimCLR representation's h after embedding
        (simclr.erase_instrument, beyond the paper); [] for a plain h."""
        value = str(self._replica_header(name).get("ERASED", "")).strip()
        return value.split(",") if value else []

    def channels(self, name: str) -> list[str]:
        """The input maps of a SimCLR representation, in order."""
        return self._replica_header(name)["CHANNELS"].split(",")
