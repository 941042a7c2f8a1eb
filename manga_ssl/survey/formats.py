"""MaNGA DR17 file formats: readers (and, for the mock survey, writers).

Every reader finds HDUs by EXTNAME and Pipe3D channels by their ``DESC_i``
header keys, never by position, and raises :class:`SurveyFileError` naming the
file, the extension and the problem. The same readers serve the embedded mock
survey and the real DR17 products.
"""

from __future__ import annotations

import gzip
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.io import fits
from astropy.table import Table
from astropy.units import UnitsWarning
from astropy.utils.exceptions import AstropyUserWarning

from manga_ssl.core.files import atomic_output

#: DAP analysis whose stellar kinematics the model variation uses.
DAPTYPE = "HYB10-MILESHC-MASTARSSP"

#: MANGA_DAPPIXMASK bits (DAP data model); UNRELIABLE is flagged but usable.
DAP_NOCOV, DAP_LOWCOV, DAP_FORESTAR, DAP_UNRELIABLE, DAP_DONOTUSE = 0, 1, 3, 5, 30

#: MNGTARG1 sample bits.
MNGTARG1_PRIMARY, MNGTARG1_SECONDARY, MNGTARG1_COLOR_ENHANCED = 10, 11, 12


class SurveyFileError(Exception):
    """A survey product that cannot be used: names the file, extension and problem."""

    def __init__(self, path, problem: str, extension: str | None = None):
        self.path = str(path)
        self.extension = extension
        self.problem = problem
        where = f"{self.path}" + (f" [{extension}]" if extension else "")
        super().__init__(f"{where}: {problem}")


# --------------------------------------------------------------------------
# Pipe3D cube, HDU SSP
# --------------------------------------------------------------------------

#: Channel descriptions and units written by the mock, in the DR17 SSP order.
#: (The DR14/DR15 format lacks the DZ plane; the readers never use positions.)
PIPE3D_SSP_CHANNELS = (
    ("unbinned flux intensity in the V-band (5635AA)", "10^-16 erg/s/cm^2"),
    ("binning segmentation of the continuum", "none"),
    ("dezonification map (DZ)", "none"),
    ("median flux intensity in the bin", "10^-16 erg/s/cm^2"),
    ("standard deviation of the median flux intensity", "10^-16 erg/s/cm^2"),
    ("luminosity weighted log age of the stellar population", "log10(yr)"),
    ("mass weighted log age of the stellar population", "log10(yr)"),
    ("error in the log age of the stellar population", "log10(yr)"),
    ("luminosity weighted metallicity of the stellar population", "dex"),
    ("mass weighted metallicity of the stellar population", "dex"),
    ("error in the metallicity of the stellar population", "dex"),
    ("dust attenuation in the V-band (Av)", "mag"),
    ("error in the dust attenuation (Av)", "mag"),
    ("velocity of the stellar population", "km/s"),
    ("error in the velocity of the stellar population", "km/s"),
    ("velocity dispersion of the stellar population", "km/s"),
    ("error in the velocity dispersion of the stellar population", "km/s"),
    ("stellar mass-to-light ratio", "Msun/Lsun"),
    ("stellar mass density", "log10(Msun/spaxel^2)"),
    ("stellar mass density corrected by dust", "log10(Msun/spaxel^2)"),
    ("error in the stellar mass density", "log10(Msun/spaxel^2)"),
)

# Each channel the pipeline reads: (must match all, must match none), case-insensitive.
_SSP_LOOKUP = {
    "flux_v": ((r"v.band", r"flux"), (r"median", r"deviation", r"error", r"attenuation")),
    "flux_median": ((r"median", r"flux"), (r"deviation", r"stddev", r"error")),
    "flux_std": ((r"(standard deviation|stddev|std)",), (r"error",)),
    "age_lw": ((r"luminosity.weighted", r"age"), (r"error",)),
    "age_err": ((r"error", r"age"), ()),
    "zh_lw": ((r"luminosity.weighted", r"metallicity"), (r"error",)),
    "zh_err": ((r"error", r"metallicity"), ()),
    "vel": ((r"velocity",), (r"dispersion", r"error")),
    "vel_err": ((r"error", r"velocity"), (r"dispersion",)),
    "sigma": ((r"velocity dispersion",), (r"error",)),
    "sigma_err": ((r"error", r"dispersion"), ()),
}


