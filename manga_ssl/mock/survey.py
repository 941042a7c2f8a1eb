"""The embedded default dataset: a physically grounded mock MaNGA DR17 survey.

Galaxies come from three overlapping populations (star-forming rotating discs,
low/intermediate-mass quenched fast rotators, massive slow rotators) with
scaling relations calibrated on the real catalogues (docs/mock-survey.md).
Each galaxy is "observed" as MaNGA does (sample-dependent coverage, IFU size,
redshift from the cosmology, hexagonal footprint, PSF, surface-brightness
dependent noise, foreground stars) and written in the DR17 file layouts, so
that the very readers used on real data read it.
"""

from __future__ import annotations

import logging
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter
from scipy.special import gamma as gamma_fn

from manga_ssl.core.files import atomic_output
from manga_ssl.preprocessing.measurements import elliptical_radius, lambda_re, major_minor_offsets
from manga_ssl.survey import formats
from manga_ssl.survey.cosmology import C_KMS, kpc_per_arcsec, luminosity_distance_mpc
from manga_ssl.survey.datasets import SurveyLayout
from manga_ssl.survey.ifu import (
    FIBRE_COUNTS,
    IFU_DESIGNS,
    IFU_DIAMETER_ARCSEC,
    IFU_MAP_SIZE,
    SPAXEL_ARCSEC,
    hexagon_footprint,
)

log = logging.getLogger(__name__)

POPULATIONS = ("star_forming_disc", "quenched_fast_rotator", "slow_rotator")

#: Paper's IFU mix (Section 2): 1099/2235/2235/1122/2816 galaxies in 19..127-fibre bundles.
PAPER_IFU_COUNTS = {19: 1099, 37: 2235, 61: 2235, 91: 1122, 127: 2816}


@dataclass
class MockSurveySpec:
    n_galaxies: int
    seed: int
    ifu_mix: dict = field(default_factory=lambda: dict(PAPER_IFU_COUNTS))
    population_fractions: tuple = (0.50, 0.32, 0.18)
    sample_fractions: dict = field(default_factory=lambda: {"primary": 0.48, "secondary": 0.37, "color_enhanced": 0.15})
    foreground_star_fraction: float = 0.06
    psf_fwhm_arcsec: tuple = (2.53, 0.07)  # median, scatter

    @classmethod
    def from_config(cls, survey: dict) -> MockSurveySpec:
        return cls(
            n_galaxies=int(survey["n_galaxies"]),
            seed=int(survey["seed"]),
            ifu_mix=dict(zip(FIBRE_COUNTS, map(float, survey.get("ifu_mix", PAPER_IFU_COUNTS.values())))),
            population_fractions=tuple(survey.get("population_fractions", (0.50, 0.32, 0.18))),
            foreground_star_fraction=float(survey.get("foreground_star_fraction", 0.06)),
        )


# --------------------------------------------------------------------------
# Intrinsic galaxy properties
# --------------------------------------------------------------------------


def _clipped_normal(rng, mean, sd, lo, hi, size):
    return np.clip(rng.normal(mean, sd, size), lo, hi)


