"""The cosmology behind angular <-> physical sizes (flat LCDM, H0=70, Om0=0.3,
the convention of the Pipe3D catalogues)."""

from __future__ import annotations

import functools

import numpy as np
from astropy.cosmology import FlatLambdaCDM

COSMOLOGY = FlatLambdaCDM(H0=70.0, Om0=0.3)
C_KMS = 299792.458


def kpc_per_arcsec(z) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    return COSMOLOGY.kpc_proper_per_arcmin(z).value / 60.0


def luminosity_distance_mpc(z) -> np.ndarray:
    return COSMOLOGY.luminosity_distance(np.asarray(z, dtype=float)).value


@functools.lru_cache(maxsize=1)
def _scale_grid():
    z = np.linspace(0.002, 0.4, 4000)
    return z, kpc_per_arcsec(z)


def redshift_for_scale(scale_kpc_per_arcsec) -> np.ndarray:
    """Invert kpc/arcsec -> z on (0.002, 0.4), where the scale grows monotonically."""
    z, s = _scale_grid()
    return np.interp(scale_kpc_per_arcsec, s, z, left=np.nan, right=np.nan)