def _descriptions(header, n_planes: int) -> list[str]:
    return [str(header.get(f"DESC_{i}", "")) for i in range(n_planes)]


def _unit_key(unit) -> str:
    return re.sub(r"[\s_]", "", str(unit or "")).lower()


_KMS = {"km/s", "kms-1", "kms^-1", "km/sec", "kmsec-1"}
_NO_UNIT = {"", "none", "-"}


def km_s_or_unstated(unit) -> bool:
    """A velocity unit the readers accept: km/s in any common spelling, or none given."""
    return _unit_key(unit) in _KMS | _NO_UNIT


def log_age_offset(unit, path, extension, what) -> float:
    """What to add to a log age in ``unit`` to have log10(yr): 0 for log yr, 9 for log Gyr.

    A unit that is not a logarithm of years (e.g. linear Gyr) is refused, never guessed.
    """
    key = _unit_key(unit)
    if key in _NO_UNIT:
        return 0.0
    if "log" in key and "gyr" in key:
        return 9.0
    if "log" in key and "yr" in key:
        return 0.0
    raise SurveyFileError(path, f"{what} is in '{unit}', expected a log age (log10(yr) or log10(Gyr))", extension)


def _check_ssp_units(header, index: dict, path) -> float:
    """Refuse kinematic planes not in km/s and [Z/H] not in dex; return the age offset to log yr."""
    for name in ("vel", "vel_err", "sigma", "sigma_err"):
        unit = header.get(f"UNITS_{index[name]}", "")
        if not km_s_or_unstated(unit):
            raise SurveyFileError(path, f"channel '{name}' (UNITS_{index[name]}) is in '{unit}', expected km/s", "SSP")
    for name in ("zh_lw", "zh_err"):
        unit = header.get(f"UNITS_{index[name]}", "")
        if _unit_key(unit) not in _NO_UNIT and not re.search(r"dex|log|\[", str(unit), re.I):
            raise SurveyFileError(path, f"channel '{name}' (UNITS_{index[name]}) is in '{unit}', expected dex", "SSP")
    return log_age_offset(header.get(f"UNITS_{index['age_lw']}", ""), path, "SSP", "channel 'age_lw'")


def find_channel(descriptions: list[str], name: str, path, extension="SSP") -> int:
    """Index of the single plane whose description fits ``_SSP_LOOKUP[name]``."""
    include, exclude = _SSP_LOOKUP[name]
    hits = [
        i
        for i, d in enumerate(descriptions)
        if all(re.search(p, d, re.I) for p in include) and not any(re.search(p, d, re.I) for p in exclude)
    ]
    if len(hits) != 1:
        found = "no" if not hits else f"{len(hits)} ({', '.join(f'DESC_{i}' for i in hits)})"
        raise SurveyFileError(path, f"{found} DESC_i key matches the '{name}' channel", extension)
    return hits[0]


@dataclass
class Pipe3DMaps:
    """The Pipe3D planes the paper uses, each (ny, nx), physical units."""

    flux_v: np.ndarray  # 1e-16 erg/s/cm2
    flux_median: np.ndarray
    flux_std: np.ndarray
    age_lw: np.ndarray  # log yr
    age_err: np.ndarray
    zh_lw: np.ndarray  # dex
    zh_err: np.ndarray
    vel: np.ndarray  # km/s, line of sight (systemic not removed)
    vel_err: np.ndarray
    sigma: np.ndarray  # km/s
    sigma_err: np.ndarray
    select_reg: np.ndarray  # bool, Pipe3D valid region
    gaia_mask: np.ndarray  # bool, True where a foreground star is masked

    @property
    def shape(self):
        return self.flux_v.shape


def _file_bytes(path: Path) -> bytes:
    """The file's FITS bytes; a gzip stream that ends early is reported as truncated
    (astropy would otherwise silently return the HDUs it could read)."""
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        with gzip.open(path) as fh:
            return fh.read()
    except EOFError:
        raise SurveyFileError(path, "file is truncated (the gzip stream ends early)") from None
    except (OSError, gzip.BadGzipFile) as exc:
        raise SurveyFileError(path, f"not a readable FITS file (bad gzip data: {exc})") from None