def draw_intrinsic(rng: np.random.Generator, population: np.ndarray) -> pd.DataFrame:
    """Intrinsic properties for galaxies of the given population indices (0, 1, 2)."""
    n = len(population)
    sf, qf, sr = (population == k for k in range(3))
    d = {}
    log_m = np.empty(n)
    log_m[sf] = _clipped_normal(rng, 10.10, 0.55, 8.7, 11.4, sf.sum())
    log_m[qf] = _clipped_normal(rng, 10.50, 0.40, 9.0, 11.3, qf.sum())
    log_m[sr] = _clipped_normal(rng, 11.15, 0.25, 10.4, 11.8, sr.sum())
    d["log_mass"] = log_m
    dm = log_m - 10.0
    # Star-formation main sequence (Renzini & Peng 2015-like), quenched below it.
    ms = 0.76 * dm - 0.05
    offset = np.where(sf, rng.normal(0.0, 0.3, n), np.where(qf, rng.normal(-1.4, 0.4, n), rng.normal(-1.9, 0.4, n)))
    d["log_sfr"] = ms + offset
    # Mass-size relations (late types shallower than early types), 0.15 dex scatter.
    log_re = np.where(sf, 0.22 * dm + 0.54, np.where(qf, 0.35 * dm + 0.38, 0.60 * dm + 0.24))
    d["re_kpc"] = 10 ** (log_re + rng.normal(0, 0.18, n))
    d["sersic_n"] = np.where(
        sf, rng.uniform(0.8, 2.2, n), np.where(qf, rng.uniform(2.0, 4.0, n), rng.uniform(3.5, 6.0, n))
    )
    # Intrinsic flattening: thin discs, thick fast rotators, nearly round slow rotators.
    d["intrinsic_q"] = np.where(
        sf, rng.uniform(0.18, 0.35, n), np.where(qf, rng.uniform(0.3, 0.6, n), rng.uniform(0.65, 0.9, n))
    )
    cos_i = rng.uniform(0.0, 1.0, n)
    d["inclination_deg"] = np.degrees(np.arccos(cos_i))
    q0 = d["intrinsic_q"]
    d["axis_ratio"] = np.sqrt(q0**2 + (1 - q0**2) * cos_i**2)
    d["ellipticity"] = 1.0 - d["axis_ratio"]
    # Central stellar velocity dispersion (Faber-Jackson-like for spheroids).
    log_sig = np.where(sf, 1.86 + 0.18 * dm, np.where(qf, 2.02 + 0.20 * dm, 2.15 + 0.15 * dm))
    d["sigma_cen"] = np.clip(10 ** (log_sig + rng.normal(0, 0.06, n)), 25.0, 400.0)
    d["sigma_slope"] = np.where(sf, rng.uniform(0.3, 0.6, n), rng.uniform(0.15, 0.4, n))
    # Rotation: Tully-Fisher-like amplitude; slow rotators barely rotate.
    log_v = 2.17 + 0.26 * dm + rng.normal(0, 0.05, n)
    v_frac = np.where(sf, rng.uniform(0.75, 1.0, n), np.where(qf, rng.uniform(0.35, 0.8, n), rng.uniform(0.02, 0.2, n)))
    d["v_max"] = 10**log_v * v_frac
    d["r_turn_re"] = np.where(sf, rng.uniform(0.25, 0.7, n), rng.uniform(0.1, 0.4, n))
    # Luminosity-weighted age and [Z/H] at Re (log yr, dex) and gradients per Re.
    d["age_re"] = np.where(
        sf,
        _clipped_normal(rng, 9.05 + 0.12 * dm, 0.22, 8.3, 9.8, n),
        np.where(qf, _clipped_normal(rng, 9.65, 0.14, 9.25, 10.1, n), _clipped_normal(rng, 9.93, 0.07, 9.7, 10.12, n)),
    )
    d["grad_age"] = np.where(
        sf, rng.normal(-0.18, 0.12, n), np.where(qf, rng.normal(-0.06, 0.08, n), rng.normal(0.0, 0.05, n))
    )
    d["zh_re"] = np.where(
        sf,
        _clipped_normal(rng, -0.17 + 0.12 * dm, 0.08, -0.6, 0.2, n),
        np.where(
            qf,
            _clipped_normal(rng, -0.03 + 0.06 * dm, 0.06, -0.35, 0.2, n),
            _clipped_normal(rng, 0.06, 0.06, -0.15, 0.25, n),
        ),
    )
    d["grad_zh"] = np.where(sf, rng.normal(-0.06, 0.07, n), rng.normal(-0.03, 0.06, n))
    # Morphology: T-Type > 0 for discs, S0/early for quenched, ellipticals for slow rotators.
    d["t_type"] = np.where(
        sf,
        _clipped_normal(rng, 3.8, 1.8, 0.5, 9.0, n),
        np.where(qf, _clipped_normal(rng, 0.0, 1.2, -2.5, 3.0, n), _clipped_normal(rng, -2.3, 0.6, -3.0, 0.0, n)),
    )
    return pd.DataFrame(d)


# --------------------------------------------------------------------------
# Survey design: samples, IFUs, redshifts, names
# --------------------------------------------------------------------------

