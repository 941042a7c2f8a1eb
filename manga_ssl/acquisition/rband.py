"""SDSS r-band images on the IFU grid, for the model variation of the V-band map (Section 3.2).

Source: the DR17 SDSS imaging frames (``frame-r-RUN-CAMCOL-FIELD.fits.bz2``),
one per galaxy, found from drpall's NSA run/camcol/field. They are calibrated
and sky-subtracted (nanomaggies per 0.396 arcsec pixel), public as static
files on the SAS (resumable, checkable downloads) and carry a TAN WCS. The
paper took the SkyServer cutout service's images, which are JPEG colour
composites for display, not fluxes, and come from a web service rather than
a file archive, so they are not used here.

The frame is resampled onto the IFU grid of the DAP MAPS file (its WCS, 0.5
arcsec spaxels): each spaxel's surface brightness is the frame's, sampled
bilinearly at 3 x 3 points inside the spaxel, times the spaxel's area, so the
total flux is kept. Spaxels outside the frame are zero; a galaxy whose fibre-bundle
footprint is less than 95% on its frame is refused (named in the rejection list).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_area
from scipy.ndimage import map_coordinates

from manga_ssl.survey.formats import SurveyFileError, read_rband_image, write_rband_image

#: The frame must cover at least this fraction of the IFU footprint.
MIN_COVERAGE = 0.95
SUBSAMPLE = 3
#: Kept in each image; raise it when the cut-out changes, and older images are cut again.
CUTOUT_VERSION = 1


def is_current(path) -> bool:
    """True for a readable r-band image cut by this code (a previous run's, not to be made again)."""
    if not Path(path).exists():
        return False
    try:
        read_rband_image(path)
        return fits.getheader(path, "IMAGE").get("CUTVERS") == CUTOUT_VERSION
    except (SurveyFileError, OSError, KeyError):
        return False


def resample_flux(image: np.ndarray, src: WCS, dst: WCS, shape, subsample: int = SUBSAMPLE):
    """Flux per pixel of ``image`` (flux per ``src`` pixel) on the ``dst`` grid of ``shape``.

    Returns (resampled image, covered) where ``covered`` marks pixels whose
    centre falls on the source image.
    """
    ny, nx = shape
    offsets = (np.arange(subsample) + 0.5) / subsample - 0.5
    yy, xx = np.mgrid[0:ny, 0:nx].astype(float)
    sb = np.zeros(shape)
    for dy in offsets:
        for dx in offsets:
            world = dst.pixel_to_world_values(xx + dx, yy + dy)
            sx, sy = src.world_to_pixel_values(*world)
            sb += map_coordinates(image, [sy, sx], order=1, mode="constant", cval=0.0)
    sb /= subsample**2
    cx, cy = src.world_to_pixel_values(*dst.pixel_to_world_values(xx, yy))
    covered = (cx >= -0.5) & (cx <= image.shape[1] - 0.5) & (cy >= -0.5) & (cy <= image.shape[0] - 0.5)
    ratio = proj_plane_pixel_area(dst) / proj_plane_pixel_area(src)
    return np.where(covered, sb * ratio, 0.0), covered


def ifu_grid(maps_path) -> tuple[WCS, np.ndarray]:
    """Celestial WCS of the IFU grid (the DAP MAPS file's SPX_MFLUX header) and the bundle's
    footprint on it (spaxels with a BINID >= 0 in any binning; the whole grid without BINID)."""
    try:
        with fits.open(maps_path) as hdul:
            hdu = hdul["SPX_MFLUX"]
            wcs = WCS(hdu.header, naxis=2)
            footprint = np.ones(hdu.data.shape, bool)
            if "BINID" in hdul:
                binid = np.asarray(hdul["BINID"].data)
                footprint = (binid.max(axis=0) if binid.ndim == 3 else binid) >= 0
    except KeyError:
        raise SurveyFileError(maps_path, "extension SPX_MFLUX is missing", "SPX_MFLUX") from None
    except Exception as exc:
        raise SurveyFileError(maps_path, f"not a readable FITS file ({exc})") from None
    if not wcs.has_celestial:
        raise SurveyFileError(maps_path, "no celestial WCS in the header", "SPX_MFLUX")
    return wcs, footprint


def read_frame(frame_path) -> tuple[np.ndarray, WCS]:
    """Image (nanomaggies per pixel) and WCS of an SDSS frame (HDU 0)."""
    try:
        with fits.open(frame_path) as hdul:
            image = np.asarray(hdul[0].data, dtype=np.float64)
            wcs = WCS(hdul[0].header, naxis=2)
    except Exception as exc:
        raise SurveyFileError(frame_path, f"not a readable SDSS frame ({exc})") from None
    if image.ndim != 2 or not wcs.has_celestial:
        raise SurveyFileError(frame_path, "HDU 0 is not a 2-d image with a celestial WCS")
    return np.nan_to_num(image), wcs


def rband_on_ifu_grid(frame_path, maps_path, dest, plateifu: str) -> float:
    """Cut the galaxy out of its SDSS frame on the IFU grid and write the r-band image; returns the coverage."""
    image, frame_wcs = read_frame(frame_path)
    wcs, footprint = ifu_grid(maps_path)
    cutout, covered = resample_flux(image, frame_wcs, wcs, footprint.shape)
    coverage = float(covered[footprint].mean()) if footprint.any() else float(covered.mean())
    if coverage < MIN_COVERAGE:
        raise SurveyFileError(
            frame_path,
            f"covers only {coverage:.0%} of the IFU footprint of {plateifu} "
            f"(needs {MIN_COVERAGE:.0%}): the galaxy lies on the frame's edge",
        )
    header = wcs.to_header()
    header["FRAME"] = (str(frame_path).rsplit("/", 1)[-1], "SDSS frame the image was cut from")
    header["COVERAGE"] = (round(coverage, 4), "fraction of the IFU footprint on the frame")
    header["CUTVERS"] = (CUTOUT_VERSION, "version of the manga_ssl.rband cut-out")
    write_rband_image(dest, plateifu, cutout, {c.keyword: (c.value, c.comment) for c in header.cards})
    return coverage