def write_fits(hdul: fits.HDUList, path) -> None:
    """Write ``hdul`` to ``path`` atomically; a ``.gz`` name gets a gzip stream at level 1.

    Any level reads the same; astropy's own (Python's default, 9) made compression a third
    of the mock survey's rendering time, for files about 10% smaller."""
    with atomic_output(path) as tmp:
        if Path(path).suffix != ".gz":
            hdul.writeto(tmp)
            return
        with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as gz:
            hdul.writeto(gz)


def _open_fits(path):
    path = Path(path)
    if not path.exists():
        raise SurveyFileError(path, "file is missing")
    try:
        raw = _file_bytes(path)
        with warnings.catch_warnings():
            warnings.simplefilter("error", AstropyUserWarning)  # 'File may have been truncated'
            hdul = fits.open(io.BytesIO(raw), memmap=False)
            # Touch every HDU now so damage surfaces here, with the file's name.
            for hdu in hdul:
                _ = hdu.data
    except SurveyFileError:
        raise
    except Exception as exc:  # astropy/gzip/OSError: all mean 'not usable FITS'
        raise SurveyFileError(path, f"not a readable FITS file ({type(exc).__name__}: {exc})") from None
    return hdul


def _extension(hdul, name: str, path):
    try:
        return hdul[name]
    except KeyError:
        have = ", ".join(h.name for h in hdul)
        raise SurveyFileError(path, f"extension {name} is missing (file has: {have})", name) from None


def _finite(arr, path, extension, what="values"):
    if not np.all(np.isfinite(arr)):
        n = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise SurveyFileError(path, f"{n} non-finite (NaN/inf) {what}", extension)
    return arr


def read_pipe3d_cube(path) -> Pipe3DMaps:
    """Read the SSP planes, SELECT_REG and GAIA_MASK of a Pipe3D cube."""
    with _open_fits(path) as hdul:
        ssp = _extension(hdul, "SSP", path)
        data = ssp.data
        if data is None or data.ndim != 3:
            shape = None if data is None else data.shape
            raise SurveyFileError(path, f"expected a 3-d (channel, y, x) cube, got shape {shape}", "SSP")
        desc = _descriptions(ssp.header, data.shape[0])
        index = {name: find_channel(desc, name, path) for name in _SSP_LOOKUP}
        age_offset = _check_ssp_units(ssp.header, index, path)
        planes = {}
        for name, i in index.items():
            plane = np.asarray(data[i], dtype=np.float64)
            planes[name] = _finite(plane, path, "SSP", f"values in the '{name}' channel")
        planes["age_lw"] = planes["age_lw"] + age_offset  # log Gyr -> log yr; invalid spaxels are masked later
        select = _extension(hdul, "SELECT_REG", path).data
        if select is None or select.shape != data.shape[1:]:
            raise SurveyFileError(
                path,
                f"SELECT_REG shape {None if select is None else select.shape} != map shape {data.shape[1:]}",
                "SELECT_REG",
            )
        gaia = hdul["GAIA_MASK"].data if "GAIA_MASK" in hdul else np.zeros(data.shape[1:])
        return Pipe3DMaps(**planes, select_reg=np.asarray(select) > 0, gaia_mask=np.asarray(gaia) > 0)