COVERAGE_MEDIAN = {"primary": 1.81, "secondary": 2.98, "color_enhanced": 1.81}  # R_IFU / Re
SAMPLE_BITS = {
    "primary": formats.MNGTARG1_PRIMARY,
    "secondary": formats.MNGTARG1_SECONDARY,
    "color_enhanced": formats.MNGTARG1_COLOR_ENHANCED,
}
#: MaNGA's selection puts each galaxy at a redshift set by its luminosity (so that 1.5 or
#: 2.5 Re fit a bundle): log10 z = a + 0.27 (log M* - 10) + N(0, scatter) per sample, fitted
#: on the MPL-5 drpall main sample (NSA_Z against NSA_ELPETRO_MASS at h = 0.7; slopes 0.268,
#: 0.274, 0.265). Calibration: docs/mock-survey.md.
REDSHIFT_SLOPE = 0.27
REDSHIFT_RELATION = {"primary": (-1.599, 0.111), "secondary": (-1.370, 0.064), "color_enhanced": (-1.549, 0.140)}
#: The bundle allocated to a galaxy is the one that best fits its Re times the sample's
#: coverage; the log-scatter of the coverage within a sample (0.057-0.070 dex NMAD in
#: MPL-5) comes from the finite bundle sizes and this allocation scatter.
ALLOCATION_SCATTER_DEX = 0.05


def _ifu_counts(spec: MockSurveySpec) -> dict[int, int]:
    w = np.array([spec.ifu_mix.get(f, 0.0) for f in FIBRE_COUNTS], dtype=float)
    if w.sum() <= 0:
        raise ValueError("survey.ifu_mix must give a positive weight to at least one IFU size")
    raw = w / w.sum() * spec.n_galaxies
    counts = np.floor(raw).astype(int)
    counts[np.argsort(raw - counts)[::-1][: spec.n_galaxies - counts.sum()]] += 1
    return dict(zip(FIBRE_COUNTS, counts.tolist()))


def allocate_bundles(required_radius: np.ndarray, counts: dict[int, int]) -> np.ndarray:
    """Bundle sizes for galaxies needing ``required_radius`` (arcsec): the smallest radii get
    the smallest bundles, in the numbers ``counts`` (fibres -> galaxies), as a plate's fixed
    set of bundles is shared out among its targets."""
    sizes = np.repeat(list(counts), list(counts.values()))
    out = np.empty(len(required_radius), dtype=int)
    out[np.argsort(required_radius, kind="stable")] = sizes
    return out


def draw_survey(spec: MockSurveySpec) -> pd.DataFrame:
    """One row per galaxy: intrinsic properties plus how MaNGA observed it.

    The order follows MaNGA's selection: a galaxy's mass sets its redshift, redshift and
    physical size its angular size, and the angular size the bundle it is given.
    """
    rng = np.random.default_rng([spec.seed, 0])
    counts = _ifu_counts(spec)
    n = spec.n_galaxies
    samples = np.array(list(spec.sample_fractions))
    sample = rng.choice(
        samples, n, p=np.array(list(spec.sample_fractions.values())) / sum(spec.sample_fractions.values())
    )
    pop_p = np.asarray(spec.population_fractions, float) / sum(spec.population_fractions)

    pieces = []
    todo = np.arange(n)
    for _ in range(200):  # redraw galaxies whose redshift falls outside the survey's
        pop = rng.choice(3, len(todo), p=pop_p)
        gal = draw_intrinsic(rng, pop)
        a, scatter = np.array([REDSHIFT_RELATION[s] for s in sample[todo]]).T
        log_z = a + REDSHIFT_SLOPE * (gal["log_mass"].to_numpy() - 10.0) + rng.normal(0, 1, len(todo)) * scatter
        gal["population"] = np.array(POPULATIONS)[pop]
        gal["z"] = 10**log_z
        gal["re_arcsec"] = gal["re_kpc"].to_numpy() / kpc_per_arcsec(gal["z"].to_numpy())
        gal["slot"] = todo
        ok = ((gal["z"] > 0.01) & (gal["z"] < 0.15)).to_numpy()
        pieces.append(gal[ok])
        todo = todo[~ok]
        if len(todo) == 0:
            break
    if len(todo):
        raise RuntimeError(f"could not place {len(todo)} mock galaxies inside 0.01 < z < 0.15")
    rows = pd.concat(pieces).sort_values("slot").drop(columns="slot").reset_index(drop=True)
    target = np.array([COVERAGE_MEDIAN[s] for s in sample]) * rows["re_arcsec"].to_numpy()
    n_fibres = allocate_bundles(target * 10 ** rng.normal(0, ALLOCATION_SCATTER_DEX, n), counts)
    r_ifu = np.array([IFU_DIAMETER_ARCSEC[f] for f in n_fibres]) / 2.0
    rows["coverage"] = r_ifu / rows["re_arcsec"].to_numpy()

    rows["n_fibres"] = n_fibres
    rows["sample"] = sample
    rows["position_angle"] = rng.uniform(0, 360, n)  # kinematic PA of the receding side
    rows["psf_fwhm"] = rng.normal(spec.psf_fwhm_arcsec[0], spec.psf_fwhm_arcsec[1], n).clip(2.2, 3.0)
    rows["has_star"] = rng.random(n) < spec.foreground_star_fraction
    # Slow rotators often show misaligned kinematics: photometric PA differs.
    misalign = np.where(rows["population"] == "slow_rotator", rng.uniform(-60, 60, n), rng.normal(0, 3, n))
    rows["photometric_pa"] = np.mod(rows["position_angle"] + misalign, 180.0)
    rows["rotation_angle"] = np.mod(rows["position_angle"] + 90.0, 360.0)
    rows["systemic_offset_kms"] = rng.normal(0, 15, n)  # NSA z vs true stellar systemic velocity
    # Unique plate-IFU names: plates from 7443, IFU designs as on a real plate.
    plate, ifu = np.zeros(n, int), np.zeros(n, int)
    for f in FIBRE_COUNTS:
        idx = np.flatnonzero(n_fibres == f)
        designs = IFU_DESIGNS[f]
        plate[idx] = 7443 + np.arange(len(idx)) // len(designs)
        ifu[idx] = np.array(designs)[np.arange(len(idx)) % len(designs)]
    order = rng.permutation(n)  # interleave IFU sizes, as on the sky
    rows = rows.iloc[order].reset_index(drop=True)
    rows["plate"], rows["ifudesign"] = plate[order], ifu[order]
    rows["plateifu"] = [f"{p}-{i}" for p, i in zip(rows["plate"], rows["ifudesign"])]
    rows["mangaid"] = [f"1-{100000 + k}" for k in range(n)]
    rows["galaxy_seed"] = rng.integers(0, 2**62, n)
    return rows


