"""MaNGA IFU geometry: fibre bundles, hexagonal footprints and map grids.

Conventions used throughout the package (stated once, here):
- maps are indexed ``[y, x]``; +y is North, +x is West (East to the left, as on the sky);
- position angles are measured from North through East, in degrees;
- one spaxel is 0.5 arcsec.
"""

from __future__ import annotations

import numpy as np

SPAXEL_ARCSEC = 0.5

#: Fibre count -> hexagon diameter (vertex to vertex, arcsec) of the bundle.
IFU_DIAMETER_ARCSEC = {19: 12.5, 37: 17.5, 61: 22.5, 91: 27.5, 127: 32.5}

#: Fibre count -> side of the square DRP/DAP/Pipe3D map, in spaxels.
IFU_MAP_SIZE = {19: 34, 37: 42, 61: 54, 91: 64, 127: 74}

#: Fibre count -> IFU design numbers on a plate (2x19, 4x37, 4x61, 2x91, 5x127).
IFU_DESIGNS = {
    19: (1901, 1902),
    37: (3701, 3702, 3703, 3704),
    61: (6101, 6102, 6103, 6104),
    91: (9101, 9102),
    127: (12701, 12702, 12703, 12704, 12705),
}

FIBRE_COUNTS = tuple(IFU_DIAMETER_ARCSEC)


def fibres_from_ifudesign(ifudesign: int) -> int:
    """Number of fibres of an IFU design number (e.g. 12703 -> 127)."""
    n = int(ifudesign) // 100
    if n not in IFU_DIAMETER_ARCSEC:
        raise ValueError(f"IFU design {ifudesign} is not a MaNGA science bundle")
    return n


def hexagon_area_arcsec2(n_fibres: int) -> float:
    """Area of the regular hexagon of the bundle, (3 sqrt 3 / 8) D^2."""
    d = IFU_DIAMETER_ARCSEC[n_fibres]
    return 3.0 * np.sqrt(3.0) / 8.0 * d * d


def spaxel_offsets(shape) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (arcsec) of spaxel centres from the map centre: (x_west, y_north).

    ``shape`` is a map shape (ny, nx) or the side of a square map."""
    ny, nx = (shape, shape) if np.isscalar(shape) else shape
    y, x = np.mgrid[0:ny, 0:nx]
    return (x - (nx - 1) / 2.0) * SPAXEL_ARCSEC, (y - (ny - 1) / 2.0) * SPAXEL_ARCSEC


def hexagon_footprint(n_fibres: int, size: int | None = None) -> np.ndarray:
    """Boolean map of the spaxels whose centres fall inside the bundle's hexagon.

    The hexagon has two vertices on the x axis (the bundle's long diagonal lies
    East-West, as in the MaNGA bundles), vertex-to-vertex diameter
    ``IFU_DIAMETER_ARCSEC[n_fibres]``.
    """
    size = IFU_MAP_SIZE[n_fibres] if size is None else size
    x, y = spaxel_offsets(size)
    r = IFU_DIAMETER_ARCSEC[n_fibres] / 2.0  # circumradius
    ax, ay = np.abs(x), np.abs(y)
    apothem = r * np.sqrt(3.0) / 2.0
    return (ay <= apothem) & (np.sqrt(3.0) * ax + ay <= np.sqrt(3.0) * r)