def write_pipe3d_cube(path, plateifu: str, ssp: np.ndarray, select_reg, gaia_mask, primary: dict):
    """Write a DR17-layout Pipe3D cube (PRIMARY, SSP, GAIA_MASK, SELECT_REG)."""
    if ssp.shape[0] != len(PIPE3D_SSP_CHANNELS):
        raise ValueError(f"SSP cube needs {len(PIPE3D_SSP_CHANNELS)} planes, got {ssp.shape[0]}")
    phdu = fits.PrimaryHDU()
    phdu.header["PLATEIFU"] = plateifu
    phdu.header["PIPE3D"] = ("3.1.1", "Pipe3D version (mock survey)")
    for k, v in primary.items():
        phdu.header[k] = v
    hdu = fits.ImageHDU(ssp.astype(np.float32), name="SSP")
    for i, (desc, unit) in enumerate(PIPE3D_SSP_CHANNELS):
        hdu.header[f"ID_{i}"] = i
        hdu.header[f"FILE_{i}"] = f"map.CS.manga-{plateifu}_ssp_{i}.fits"
        hdu.header[f"DESC_{i}"] = desc
        hdu.header[f"TYPE_{i}"] = "map"
        hdu.header[f"UNITS_{i}"] = unit
    hdus = [
        phdu,
        hdu,
        fits.ImageHDU(np.asarray(gaia_mask, dtype=np.int16), name="GAIA_MASK"),
        fits.ImageHDU(np.asarray(select_reg, dtype=np.int16), name="SELECT_REG"),
    ]
    write_fits(fits.HDUList(hdus), path)


# --------------------------------------------------------------------------
# DAP MAPS file
# --------------------------------------------------------------------------


@dataclass
class DAPMaps:
    """Stellar kinematics from a DAP MAPS file, each (ny, nx)."""

    spx_mflux: np.ndarray
    binid: np.ndarray  # stellar-continuum bin id, -1 = not analysed
    stellar_vel: np.ndarray  # km/s relative to SCINPVEL
    stellar_vel_err: np.ndarray
    stellar_sigma: np.ndarray  # km/s, instrumental correction applied (astrophysical)
    stellar_sigma_err: np.ndarray
    good: np.ndarray  # bool: analysed and neither map has DONOTUSE
    scinpvel: float

    @property
    def shape(self):
        return self.spx_mflux.shape


def _ivar_to_err(ivar):
    with np.errstate(divide="ignore"):
        return np.where(ivar > 0, 1.0 / np.sqrt(np.where(ivar > 0, ivar, 1.0)), 0.0)


#: The DAP MAPS extensions the model variation reads (stellar kinematics).
DAP_MAPS_EXTENSIONS = (
    "SPX_MFLUX",
    "BINID",
    "STELLAR_VEL",
    "STELLAR_VEL_IVAR",
    "STELLAR_VEL_MASK",
    "STELLAR_SIGMA",
    "STELLAR_SIGMA_IVAR",
    "STELLAR_SIGMA_MASK",
    "STELLAR_SIGMACORR",
)


def read_dap_maps(path) -> DAPMaps:
    """Read the stellar kinematics of a DAP MAPS file (DR15 or DR17 layout)."""
    donotuse = np.int64(1) << DAP_DONOTUSE
    with _open_fits(path) as hdul:
        get = {n: _extension(hdul, n, path) for n in DAP_MAPS_EXTENSIONS}
        shape = get["STELLAR_VEL"].data.shape
        for name, hdu in get.items():
            arr = hdu.data
            if arr is None:
                raise SurveyFileError(path, "extension holds no data", name)
            if arr.shape[-2:] != shape:
                raise SurveyFileError(path, f"shape {arr.shape} does not match STELLAR_VEL {shape}", name)
        for name in ("STELLAR_VEL", "STELLAR_SIGMA", "STELLAR_SIGMACORR"):
            unit = get[name].header.get("BUNIT", "")
            if not km_s_or_unstated(unit):
                raise SurveyFileError(path, f"BUNIT is '{unit}', expected km/s", name)
        binid = get["BINID"].data
        # BINID: 5 planes in DR15/DR17; plane 1 = stellar-continuum bins.
        binid = binid[1] if binid.ndim == 3 else binid
        corr = get["STELLAR_SIGMACORR"].data
        corr = corr[0] if corr.ndim == 3 else corr  # DR17: 2 planes, use the first
        vel = _finite(get["STELLAR_VEL"].data.astype(np.float64), path, "STELLAR_VEL")
        sig_raw = _finite(get["STELLAR_SIGMA"].data.astype(np.float64), path, "STELLAR_SIGMA")
        corr = _finite(corr.astype(np.float64), path, "STELLAR_SIGMACORR")
        sig2 = sig_raw**2 - corr**2
        sigma = np.sqrt(np.clip(sig2, 0.0, None))
        good = (
            (binid >= 0)
            & ((get["STELLAR_VEL_MASK"].data.astype(np.int64) & donotuse) == 0)
            & ((get["STELLAR_SIGMA_MASK"].data.astype(np.int64) & donotuse) == 0)
            & (sig2 > 0)
        )
        return DAPMaps(
            spx_mflux=_finite(get["SPX_MFLUX"].data.astype(np.float64), path, "SPX_MFLUX"),
            binid=binid.astype(np.int64),
            stellar_vel=vel,
            stellar_vel_err=_ivar_to_err(get["STELLAR_VEL_IVAR"].data.astype(np.float64)),
            stellar_sigma=sigma,
            stellar_sigma_err=_ivar_to_err(get["STELLAR_SIGMA_IVAR"].data.astype(np.float64)),
            good=good,
            scinpvel=float(hdul[0].header.get("SCINPVEL", np.nan)),
        )