# --------------------------------------------------------------------------
# Maps
# --------------------------------------------------------------------------

FLUX_NORM = 387.0  # total V flux [1e-16 erg/s/cm2] of a 1e10 Msun, M/L=1 galaxy at 130 Mpc
NOISE_FLOOR, NOISE_POISSON = 0.02, 0.002  # V-band noise: sqrt(a F + b^2) per spaxel


def _sersic_bn(n):
    return 2.0 * n - 1.0 / 3.0 + 0.009876 / n


def _sersic_norm(n):
    bn = _sersic_bn(n)
    return 2 * np.pi * n * np.exp(bn) * bn ** (-2 * n) * gamma_fn(2 * n)


def galaxy_geometry(g, size: int):
    """Elliptical radius (in Re) and disc-plane azimuth cosine of each spaxel."""
    u, _ = major_minor_offsets((size, size), g["position_angle"])  # u: towards the receding side
    r = elliptical_radius((size, size), g["re_arcsec"], g["position_angle"], g["axis_ratio"])
    cos_theta = np.divide(u / g["re_arcsec"], r, out=np.zeros_like(r), where=r > 0)
    return r, cos_theta


def intrinsic_maps(g, size: int) -> dict[str, np.ndarray]:
    """Noise-free, PSF-free maps of a galaxy on a ``size`` x ``size`` spaxel grid."""
    r, cos_theta = galaxy_geometry(g, size)
    n = g["sersic_n"]
    log_ml = 0.75 * (g["age_re"] - 9.5) + 0.2
    lum = 10 ** (g["log_mass"] - 10.0 - log_ml)
    total = FLUX_NORM * lum * (130.0 / luminosity_distance_mpc(g["z"])) ** 2
    i_e = total * SPAXEL_ARCSEC**2 / (_sersic_norm(n) * g["axis_ratio"] * g["re_arcsec"] ** 2)
    rr = np.maximum(r, 0.25 * SPAXEL_ARCSEC / g["re_arcsec"])
    flux = i_e * np.exp(-_sersic_bn(n) * (rr ** (1.0 / n) - 1.0))
    sin_i = np.sin(np.radians(g["inclination_deg"]))
    vel = g["v_max"] * np.tanh(r / g["r_turn_re"]) * sin_i * cos_theta
    sigma = g["sigma_cen"] / (1.0 + r) ** g["sigma_slope"]
    age = g["age_re"] + g["grad_age"] * (r - 1.0)
    zh = g["zh_re"] + g["grad_zh"] * (r - 1.0)
    return {"flux": flux, "vel": vel, "sigma": sigma, "age": age, "zh": zh, "r": r}


