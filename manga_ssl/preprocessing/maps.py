"""Preprocessing (paper Section 2): from survey files to the network's tensors.

Per galaxy: read the five Pipe3D maps and their errors by channel description,
zero the spaxels with S/N < 3 in the median-intensity map, subtract the
systemic velocity, crop to the IFU footprint, bin 2x2, zero-pad to 32x32
(centred). The same is done to the model-variation maps (DAP kinematics,
FIREFLY age/[Z/H], the SDSS r-band image). Normalisation needs the whole
sample and happens afterwards (:func:`normalise`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from manga_ssl.survey import formats
from manga_ssl.survey.ifu import hexagon_footprint
from manga_ssl.survey.targets import target_sample

#: The paper's five input channels, in order.
CHANNELS = ("v_band_flux", "lw_log_age", "lw_metallicity", "stellar_velocity", "velocity_dispersion")
V_BAND, AGE, METALLICITY, VELOCITY, DISPERSION = range(5)


class GalaxyRejected(Exception):
    """This galaxy cannot enter the sample; ``file`` and ``reason`` say why."""

    def __init__(self, file, reason):
        self.file, self.reason = str(file), reason
        super().__init__(f"{file}: {reason}")


@dataclass
class GalaxyTensors:
    """Binned, padded physical maps of one galaxy (before normalisation)."""

    maps: np.ndarray  # (S, S, 5) physical units, 0 where invalid
    errors: np.ndarray  # (S, S, 5) 1-sigma errors of the binned values
    valid: np.ndarray  # (S, S, 5) bool
    model_variation: np.ndarray  # (S, S, 5) the alternative modelling of the same galaxy
    model_variation_valid: np.ndarray  # (S, S, 5) bool


# --------------------------------------------------------------------------
# Geometry: footprint crop, 2x2 binning, centred padding
# --------------------------------------------------------------------------


def footprint_box(footprint: np.ndarray) -> tuple[slice, slice]:
    """Bounding box of the footprint, made even-sided (so 2x2 binning is exact)."""
    rows = np.flatnonzero(footprint.any(axis=1))
    cols = np.flatnonzero(footprint.any(axis=0))
    if rows.size == 0:
        raise ValueError("empty footprint")

    def even(lo, hi, n):  # hi exclusive; grow by one (inside the map) if odd
        if (hi - lo) % 2:
            hi = hi + 1 if hi < n else hi
            lo = lo - 1 if (hi - lo) % 2 else lo
        return slice(max(lo, 0), hi)

    return even(rows[0], rows[-1] + 1, footprint.shape[0]), even(cols[0], cols[-1] + 1, footprint.shape[1])


def bin2x2(values: np.ndarray, valid: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Bin (ny, nx[, c]) maps 2x2 over valid spaxels.

    ``how``: 'sum' (fluxes: the total over valid spaxels is conserved),
    'mean' (intensive quantities: mean of the valid spaxels) or 'error'
    (error of that mean, sqrt(sum e^2)/n). A binned pixel is valid when any
    of its four spaxels is; otherwise it is 0.
    """
    ny, nx = values.shape[:2]
    ny2, nx2 = ny - ny % 2, nx - nx % 2
    v = np.where(valid, values, 0.0)[:ny2, :nx2]
    m = valid[:ny2, :nx2].astype(float)
    shape = (ny2 // 2, 2, nx2 // 2, 2) + values.shape[2:]
    count = m.reshape(shape).sum(axis=(1, 3))
    if how == "sum":
        out = v.reshape(shape).sum(axis=(1, 3))
    elif how == "mean":
        out = v.reshape(shape).sum(axis=(1, 3)) / np.maximum(count, 1)
    elif how == "error":
        out = np.sqrt((v**2).reshape(shape).sum(axis=(1, 3))) / np.maximum(count, 1)
    else:
        raise ValueError(f"unknown binning '{how}'")
    return np.where(count > 0, out, 0.0), count > 0


def pad_to(arr: np.ndarray, size: int) -> np.ndarray:
    """Centre ``arr`` (ny, nx, ...) on a size x size grid: zero-pad, or crop the
    outermost rows/columns symmetrically when the map is larger."""
    out = np.zeros((size, size) + arr.shape[2:], dtype=arr.dtype)
    ny, nx = arr.shape[:2]
    sy, sx = max(0, (ny - size) // 2), max(0, (nx - size) // 2)
    src = arr[sy : sy + min(ny, size), sx : sx + min(nx, size)]
    oy, ox = (size - src.shape[0]) // 2, (size - src.shape[1]) // 2
    out[oy : oy + src.shape[0], ox : ox + src.shape[1]] = src
    return out


_BINNING = ("sum", "mean", "mean", "mean", "mean")


def to_grid(maps, errors, valid, footprint, size):
    """Crop to the footprint, bin 2x2 and pad to ``size`` (maps, errors, valid: (ny, nx, 5))."""
    ys, xs = footprint_box(footprint)
    binned, errs, ok = [], [], []
    for c, how in enumerate(_BINNING):
        v, m = bin2x2(maps[ys, xs, c], valid[ys, xs, c], how)
        e = _bin_error(errors[ys, xs, c], valid[ys, xs, c], how)
        binned.append(v), errs.append(e), ok.append(m)
    stack = lambda a: pad_to(np.stack(a, axis=-1), size)  # noqa: E731
    return stack(binned), stack(errs), stack(ok).astype(bool)


def _bin_error(errors, valid, how):
    """Error of a binned value: quadrature sum for sums, error of the mean for means."""
    if how == "sum":
        e, _ = bin2x2(errors**2, valid, "sum")
        return np.sqrt(e)
    return bin2x2(errors, valid, "error")[0]


# --------------------------------------------------------------------------
# One galaxy
# --------------------------------------------------------------------------


def signal_to_noise(pipe3d: formats.Pipe3DMaps) -> np.ndarray:
    """S/N of the median-intensity map (median flux over its standard deviation)."""
    std = pipe3d.flux_std
    return np.divide(pipe3d.flux_median, std, out=np.zeros_like(std), where=std > 0)


def pipe3d_physical_maps(pipe3d: formats.Pipe3DMaps, sn_min: float):
    """(maps, errors, valid, v_sys) at full resolution, systemic velocity removed."""
    valid = pipe3d.select_reg & ~pipe3d.gaia_mask & (signal_to_noise(pipe3d) >= sn_min)
    if not valid.any():
        raise GalaxyRejected("", f"no spaxel with S/N >= {sn_min:g} in the median-intensity map")
    v_sys = float(np.median(pipe3d.vel[valid]))
    maps = np.stack([pipe3d.flux_v, pipe3d.age_lw, pipe3d.zh_lw, pipe3d.vel - v_sys, pipe3d.sigma], axis=-1)
    errors = np.stack([pipe3d.flux_std, pipe3d.age_err, pipe3d.zh_err, pipe3d.vel_err, pipe3d.sigma_err], axis=-1)
    valid5 = np.repeat(valid[..., None], 5, axis=-1)
    return np.where(valid5, maps, 0.0), np.where(valid5, errors, 0.0), valid5, v_sys


def model_variation_maps(base_valid, v_band, dap: formats.DAPMaps, firefly_maps, rband):
    """Alternative modelling of the five maps on the Pipe3D grid.

    V band -> SDSS r-band image scaled to the V-band flux inside the valid
    region; velocity, dispersion -> DAP stellar kinematics (median removed,
    like the Pipe3D velocity); age, [Z/H] -> FIREFLY. Each channel is valid
    where its own product is and the Pipe3D map is.
    """
    age, age_err, zh, zh_err, ff_valid = firefly_maps
    r_pos = np.clip(rband, 0, None)
    scale = v_band[base_valid].sum() / max(r_pos[base_valid].sum(), 1e-30)
    kin_valid = base_valid & dap.good
    vel = dap.stellar_vel - (np.median(dap.stellar_vel[kin_valid]) if kin_valid.any() else 0.0)
    ff_valid = base_valid & ff_valid
    maps = np.stack([r_pos * scale, age, zh, vel, dap.stellar_sigma], axis=-1)
    valid = np.stack([base_valid, ff_valid, ff_valid, kin_valid, kin_valid], axis=-1)
    return np.where(valid, maps, 0.0), valid


def bundle_footprint(shape, n_fibres) -> np.ndarray:
    """The IFU's hexagonal footprint on a square map (the whole map otherwise)."""
    return hexagon_footprint(n_fibres, shape[0]) if shape[0] == shape[1] else np.ones(shape, bool)


def input_maps(pipe3d, n_fibres, size=32, sn_min=3.0):
    """The five input maps of one galaxy on the size x size grid, from its Pipe3D cube alone:
    (maps, errors, valid) binned and padded, then the full-resolution (maps, valid, v_sys).
    What the network sees of a galaxy needs nothing else (the other products feed only the
    model-variation augmentation), so new galaxies are placed from this alone."""
    maps, errors, valid, v_sys = pipe3d_physical_maps(pipe3d, sn_min)
    grid = to_grid(maps, errors, valid, bundle_footprint(pipe3d.shape, n_fibres), size)
    return grid, (maps, valid, v_sys)


def galaxy_tensors(pipe3d, dap, firefly_maps, rband, n_fibres, size=32, sn_min=3.0):
    """All binned, padded maps of one galaxy, plus full-resolution products for measurements."""
    (t_maps, t_err, t_valid), (maps, valid, v_sys) = input_maps(pipe3d, n_fibres, size, sn_min)
    mv, mv_valid = model_variation_maps(valid[..., 0], pipe3d.flux_v, dap, firefly_maps, rband)
    foot = bundle_footprint(pipe3d.shape, n_fibres)
    mv_maps, _, mv_ok = to_grid(mv, np.zeros_like(mv), mv_valid, foot, size)
    return GalaxyTensors(t_maps, t_err, t_valid, mv_maps, mv_ok), (maps, valid[..., 0], v_sys)


# --------------------------------------------------------------------------
# Normalisation (needs the whole sample)
# --------------------------------------------------------------------------


def v_band_transform(flux):
    """The V band goes through a logarithm and a square root before scaling."""
    return np.sqrt(np.log1p(np.clip(flux, 0, None)))


def _transformed(maps):
    out = maps.astype(np.float64).copy()
    out[..., V_BAND] = v_band_transform(out[..., V_BAND])
    return out


def relative_scale(maps, valid, percentiles=(0.1, 99.9)):
    """One (lo, hi) per channel for the whole sample: a change of units.

    The velocity range is made symmetric so 0 km/s maps to 0.5.
    """
    t = _transformed(maps)
    lo, hi = np.zeros(maps.shape[-1]), np.zeros(maps.shape[-1])
    for c in range(maps.shape[-1]):
        vals = t[..., c][valid[..., c]]
        lo[c], hi[c] = np.percentile(vals, percentiles) if vals.size else (0.0, 1.0)
    vmax = max(abs(lo[VELOCITY]), abs(hi[VELOCITY]))
    lo[VELOCITY], hi[VELOCITY] = -vmax, vmax
    hi = np.where(hi > lo, hi, lo + 1.0)
    return lo, hi


def normalise(maps, valid, how: str, scale=None):
    """Normalise (N, S, S, C) maps to [0, 1]; invalid pixels stay 0.

    how='relative': the same linear map for every galaxy (``scale`` = (lo, hi)
    from :func:`relative_scale`); how='individual': each galaxy's map spans
    [0, 1]. Returns (normalised maps, slope) where ``slope`` (N, C) is the
    factor that turns a physical error into a normalised one.
    """
    t = _transformed(maps)
    if how == "relative":
        lo, hi = scale
        lo = np.broadcast_to(lo, (maps.shape[0], maps.shape[-1]))
        hi = np.broadcast_to(hi, (maps.shape[0], maps.shape[-1]))
    elif how == "individual":
        big = np.where(valid, t, np.inf)
        lo = big.min(axis=(1, 2))
        hi = np.where(valid, t, -np.inf).max(axis=(1, 2))
        empty = ~np.isfinite(lo)
        lo, hi = np.where(empty, 0.0, lo), np.where(empty, 1.0, hi)
        flat = hi <= lo
        lo, hi = np.where(flat, lo - 0.5, lo), np.where(flat, lo + 0.5, hi)  # constant map -> 0.5
    else:
        raise ValueError(f"unknown normalisation '{how}' (use 'relative' or 'individual')")
    span = (hi - lo)[:, None, None, :]
    out = np.clip((t - lo[:, None, None, :]) / span, 0.0, 1.0)
    return np.where(valid, out, 0.0).astype(np.float32), 1.0 / (hi - lo)


def noise_sigma(maps, errors, valid, normalised, slope, v_band_sigma=0.1, max_sigma=1.0):
    """Per-pixel sigma of the multiplicative noise augmentation, N(1, sigma).

    sigma is the inverse S/N of each normalised pixel (error propagated
    through the normalisation); the V band has no error map in the paper and
    gets ``v_band_sigma``.
    """
    err_norm = errors * slope[:, None, None, :]
    sigma = np.divide(err_norm, normalised, out=np.full(errors.shape, max_sigma), where=normalised > 0)
    sigma[..., V_BAND] = v_band_sigma
    sigma = np.clip(sigma, 0.0, max_sigma)
    return np.where(valid, sigma, 0.0).astype(np.float32)


# --------------------------------------------------------------------------
# The whole survey
# --------------------------------------------------------------------------

#: Catalogue columns (Fig. 2 and Section 4.2) and their units.
CATALOGUE_UNITS = {
    "plateifu": "",
    "mangaid": "",
    "sample": "MaNGA target sample (MNGTARG1)",
    # instrumental / observational (Fig. 2, left columns)
    "n_fibres": "fibres in the IFU",
    "re_arcsec": "arcsec",
    "n_zero_pixels": "pixels of the 32x32 input",
    "position_angle": "deg (major axis, N through E: drpall NSA_ELPETRO_PHI, else Pipe3D PA - 90)",
    "rotation_angle": "deg (from the velocity map)",
    "coverage": "D_IFU / Re (both arcsec)",
    "z": "",
    "psf_fwhm": "arcsec",
    "systemic_velocity": "km/s (median of the Pipe3D velocity map)",
    # physical (Fig. 2, right columns; Fig. 3, 4)
    "re_kpc": "kpc",
    "lambda_re": "within 1.5 Re, from the maps",
    "sigma_cen": "km/s, central 2.5 arcsec, from the maps",
    "age_lw_re": "log10(yr), LW age at Re, from the maps",
    "grad_age_lw": "dex / Re, 0.5-2 Re, from the maps",
    "zh_lw_re": "dex, LW [Z/H] at Re, from the maps",
    "grad_zh_lw": "dex / Re, 0.5-2 Re, from the maps",
    "log_mass": "log10(Msun), Pipe3D catalogue",
    "log_sfr": "log10(Msun/yr), Pipe3D catalogue",
    "ellipticity": "1 - b/a (drpall NSA_ELPETRO_BA, else Pipe3D sqrt(1 - ellip^2))",
    "t_type": "MDLM T-Type",
}


def _row(df, plateifu):
    hit = df.loc[df["plateifu"] == plateifu]
    return hit.iloc[0].to_dict() if len(hit) else {}


_FIREFLY_CACHE: dict = {}


def _firefly(path):
    if path not in _FIREFLY_CACHE:
        _FIREFLY_CACHE[path] = formats.FireflyVAC(path)
    return _FIREFLY_CACHE[path]


def process_galaxy(plateifu, layout, drp: dict, cat: dict, mdlm: dict, size=32, sn_min=3.0):
    """Tensors and catalogue row of one galaxy; raises GalaxyRejected."""
    from manga_ssl.preprocessing import measurements
    from manga_ssl.survey.cosmology import kpc_per_arcsec
    from manga_ssl.survey.ifu import IFU_DIAMETER_ARCSEC

    cube = layout.pipe3d_cube(plateifu)
    current = cube
    try:
        pipe3d = formats.read_pipe3d_cube(cube)
        current = layout.dap_maps(plateifu)
        dap = formats.read_dap_maps(current)
        _same_shape(dap.shape, pipe3d.shape, current, "DAP MAPS")
        current = layout.rband_image(plateifu)
        rband = formats.read_rband_image(current)
        _same_shape(rband.shape, pipe3d.shape, current, "r-band image")
        current = layout.firefly
        ff = _firefly(str(layout.firefly)).maps(plateifu, pipe3d.shape)
        current = cube
        n_fibres = int(drp["ifudesignsize"])
        tensors, (maps, valid, v_sys) = galaxy_tensors(pipe3d, dap, ff, rband, n_fibres, size, sn_min)
    except formats.SurveyFileError as exc:
        where = f"[{exc.extension}] " if exc.extension else ""
        raise GalaxyRejected(exc.path, where + exc.problem) from None
    except GalaxyRejected as exc:
        raise GalaxyRejected(exc.file or current, exc.reason) from None

    re_arcsec = float(drp["re_arcsec"])
    pa, axis_ratio = _geometry(drp, cat)
    radius = measurements.elliptical_radius(maps.shape[:2], re_arcsec, pa, axis_ratio)
    flux, vel, sig = maps[..., V_BAND], maps[..., VELOCITY], maps[..., DISPERSION]
    age_re, grad_age = measurements.radial_fit(maps[..., AGE], pipe3d.age_err, valid, radius)
    zh_re, grad_zh = measurements.radial_fit(maps[..., METALLICITY], pipe3d.zh_err, valid, radius)
    z = float(drp["z"])
    row = {
        "plateifu": plateifu,
        "mangaid": str(drp.get("mangaid", "")),
        "sample": target_sample(drp.get("mngtarg1", 0)) or "other",
        "n_fibres": n_fibres,
        "re_arcsec": re_arcsec,
        "n_zero_pixels": int((~tensors.valid[..., V_BAND]).sum()),
        "position_angle": pa,
        "rotation_angle": measurements.rotation_angle(vel, valid),
        "coverage": IFU_DIAMETER_ARCSEC[n_fibres] / re_arcsec,
        "z": z,
        "psf_fwhm": float(drp.get("rfwhm", np.nan)),
        "systemic_velocity": v_sys,
        "re_kpc": re_arcsec * float(kpc_per_arcsec(z)),
        "lambda_re": measurements.lambda_re(flux, vel, sig, valid, radius),
        "sigma_cen": measurements.central_dispersion(flux, sig, valid),
        "age_lw_re": age_re,
        "grad_age_lw": grad_age,
        "zh_lw_re": zh_re,
        "grad_zh_lw": grad_zh,
        "log_mass": float(cat.get("log_mass", np.nan)),
        "log_sfr": float(cat.get("log_sfr", np.nan)),
        "ellipticity": 1.0 - axis_ratio,
        "t_type": float(mdlm.get("t_type", np.nan)),
    }
    return tensors, row


def _geometry(drp: dict, cat: dict) -> tuple[float, float]:
    """(major-axis PA in deg N through E, b/a) of one galaxy.

    drpall's NSA_ELPETRO_PHI and NSA_ELPETRO_BA come first: their meaning is
    documented in every release, while the Pipe3D catalogue's copies had to be
    converted from its own conventions, checked on DR14 only
    (docs/catalogue-conventions.md). Sentinels (-9999) fall through to the next source.
    """

    def first(values, ok, default):
        return next((float(v) for v in values if v is not None and np.isfinite(v) and ok(v)), default)

    pa = first((drp.get("phi"), cat.get("pa")), lambda v: abs(v) <= 360, 0.0)
    axis_ratio = first((drp.get("ba"), cat.get("axis_ratio")), lambda v: 0 < v <= 1, 1.0)
    return pa, axis_ratio


def _same_shape(shape, pipe3d_shape, path, what):
    if shape != pipe3d_shape:
        raise GalaxyRejected(path, f"{what} shape {shape} differs from the Pipe3D map shape {pipe3d_shape}")


def _process(args):
    try:
        return process_galaxy(*args)
    except GalaxyRejected as exc:
        return exc


def preprocess_survey(
    layout,
    size=32,
    sn_min=3.0,
    main_sample_only=True,
    processes=1,
    max_rejected_fraction=0.2,
    log=None,
    sample=None,
    unavailable=None,
):
    """Run :func:`process_galaxy` over the survey; one bad galaxy never stops the rest.

    ``sample``: the plateifus to process (default: every main-sample galaxy of
    drpall); ``unavailable``: {plateifu: (file, reason)} of sample galaxies whose
    files could not be had, listed as rejected without being read.
    Returns (arrays dict for the intermediate NPZ, catalogue DataFrame, rejected DataFrame).
    """
    import logging
    from concurrent.futures import ProcessPoolExecutor

    import pandas as pd

    log = log or logging.getLogger(__name__)
    drpall = layout.read_drpall()
    if main_sample_only and "mngtarg1" in drpall:
        drpall = drpall[[target_sample(t) is not None for t in drpall["mngtarg1"]]]
    if sample is not None:
        missing = sorted(set(sample) - set(drpall["plateifu"]))
        if missing:
            raise RuntimeError(
                f"{layout.drpall}: sample galaxies not in drpall's main sample: {', '.join(missing[:10])}"
            )
        drpall = drpall[drpall["plateifu"].isin(set(sample))]
    unavailable = unavailable or {}
    rejected = [{"plateifu": p, "file": f, "reason": r} for p, (f, r) in unavailable.items()]
    for row in rejected:
        log.warning("rejected %s: %s: %s", row["plateifu"], row["file"], row["reason"])
    drpall = drpall[~drpall["plateifu"].isin(set(unavailable))]
    cat = _optional_table(layout.read_pipe3d_catalogue, log)
    mdlm = _optional_table(layout.read_mdlm, log)
    jobs = [
        (p, layout, d, _row(cat, p), _row(mdlm, p), size, sn_min)
        for p, d in zip(drpall["plateifu"], drpall.to_dict("records"))
    ]
    if not jobs:
        why = (
            f"all {len(unavailable)} sample galaxies lack a file (see the download manifest)"
            if unavailable
            else "no galaxy of the main sample to preprocess"
        )
        raise RuntimeError(f"{layout.drpall}: {why}")

    kept, rows = [], []
    pool = ProcessPoolExecutor(processes) if processes > 1 else None
    results = pool.map(_process, jobs, chunksize=8) if pool else map(_process, jobs)
    step = max(1, len(jobs) // 20)
    for k, (job, res) in enumerate(zip(jobs, results), 1):
        if isinstance(res, GalaxyRejected):
            log.warning("rejected %s: %s: %s", job[0], res.file, res.reason)
            rejected.append({"plateifu": job[0], "file": res.file, "reason": res.reason})
        else:
            kept.append(res[0]), rows.append(res[1])
        if k % step == 0 or k == len(jobs):
            log.info("preprocessed %d/%d galaxies (%d rejected)", k, len(jobs), len(rejected))
    if pool:
        pool.shutdown()

    n_total = len(jobs) + len(unavailable)
    frac = len(rejected) / n_total
    if frac > max_rejected_fraction or not kept:
        raise RuntimeError(
            f"{len(rejected)} of {n_total} galaxies ({frac:.1%}) were rejected, more than the allowed "
            f"preprocessing.max_rejected_fraction = {max_rejected_fraction:.1%}; see the rejection list for reasons"
        )
    arrays = {
        "plateifu": np.array([r["plateifu"] for r in rows]),
        "channels": np.array(CHANNELS),
        "maps": np.stack([t.maps for t in kept]).astype(np.float32),
        "errors": np.stack([t.errors for t in kept]).astype(np.float32),
        "valid": np.stack([t.valid for t in kept]),
        "model_variation": np.stack([t.model_variation for t in kept]).astype(np.float32),
        "model_variation_valid": np.stack([t.model_variation_valid for t in kept]),
    }
    catalogue = pd.DataFrame(rows, columns=list(CATALOGUE_UNITS))
    return arrays, catalogue, pd.DataFrame(rejected, columns=["plateifu", "file", "reason"])


def _optional_table(reader, log):
    """Integrated catalogues feed physical columns only; without them those are NaN."""
    import pandas as pd

    try:
        return reader()
    except formats.SurveyFileError as exc:
        log.warning("%s; its columns will be NaN", exc)
        return pd.DataFrame({"plateifu": pd.Series(dtype=str)})


def build_tensors(arrays: dict, how: str, percentiles=(0.1, 99.9), v_band_sigma=0.1) -> dict:
    """The network's inputs for one normalisation: maps, noise sigma, model variation."""
    valid, mv_valid = arrays["valid"], arrays["model_variation_valid"]
    scale = relative_scale(arrays["maps"], valid, percentiles) if how == "relative" else None
    maps, slope = normalise(arrays["maps"], valid, how, scale)
    mv, _ = normalise(arrays["model_variation"], mv_valid, how, scale)
    sigma = noise_sigma(arrays["maps"], arrays["errors"], valid, maps, slope, v_band_sigma)
    out = {
        "plateifu": arrays["plateifu"],
        "channels": arrays["channels"],
        "normalisation": np.array(how),
        "maps": maps,
        "sigma": sigma,
        "model_variation": mv,
    }
    if scale is not None:
        # float64, as applied: new galaxies placed in the run are normalised bit for bit alike
        out["scale_lo"], out["scale_hi"] = scale
    return out