def write_dap_maps(path, plateifu: str, maps: dict, scinpvel: float):
    """Write a DR17-layout DAP MAPS file from ``maps`` (EXTNAME -> array)."""
    phdu = fits.PrimaryHDU()
    phdu.header["PLATEIFU"] = plateifu
    phdu.header["SCINPVEL"] = (scinpvel, "[km/s] Input stellar velocity (c z)")
    phdu.header["DAPTYPE"] = DAPTYPE
    phdu.header["VERSDAP"] = "3.1.0"
    units = {
        "STELLAR_VEL": "km/s",
        "STELLAR_SIGMA": "km/s",
        "STELLAR_SIGMACORR": "km/s",
        "SPX_MFLUX": "1E-17 erg/s/cm^2/ang/spaxel",
    }
    hdus = [phdu]
    for name, arr in maps.items():
        hdu = fits.ImageHDU(arr, name=name)
        if name in units:
            hdu.header["BUNIT"] = units[name]
        if name.endswith("_MASK"):
            hdu.header["MASKNAME"] = "MANGA_DAPPIXMASK"
        hdus.append(hdu)
    write_fits(fits.HDUList(hdus), path)


# --------------------------------------------------------------------------
# FIREFLY value-added catalogue (one file for the whole survey)
# --------------------------------------------------------------------------

FIREFLY_BINID_SIZE = 80


class FireflyVAC:
    """Spatially resolved FIREFLY age and [Z/H], looked up per galaxy.

    ``LW_AGE_VORONOI`` holds log age in Gyr (its BUNIT, where present, says
    which); :meth:`maps` returns log yr so the result sits on the Pipe3D scale.
    """

    def __init__(self, path):
        self.path = Path(path)
        self._hdul = _open_fits_lazy(self.path)
        try:
            self._index()
        except SurveyFileError:
            self._hdul.close()
            raise

    def _index(self):
        info = _extension(self._hdul, "GALAXY_INFO", self.path).data
        names = [c for c in info.columns.names if c.upper() == "PLATEIFU"]
        if not names:
            raise SurveyFileError(self.path, "no PLATEIFU column", "GALAXY_INFO")
        self.row = {str(p).strip(): i for i, p in enumerate(info[names[0]])}
        for name in ("SPATIAL_BINID", "LW_AGE_VORONOI", "LW_Z_VORONOI"):
            _extension(self._hdul, name, self.path)
        unit = self._hdul["LW_AGE_VORONOI"].header.get("BUNIT", "log(Gyr)")
        self.age_offset = log_age_offset(unit, self.path, "LW_AGE_VORONOI", "the age")

    def close(self):
        self._hdul.close()

    def maps(self, plateifu: str, shape) -> tuple[np.ndarray, ...]:
        """(age [log yr], age error, [Z/H], [Z/H] error, valid) on a map of ``shape``."""
        if plateifu not in self.row:
            raise SurveyFileError(self.path, f"galaxy {plateifu} is not in the catalogue", "GALAXY_INFO")
        i = self.row[plateifu]
        binid = np.asarray(self._hdul["SPATIAL_BINID"].section[i], dtype=np.int64)
        ny, nx = shape
        if ny > binid.shape[0] or nx > binid.shape[1]:
            raise SurveyFileError(self.path, f"map {shape} larger than SPATIAL_BINID {binid.shape}", "SPATIAL_BINID")
        binid = binid[:ny, :nx]
        age = np.asarray(self._hdul["LW_AGE_VORONOI"].section[i], dtype=np.float64)
        zh = np.asarray(self._hdul["LW_Z_VORONOI"].section[i], dtype=np.float64)
        valid = (binid >= 0) & (binid < age.shape[0])
        b = np.where(valid, binid, 0)
        out = []
        for table, offset in ((age, self.age_offset), (zh, 0.0)):
            val, err = table[b, 0], table[b, 1]
            valid &= np.isfinite(val) & (val > -999)
            out += [np.where(valid, val + offset, 0.0), np.where(valid, err, 0.0)]
        return (*out, valid)