def convolve_psf(maps: dict, fwhm_arcsec: float) -> dict:
    """Seeing as the data see it: flux-weighted convolution of every moment."""
    s = fwhm_arcsec / 2.3548 / SPAXEL_ARCSEC
    f = maps["flux"]
    fc = gaussian_filter(f, s, mode="constant")
    safe = np.maximum(fc, 1e-30)
    out = {"flux": fc}
    out["vel"] = gaussian_filter(f * maps["vel"], s, mode="constant") / safe
    m2 = gaussian_filter(f * (maps["sigma"] ** 2 + maps["vel"] ** 2), s, mode="constant") / safe
    out["sigma"] = np.sqrt(np.clip(m2 - out["vel"] ** 2, 0, None))
    out["age"] = gaussian_filter(f * maps["age"], s, mode="constant") / safe
    out["zh"] = gaussian_filter(f * maps["zh"], s, mode="constant") / safe
    return out


def _star(rng, footprint, size, psf_fwhm):
    """A foreground star: its position, a hole radius, and its flux image."""
    yy, xx = np.nonzero(footprint)
    k = rng.integers(len(yy))
    cy, cx = yy[k], xx[k]
    y, x = np.mgrid[0:size, 0:size]
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    s = psf_fwhm / 2.3548 / SPAXEL_ARCSEC
    image = rng.uniform(2.0, 20.0) * np.exp(-d2 / (2 * s * s))
    hole = d2 <= (rng.uniform(1.5, 3.0) / SPAXEL_ARCSEC) ** 2
    return hole, image


def _bin_to_sn(flux, noise, valid, target_sn=10.0):
    """DAP-like adaptive (power-diagram) binning of valid spaxels to S/N ~ target."""
    from powerbin import PowerBin

    binid = np.full(flux.shape, -1, dtype=np.int64)
    yy, xx = np.nonzero(valid)
    if len(yy) == 0:
        return binid
    sn2 = (flux[valid] / noise[valid]) ** 2
    if len(yy) < 3 or sn2.sum() < target_sn**2:
        binid[valid] = 0
        return binid
    if np.all(sn2 >= target_sn**2):  # every spaxel already at the target: no binning
        binid[yy, xx] = np.arange(len(yy))
        return binid
    with warnings.catch_warnings():
        # PowerBin's own diagnostic (the scatter of the multi-spaxel bins' S/N) is NaN, with
        # numpy's warnings, when at most one bin holds several spaxels; the bins are sound
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="numpy")
        # and a bin emptied during its iterations has a 0/0 centroid; no spaxel is left in it
        warnings.filterwarnings("ignore", "invalid value encountered in divide", RuntimeWarning, "powerbin")
        pb = PowerBin(np.column_stack([xx, yy]).astype(float), sn2, target_sn**2, pixelsize=1.0, verbose=0, regul=False)
    binid[yy, xx] = pb.bin_num
    return binid


def _bin_mean(values, weights, binid, nbin):
    ok = binid >= 0
    wsum = np.bincount(binid[ok], weights=weights[ok], minlength=nbin)
    vsum = np.bincount(binid[ok], weights=(weights * values)[ok], minlength=nbin)
    return vsum / np.maximum(wsum, 1e-30)


