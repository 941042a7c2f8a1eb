"""Fetching the DR17 products of a sample: catalogues, per-galaxy files, FIREFLY rows, r-band images.

Everything goes through :mod:`manga_ssl.download` (retries, resume, checks,
atomic renames). A catalogue that cannot be fetched stops the run; a galaxy
that cannot be fetched is listed in the manifest with the reason, and its
neighbours go on.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from manga_ssl.acquisition.download import (
    LocalFile,
    RangesUnsupported,
    RemoteFile,
    fetch,
    fetch_many,
    product_validator,
    remove,
)
from manga_ssl.acquisition.fits_subset import FIREFLY_EXTENSIONS, firefly_subset
from manga_ssl.acquisition.rband import is_current, rband_on_ifu_grid
from manga_ssl.survey.datasets import PRODUCT_EXTENSIONS, Dr17Archive, SurveyLayout
from manga_ssl.survey.formats import SurveyFileError

log = logging.getLogger(__name__)


def transfer_options(cfg: dict) -> dict:
    """The :func:`~manga_ssl.download.fetch` options of the config's ``download`` section."""
    return {"timeout": cfg["timeout"], "retries": cfg["retries"], "backoff": cfg["backoff"]}


def fetch_catalogue(archive: Dr17Archive, product: str, dest, options: dict) -> Path:
    """One survey catalogue; raises DownloadError (naming the URL) when it cannot be had."""
    url = archive.catalogues[product]
    return fetch(url, dest, validate=product_validator(url, PRODUCT_EXTENSIONS[product]), **options)


def fetch_firefly(
    archive: Dr17Archive, library: str, plateifus, dest, full_copy, options: dict, ranges: bool = True
) -> list[str]:
    """The FIREFLY VAC rows of ``plateifus`` written to ``dest``.

    By HTTP range requests when the server honours them (~1 GB of the ~6 GB
    file for the whole sample, a few MB for a small one); else the whole file
    is downloaded once, resumably, to ``full_copy`` and cut locally.
    """
    url = archive.firefly(library)
    if ranges:
        try:
            return firefly_subset(RemoteFile(url, **options), plateifus, dest)
        except RangesUnsupported:
            log.warning("%s: no HTTP range support; downloading the whole file once to %s", url, full_copy)
    fetch(url, full_copy, validate=product_validator(url, FIREFLY_EXTENSIONS), **options)
    source = LocalFile(full_copy)
    try:
        return firefly_subset(source, plateifus, dest)
    finally:
        source.close()


def fetch_galaxies(
    galaxies: pd.DataFrame,
    layout: SurveyLayout,
    archive: Dr17Archive,
    options: dict,
    max_parallel: int = 4,
    keep_frames: bool = False,
    chunk: int = 200,
) -> pd.DataFrame:
    """Pipe3D cube, DAP MAPS and r-band image of every galaxy (plateifu, nsa_run, nsa_camcol, nsa_field).

    Returns the manifest: one row per galaxy and product with the local file,
    the URL and the error ('' when the file is there and valid). Galaxies go
    ``chunk`` at a time, so at most a chunk's SDSS frames are on disk at once.
    """
    parts, missing = [], 0
    for start in range(0, len(galaxies), chunk):
        part = _fetch_chunk(galaxies.iloc[start : start + chunk], layout, archive, options, max_parallel, keep_frames)
        parts.append(part)
        missing += part.loc[part["error"] != "", "plateifu"].nunique()
        log.info("galaxies: %d/%d done, %d miss a product", min(start + chunk, len(galaxies)), len(galaxies), missing)
    if not parts:
        return pd.DataFrame(columns=["plateifu", "product", "file", "url", "error"])
    return pd.concat(parts, ignore_index=True)


def _fetch_chunk(galaxies, layout, archive, options, max_parallel, keep_frames) -> pd.DataFrame:
    rows, jobs = [], []
    for g in galaxies.itertuples():
        for product in ("pipe3d_cube", "dap_maps"):
            url, dest = getattr(archive, product)(g.plateifu), getattr(layout, product)(g.plateifu)
            rows.append({"plateifu": g.plateifu, "product": product, "file": str(dest), "url": url})
            jobs.append((url, dest, product_validator(url, PRODUCT_EXTENSIONS[product])))
    frames = {}  # frame file -> (url, galaxies cut from it)
    for g in galaxies.itertuples():
        row = {"plateifu": g.plateifu, "product": "rband_image", "file": str(layout.rband_image(g.plateifu)), "url": ""}
        rows.append(row)
        try:
            run, camcol, field = (int(getattr(g, k)) for k in ("nsa_run", "nsa_camcol", "nsa_field"))
        except (AttributeError, TypeError, ValueError):
            row["error"] = "drpall gives no SDSS run/camcol/field (nsa_run, nsa_camcol, nsa_field)"
            continue
        row["url"] = archive.sdss_frame(run, camcol, field)
        if not is_current(row["file"]):
            frames.setdefault(layout.sdss_frame(run, camcol, field), (row["url"], []))[1].append(row)
    for frame, (url, _) in frames.items():
        jobs.append((url, frame, product_validator(url)))

    errors = fetch_many(jobs, max_workers=max_parallel, **options)
    manifest = {(r["plateifu"], r["product"]): r for r in rows}
    for r in rows:
        if r["product"] != "rband_image":
            r["error"] = errors.get(str(r["file"])) or ""
    for frame, (_url, cut_rows) in frames.items():
        for row in cut_rows:
            maps = manifest[(row["plateifu"], "dap_maps")]
            if errors.get(str(frame)):
                row["error"] = errors[str(frame)]
            elif maps["error"]:
                row["error"] = f"needs the DAP MAPS file for its grid ({maps['error']})"
            else:
                try:
                    rband_on_ifu_grid(frame, maps["file"], row["file"], row["plateifu"])
                except SurveyFileError as exc:
                    row["error"] = str(exc)
        if not keep_frames:
            remove(frame)
    out = pd.DataFrame(rows, columns=["plateifu", "product", "file", "url", "error"])
    out["error"] = out["error"].fillna("")
    return out


def download_failures(manifest: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """plateifu -> (file or URL, reason) of the first product each failed galaxy lacks."""
    bad = manifest[manifest["error"] != ""]
    out = {}
    for r in bad.itertuples():
        out.setdefault(r.plateifu, (r.url or r.file, f"{r.product}: {r.error.removeprefix(f'{r.url}: ')}"))
    return out