def _open_fits_lazy(path):
    if not Path(path).exists():
        raise SurveyFileError(path, "file is missing")
    try:
        return fits.open(path, memmap=True, lazy_load_hdus=False)
    except Exception as exc:
        raise SurveyFileError(path, f"not a readable FITS file ({type(exc).__name__}: {exc})") from None


def write_firefly_vac(path, plateifus, redshifts, binids, ages, metallicities):
    """Write the FIREFLY VAC layout: GALAXY_INFO, SPATIAL_BINID, LW_*_VORONOI.

    ``binids``: list of per-galaxy (ny, nx) int maps; ``ages``/``metallicities``:
    lists of (nbin, 2) arrays (value, error), ages in log Gyr.
    """
    n = len(plateifus)
    nbin = max(max(len(a) for a in ages), 1)
    spatial = np.full((n, FIREFLY_BINID_SIZE, FIREFLY_BINID_SIZE), -9999, dtype=np.int32)
    age_cube = np.full((n, nbin, 2), -9999.0, dtype=np.float32)
    z_cube = np.full((n, nbin, 2), -9999.0, dtype=np.float32)
    for i in range(n):
        ny, nx = binids[i].shape
        spatial[i, :ny, :nx] = binids[i]
        age_cube[i, : len(ages[i])] = ages[i]
        z_cube[i, : len(metallicities[i])] = metallicities[i]
    info = Table({"PLATEIFU": np.asarray(plateifus, dtype="U12"), "REDSHIFT": np.asarray(redshifts)})
    hdus = [
        fits.PrimaryHDU(),
        fits.table_to_hdu(info),
        fits.ImageHDU(spatial, name="SPATIAL_BINID"),
        fits.ImageHDU(age_cube, name="LW_AGE_VORONOI"),
        fits.ImageHDU(z_cube, name="LW_Z_VORONOI"),
    ]
    hdus[1].name = "GALAXY_INFO"
    hdus[3].header["BUNIT"] = "log(Gyr)"
    hdus[4].header["BUNIT"] = "dex"
    write_fits(fits.HDUList(hdus), path)


# --------------------------------------------------------------------------
# r-band image on the IFU grid
# --------------------------------------------------------------------------


def read_rband_image(path) -> np.ndarray:
    """The SDSS r-band image resampled on the IFU grid (HDU IMAGE, nanomaggies)."""
    with _open_fits(path) as hdul:
        img = _extension(hdul, "IMAGE", path).data
        if img is None or img.ndim != 2:
            raise SurveyFileError(path, "expected a 2-d image", "IMAGE")
        return _finite(img.astype(np.float64), path, "IMAGE")


def write_rband_image(path, plateifu: str, image: np.ndarray, header: dict):
    phdu = fits.PrimaryHDU()
    phdu.header["PLATEIFU"] = plateifu
    hdu = fits.ImageHDU(image.astype(np.float32), name="IMAGE")
    hdu.header["BUNIT"] = "nanomaggies"
    for k, v in header.items():
        hdu.header[k] = v
    write_fits(fits.HDUList([phdu, hdu]), path)


# --------------------------------------------------------------------------
# Survey tables
# --------------------------------------------------------------------------


def read_catalogue_table(path, hdu=1) -> Table:
    """A survey catalogue's FITS table, read without astropy's warnings about its units."""
    with warnings.catch_warnings():
        # Catalogue column units such as 'log(Msun)' or 'degrees' (DR14 Pipe3D) are not FITS
        # units; the column names say enough.
        warnings.simplefilter("ignore", UnitsWarning)
        return Table.read(path, hdu=hdu)