def render_galaxy(g) -> dict:
    """Every observed product of one galaxy, plus its truth measurements."""
    rng = np.random.default_rng(int(g["galaxy_seed"]))
    n_f = int(g["n_fibres"])
    size = IFU_MAP_SIZE[n_f]
    foot = hexagon_footprint(n_f, size)
    intrinsic = intrinsic_maps(g, size)
    everywhere = np.ones(foot.shape, bool)
    truth = {
        "lambda_re_true": lambda_re(intrinsic["flux"], intrinsic["vel"], intrinsic["sigma"], everywhere, intrinsic["r"])
    }
    obs = convolve_psf(intrinsic, g["psf_fwhm"])

    # --- Pipe3D: V-band flux with surface-brightness dependent noise --------
    star_hole = np.zeros_like(foot)
    star_img = np.zeros(foot.shape)
    if g["has_star"]:
        star_hole, star_img = _star(rng, foot, size, g["psf_fwhm"])
    flux = obs["flux"] + star_img
    noise = np.sqrt(NOISE_POISSON * np.clip(flux, 0, None) + NOISE_FLOOR**2)
    flux_obs = flux + rng.normal(0, 1, flux.shape) * noise
    sn = flux_obs / noise
    select = foot & (sn > 1.0) & ~star_hole
    snc = np.clip(sn, 0.3, None)
    age_err = np.clip(0.8 / snc, 0.03, 1.0)
    zh_err = np.clip(0.6 / snc, 0.02, 0.8)
    vel_err = np.clip(80.0 / snc, 3.0, 300.0)
    sig_err = np.clip(100.0 / snc, 5.0, 300.0)
    v_sys = C_KMS * g["z"] + g["systemic_offset_kms"]
    ssp = np.zeros((len(formats.PIPE3D_SSP_CHANNELS), size, size))
    ssp[0] = flux_obs
    ssp[1] = np.arange(size * size).reshape(size, size) + 1
    ssp[3] = flux_obs
    ssp[4] = noise
    ssp[5] = obs["age"] + rng.normal(0, 1, flux.shape) * age_err
    ssp[6] = ssp[5] + 0.1
    ssp[7] = age_err
    ssp[8] = obs["zh"] + rng.normal(0, 1, flux.shape) * zh_err
    ssp[9] = ssp[8] + 0.02
    ssp[10] = zh_err
    ssp[13] = v_sys + obs["vel"] + rng.normal(0, 1, flux.shape) * vel_err
    ssp[14] = vel_err
    ssp[15] = np.abs(obs["sigma"] + rng.normal(0, 1, flux.shape) * sig_err)
    ssp[16] = sig_err
    ssp[17] = 10 ** (0.75 * (obs["age"] - 9.5) + 0.2)
    ssp[18] = np.log10(np.clip(flux, 1e-6, None) * ssp[17]) + 6.0
    ssp[19] = ssp[18] + 0.05
    ssp[20] = np.clip(0.3 / snc, 0.02, 1.0)
    ssp *= select  # Pipe3D leaves zeros outside its valid region

    # --- DAP: Voronoi(power)-binned stellar kinematics at S/N ~ 10 ----------
    spx_snr = sn * 1.2  # g-band S/N is a little higher than V-band S/N here
    analysed = foot & (spx_snr > 1.0) & ~star_hole
    binid = _bin_to_sn(flux_obs, noise / 1.2, analysed)
    nbin = int(binid.max()) + 1
    w = np.clip(flux, 1e-12, None)
    bin_sn = np.sqrt(np.bincount(binid[binid >= 0], weights=(spx_snr[binid >= 0]) ** 2, minlength=nbin))
    b_vel_err = np.clip(80.0 / np.clip(bin_sn, 0.3, None), 2.0, 300.0)
    b_sig_err = np.clip(100.0 / np.clip(bin_sn, 0.3, None), 4.0, 300.0)
    b_vel = _bin_mean(obs["vel"], w, binid, nbin) - g["systemic_offset_kms"] + rng.normal(0, 1, nbin) * b_vel_err
    b_sig = 0.97 * _bin_mean(obs["sigma"], w, binid, nbin) + rng.normal(0, 1, nbin) * b_sig_err
    b_sig = np.abs(b_sig)
    corr = np.clip(rng.normal(22.0, 4.0), 10, 40)
    has = binid >= 0
    at = np.where(has, binid, 0)
    mask = np.zeros(foot.shape, dtype=np.int32)
    mask[~foot] |= (1 << formats.DAP_NOCOV) | (1 << formats.DAP_DONOTUSE)
    mask[foot & ~analysed] |= (1 << formats.DAP_LOWCOV) | (1 << formats.DAP_DONOTUSE)
    mask[star_hole] |= (1 << formats.DAP_FORESTAR) | (1 << formats.DAP_DONOTUSE)
    dap = {
        "SPX_MFLUX": (10.0 * flux_obs * foot).astype(np.float32),
        "SPX_SNR": (spx_snr * foot).astype(np.float32),
        "BINID": np.repeat(binid[None], 5, axis=0).astype(np.int32),
        "BIN_SNR": np.where(has, bin_sn[at], 0).astype(np.float32),
        "STELLAR_VEL": np.where(has, b_vel[at], 0).astype(np.float32),
        "STELLAR_VEL_IVAR": np.where(has, 1 / b_vel_err[at] ** 2, 0).astype(np.float32),
        "STELLAR_VEL_MASK": mask,
        "STELLAR_SIGMA": np.where(has, np.sqrt(b_sig[at] ** 2 + corr**2), 0).astype(np.float32),
        "STELLAR_SIGMA_IVAR": np.where(has, 1 / b_sig_err[at] ** 2, 0).astype(np.float32),
        "STELLAR_SIGMA_MASK": mask.copy(),
        "STELLAR_SIGMACORR": np.stack([np.where(has, corr, 0), np.where(has, corr * 1.05, 0)]).astype(np.float32),
    }

    # --- FIREFLY: ages and [Z/H] on the DAP bins, own systematics -----------
    ff_age = _bin_mean(obs["age"], w, binid, nbin) - 9.0 + 0.05 + rng.normal(0, 0.08, nbin)
    ff_zh = _bin_mean(obs["zh"], w, binid, nbin) - 0.08 + rng.normal(0, 0.06, nbin)
    firefly = {
        "binid": binid.astype(np.int32),
        "age": np.column_stack([ff_age, np.full(nbin, 0.08)]),
        "zh": np.column_stack([ff_zh, np.full(nbin, 0.06)]),
    }

    # --- SDSS r-band image on the IFU grid: no footprint, SDSS seeing --------
    g_r = dict(g)
    g_r["re_arcsec"] = g["re_arcsec"] * (1.08 if g["population"] == "star_forming_disc" else 1.0)
    img = intrinsic_maps(g_r, size)["flux"]
    s_sdss = rng.uniform(1.2, 1.6) / 2.3548 / SPAXEL_ARCSEC
    rband = gaussian_filter(img + star_img, s_sdss, mode="constant") * 2.5 + rng.normal(0, 0.01, img.shape)

    truth["sigma_cen_true"] = float(g["sigma_cen"])
    return {
        "ssp": ssp,
        "select_reg": select,
        "gaia_mask": star_hole,
        "dap": dap,
        "v_sys_nsa": C_KMS * g["z"],
        "firefly": firefly,
        "rband": rband,
        "truth": truth,
    }


