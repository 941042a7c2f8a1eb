"""Parameters the paper derives from the maps (Section 4.1, Fig. 2).

All functions take full-resolution maps (0.5 arcsec spaxels, the sky
convention of :mod:`manga_ssl.ifu`) and a boolean ``valid`` mask.
"""

from __future__ import annotations

import numpy as np

from manga_ssl.survey.ifu import spaxel_offsets


def position_angle_of(dx_west, dy_north) -> float:
    """Position angle (deg, North through East, [0, 360)) of a sky-plane vector."""
    return float(np.mod(np.degrees(np.arctan2(-dx_west, dy_north)), 360.0))


def rotation_angle(velocity: np.ndarray, valid: np.ndarray) -> float:
    """The paper's rotation angle: perpendicular to the line from the mean
    position of the approaching (v < 0) spaxels to that of the receding
    (v > 0) ones. Returned in [0, 360): the receding side's PA plus 90 deg."""
    x, y = spaxel_offsets(velocity.shape)
    pos, neg = valid & (velocity > 0), valid & (velocity < 0)
    if not pos.any() or not neg.any():
        return np.nan
    dx = x[pos].mean() - x[neg].mean()
    dy = y[pos].mean() - y[neg].mean()
    return float(np.mod(position_angle_of(dx, dy) + 90.0, 360.0))


def major_minor_offsets(shape, pa_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Spaxel offsets (arcsec) along the axis at ``pa_deg`` and perpendicular to it."""
    x, y = spaxel_offsets(shape)
    pa = np.radians(pa_deg)
    return -x * np.sin(pa) + y * np.cos(pa), x * np.cos(pa) + y * np.sin(pa)


def elliptical_radius(shape, re_arcsec: float, pa_deg: float, axis_ratio: float) -> np.ndarray:
    """Semi-major-axis distance of every spaxel from the centre, in units of Re."""
    u, w = major_minor_offsets(shape, pa_deg)
    return np.hypot(u, w / max(axis_ratio, 0.05)) / re_arcsec


def lambda_re(flux, velocity, sigma, valid, radius_re, r_max=1.5) -> float:
    """lambda_R within r_max Re (Emsellem et al. 2007): sum F R |V| / sum F R sqrt(V^2+s^2)."""
    m = valid & (radius_re <= r_max) & (flux > 0)
    if m.sum() < 5:
        return np.nan
    f, r = flux[m], radius_re[m]
    num = np.sum(f * r * np.abs(velocity[m]))
    den = np.sum(f * r * np.hypot(velocity[m], sigma[m]))
    return float(num / den) if den > 0 else np.nan


def central_dispersion(flux, sigma, valid, aperture_arcsec=1.25) -> float:
    """sigma_cen: flux-weighted dispersion inside a central aperture (2.5" diameter)."""
    x, y = spaxel_offsets(sigma.shape)
    m = valid & (np.hypot(x, y) <= aperture_arcsec) & (flux > 0)
    if not m.any():
        return np.nan
    return float(np.sum(flux[m] * sigma[m]) / np.sum(flux[m]))


def radial_fit(values, errors, valid, radius_re, r_min=0.5, r_max=2.0, min_spaxels=10):
    """Weighted straight-line fit of a map against R/Re over [r_min, r_max].

    Returns (value at 1 Re, slope per Re), like Pipe3D's *_Re_fit and alpha_*.
    """
    m = valid & (radius_re >= r_min) & (radius_re <= r_max) & (errors > 0)
    if m.sum() < min_spaxels or np.ptp(radius_re[m]) < 0.3:
        return np.nan, np.nan
    w = 1.0 / errors[m]
    slope, intercept = np.polyfit(radius_re[m] - 1.0, values[m], 1, w=w)
    return float(intercept), float(slope)