def _read_table(path, hdu=1) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise SurveyFileError(path, "file is missing")
    try:
        t = read_catalogue_table(path, hdu=hdu)
    except Exception as exc:
        raise SurveyFileError(path, f"cannot read table ({type(exc).__name__}: {exc})", str(hdu)) from None
    keep = [c for c in t.colnames if t[c].ndim == 1]  # drop vector columns (e.g. NSA magnitudes)
    df = t[keep].to_pandas()
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(lambda v: v.decode().strip() if isinstance(v, bytes) else str(v).strip())
    return df


def _pick(df: pd.DataFrame, path, wanted: dict[str, tuple[str, ...]], required=()) -> pd.DataFrame:
    """Rename columns case-insensitively: canonical name <- first alias present."""
    lower = {c.lower(): c for c in df.columns}
    out = {}
    for canon, aliases in wanted.items():
        src = next((lower[a.lower()] for a in aliases if a.lower() in lower), None)
        if src is None:
            if canon in required:
                raise SurveyFileError(path, f"column {'/'.join(aliases)} is missing")
            continue
        out[canon] = df[src].to_numpy()
    return pd.DataFrame(out)


DRPALL_COLUMNS = {
    "plateifu": ("plateifu",),
    "mangaid": ("mangaid",),
    "plate": ("plate",),
    "ifudesign": ("ifudsgn", "ifudesign"),
    "ifudesignsize": ("ifudesignsize",),
    "objra": ("objra",),
    "objdec": ("objdec",),
    "mngtarg1": ("mngtarg1",),
    "rfwhm": ("rfwhm",),
    "z": ("nsa_z", "z"),
    "re_arcsec": ("nsa_elpetro_th50_r",),
    "ba": ("nsa_elpetro_ba",),
    "phi": ("nsa_elpetro_phi",),
    "sersic_n": ("nsa_sersic_n",),
    "nsa_run": ("nsa_run",),
    "nsa_camcol": ("nsa_camcol",),
    "nsa_field": ("nsa_field",),
    "drp3qual": ("drp3qual",),
}

#: DRP3QUAL bit 30: the cube is unusable for science.
DRP3QUAL_CRITICAL = 30


def read_drpall(path) -> pd.DataFrame:
    """drpall (HDU MANGA in DR17) with canonical lower-case column names."""
    hdu = "MANGA"
    try:
        with fits.open(path) as h:
            hdu = "MANGA" if "MANGA" in h else 1
    except FileNotFoundError:
        raise SurveyFileError(path, "file is missing") from None
    except Exception as exc:
        raise SurveyFileError(path, f"not a readable FITS file ({exc})") from None
    df = _pick(_read_table(path, hdu), path, DRPALL_COLUMNS, required=("plateifu", "ifudesignsize", "z", "re_arcsec"))
    df["plateifu"] = df["plateifu"].astype(str)
    df["ifudesignsize"] = df["ifudesignsize"].astype(int)
    return df


PIPE3D_CATALOGUE_COLUMNS = {
    "plateifu": ("plateifu",),
    "re_arcsec": ("Re_arc",),
    "re_kpc": ("Re_kpc",),
    # Pipe3D's own conventions, converted by read_pipe3d_catalogue.
    "pa": ("PA",),
    "axis_ratio": ("ellip",),
    "log_mass": ("log_Mass",),
    "log_sfr": ("log_SFR_Ha",),
    "age_lw_re": ("Age_LW_Re_fit",),
    "grad_age_lw": ("alpha_Age_LW_Re_fit",),
    "zh_lw_re": ("ZH_LW_Re_fit",),
    "grad_zh_lw": ("alpha_ZH_LW_Re_fit",),
    "lambda_re": ("Lambda_Re",),
    "vel_sigma_re": ("vel_sigma_Re",),
    "sigma_cen": ("vel_disp_ssp_cen", "sigma_cen"),
    "redshift": ("nsa_redshift", "redshift"),
    "qcflag": ("QCFLAG",),
}