# --------------------------------------------------------------------------
# Writing the survey
# --------------------------------------------------------------------------


def _render_and_write(args):
    g, layout = args
    prod = render_galaxy(g)
    pifu = g["plateifu"]
    formats.write_pipe3d_cube(
        layout.pipe3d_cube(pifu),
        pifu,
        prod["ssp"],
        prod["select_reg"],
        prod["gaia_mask"],
        {"MANGAID": g["mangaid"], "OBJRA": 0.0},
    )
    formats.write_dap_maps(layout.dap_maps(pifu), pifu, prod["dap"], prod["v_sys_nsa"])
    formats.write_rband_image(
        layout.rband_image(pifu),
        pifu,
        prod["rband"],
        {"SCALE": (SPAXEL_ARCSEC, "arcsec/pixel, resampled on the IFU grid")},
    )
    return pifu, prod["firefly"], prod["truth"]


def generate_mock_survey(spec: MockSurveySpec, root, processes: int = 1) -> pd.DataFrame:
    """Write the whole mock survey under ``root``; return the ground-truth table.

    Output does not depend on ``processes``: every galaxy has its own seed.
    """
    layout = SurveyLayout(root)
    gals = draw_survey(spec)
    records = [(row, layout) for row in gals.to_dict("records")]
    results = {}
    pool = ProcessPoolExecutor(processes) if processes > 1 else None
    it = pool.map(_render_and_write, records, chunksize=8) if pool else map(_render_and_write, records)
    for k, (pifu, ff, truth) in enumerate(it, 1):
        results[pifu] = (ff, truth)
        if k % max(1, len(records) // 20) == 0 or k == len(records):
            log.info("mock survey: rendered %d/%d galaxies", k, len(records))
    if pool:
        pool.shutdown()

    order = gals["plateifu"].tolist()
    for key in ("lambda_re_true", "sigma_cen_true"):
        gals[key] = [results[p][1][key] for p in order]
    formats.write_firefly_vac(
        layout.firefly,
        order,
        gals["z"].to_numpy(),
        [results[p][0]["binid"] for p in order],
        [results[p][0]["age"] for p in order],
        [results[p][0]["zh"] for p in order],
    )
    _write_catalogues(gals, layout, np.random.default_rng([spec.seed, 1]))
    with atomic_output(layout.truth) as tmp:
        gals.to_parquet(tmp, index=False)
    return gals


def _write_catalogues(g: pd.DataFrame, layout: SurveyLayout, rng):
    n = len(g)
    mngtarg1 = np.array([1 << SAMPLE_BITS[s] for s in g["sample"]], dtype=np.int64)
    drpall = pd.DataFrame(
        {
            "PLATE": g["plate"].astype(np.int32),
            "IFUDSGN": g["ifudesign"].astype(str),
            "PLATEIFU": g["plateifu"],
            "MANGAID": g["mangaid"],
            "OBJRA": rng.uniform(110, 260, n),
            "OBJDEC": rng.uniform(-5, 65, n),
            "IFUDESIGNSIZE": g["n_fibres"].astype(np.int32),
            "MNGTARG1": mngtarg1,
            "MNGTARG2": np.zeros(n, np.int64),
            "MNGTARG3": np.zeros(n, np.int64),
            "RFWHM": g["psf_fwhm"],
            "NSA_Z": g["z"],
            "NSA_ELPETRO_TH50_R": g["re_arcsec"] * 10 ** rng.normal(0, 0.03, n),
            "NSA_ELPETRO_BA": np.clip(g["axis_ratio"] + rng.normal(0, 0.02, n), 0.05, 1.0),
            "NSA_ELPETRO_PHI": np.mod(g["photometric_pa"] + rng.normal(0, 2, n), 180.0),
            # NSA masses are in h^-2 Msun with h = 1: 2 log10(0.7) below the h = 0.7 truth.
            "NSA_ELPETRO_MASS": 10 ** (g["log_mass"] + 2 * np.log10(0.7) + rng.normal(0, 0.1, n)),
            "NSA_SERSIC_N": g["sersic_n"] * 10 ** rng.normal(0, 0.05, n),
            "NSA_RUN": rng.integers(94, 8162, n),
            "NSA_CAMCOL": rng.integers(1, 7, n),
            "NSA_FIELD": rng.integers(11, 800, n),
            "DRP3QUAL": np.zeros(n, np.int64),  # no cube flagged
        }
    )
    formats.write_table(
        layout.drpall, drpall, "MANGA", {"NSA_ELPETRO_TH50_R": "arcsec", "NSA_ELPETRO_PHI": "deg", "RFWHM": "arcsec"}
    )
    re_kpc = g["re_kpc"]
    pipe3d = pd.DataFrame(
        {
            "plateifu": g["plateifu"],
            "mangaid": g["mangaid"],
            "Re_arc": drpall["NSA_ELPETRO_TH50_R"],
            "Re_kpc": re_kpc,
            # The drpall geometry in Pipe3D's conventions (DR14: docs/catalogue-conventions.md).
            "PA": drpall["NSA_ELPETRO_PHI"] + 90.0,
            "ellip": np.sqrt(1.0 - drpall["NSA_ELPETRO_BA"] ** 2),
            "log_Mass": g["log_mass"] + rng.normal(0, 0.08, n),
            "log_SFR_Ha": g["log_sfr"] + rng.normal(0, 0.15, n),
            "Age_LW_Re_fit": g["age_re"] + rng.normal(0, 0.05, n),
            "alpha_Age_LW_Re_fit": g["grad_age"] + rng.normal(0, 0.03, n),
            "ZH_LW_Re_fit": g["zh_re"] + rng.normal(0, 0.04, n),
            "alpha_ZH_LW_Re_fit": g["grad_zh"] + rng.normal(0, 0.03, n),
            "Lambda_Re": np.clip(g["lambda_re_true"] + rng.normal(0, 0.03, n), 0, 1),
            "vel_sigma_Re": np.nan,
            "vel_disp_ssp_cen": g["sigma_cen"] * 10 ** rng.normal(0, 0.03, n),
            "nsa_redshift": g["z"],
            "QCFLAG": np.zeros(n, np.int16),
        }
    )
    formats.write_table(
        layout.pipe3d_catalogue,
        pipe3d,
        "PIPE3D",
        {"Re_arc": "arcsec", "Re_kpc": "kpc", "PA": "deg", "vel_disp_ssp_cen": "km/s"},
    )
    tt = g["t_type"] + rng.normal(0, 0.5, n)
    mdlm = pd.DataFrame(
        {
            "PLATEIFU": g["plateifu"],
            "T-Type": tt,
            "P_LTG": 1 / (1 + np.exp(-1.5 * (tt - 0.5))),
            "P_S0": np.exp(-0.5 * ((tt + 0.5) / 1.0) ** 2) * 0.9,
            "P_edge": np.clip((g["inclination_deg"] - 70) / 20, 0, 1) * (g["population"] != "slow_rotator"),
            "P_bar": rng.uniform(0, 0.4, n),
        }
    )
    formats.write_table(layout.mdlm_catalogue, mdlm, "MDLM")