def read_pipe3d_catalogue(path) -> pd.DataFrame:
    """Pipe3D integrated catalogue (SDSS17Pipe3D; DR14 names also accepted).

    ``axis_ratio`` is b/a and ``pa`` the major axis's position angle (deg, North
    through East, [0, 180)), the conventions of drpall's NSA_ELPETRO_BA and
    NSA_ELPETRO_PHI. Pipe3D stores neither: in DR14, ``ellip`` is
    sqrt(1 - (b/a)^2) of NSA_ELPETRO_BA and ``PA`` is NSA_SERSIC_PHI + 90 deg
    (docs/catalogue-conventions.md). DR17 keeps the names and the descriptions
    ('adopted' PA and ellipticity) and is converted alike, which no file here
    can confirm: preprocessing therefore takes b/a and PA from drpall first.
    Values outside [0, 1] (ellip) or [-360, 360] deg (PA) are sentinels: NaN.
    """
    df = _pick(_read_table(path, 1), path, PIPE3D_CATALOGUE_COLUMNS, required=("plateifu",))
    df["plateifu"] = df["plateifu"].astype(str)
    if "axis_ratio" in df:
        e = df["axis_ratio"].to_numpy(np.float64)
        ok = (e >= 0) & (e <= 1)
        df["axis_ratio"] = np.where(ok, np.sqrt(1.0 - np.where(ok, e, 0.0) ** 2), np.nan)
    if "pa" in df:
        pa = df["pa"].to_numpy(np.float64)
        df["pa"] = np.where(np.abs(pa) <= 360, np.mod(pa - 90.0, 180.0), np.nan)
    return df


DAPALL_COLUMNS = {"plateifu": ("PLATEIFU",), "daptype": ("DAPTYPE",), "dapdone": ("DAPDONE",), "dapqual": ("DAPQUAL",)}

#: DAPQUAL bit 30: the DAP output is unusable for science.
DAPQUAL_CRITICAL = 30


def read_dapall(path, daptype: str) -> pd.DataFrame:
    """The dapall rows of one DAP analysis type.

    DR17 keeps one extension per analysis type (named after it); DR15 has a
    single table with a DAPTYPE column. Both are read; rows of other types
    are never mixed in.
    """
    path = Path(path)
    if not path.exists():
        raise SurveyFileError(path, "file is missing")
    try:
        with fits.open(path) as h:
            names = [hdu.name for hdu in h]
    except Exception as exc:
        raise SurveyFileError(path, f"not a readable FITS file ({exc})") from None
    hdu = daptype if daptype.upper() in names else 1
    df = _pick(_read_table(path, hdu), path, DAPALL_COLUMNS, required=("plateifu",))
    if hdu == 1:
        if "daptype" not in df:
            raise SurveyFileError(
                path, f"neither an extension {daptype} nor a DAPTYPE column (extensions: {', '.join(names)})"
            )
        df = df[df["daptype"].astype(str).str.strip() == daptype]
    if "dapdone" not in df:
        raise SurveyFileError(path, "column DAPDONE is missing", str(hdu))
    df = df.copy()
    df["plateifu"] = df["plateifu"].astype(str)
    df["dapdone"] = df["dapdone"].astype(bool)
    return df.reset_index(drop=True)


MDLM_COLUMNS = {"plateifu": ("PLATEIFU",), "t_type": ("T-Type", "TTYPE"), "p_ltg": ("P_LTG",), "p_s0": ("P_S0",)}


def read_mdlm(path) -> pd.DataFrame:
    """MaNGA deep-learning morphology VAC (DR17 'T-Type' or DR15 'TTYPE')."""
    df = _pick(_read_table(path, 1), path, MDLM_COLUMNS, required=("plateifu", "t_type"))
    df["plateifu"] = df["plateifu"].astype(str)
    return df


def write_table(path, df: pd.DataFrame, extname: str, units: dict | None = None):
    """Write a DataFrame as a FITS binary table in extension ``extname``."""
    t = Table.from_pandas(df)
    for col, unit in (units or {}).items():
        if col in t.colnames:
            t[col].unit = unit
    hdu = fits.table_to_hdu(t)
    hdu.name = extname
    write_fits(fits.HDUList([fits.PrimaryHDU(), hdu]), path)
