"""Study tensors for docs/science.md section 13: a finished run's preprocessed maps, altered in
one of two ways that the pipeline does not offer, normalised as the pipeline does, and written
as a run folder that ``bench/science_study.py --run`` trains on.

    .venv/bin/python bench/study_tensors.py --run results/demo --out /tmp/run-dim --dimming-corrected
    .venv/bin/python bench/study_tensors.py --run results/demo --out /tmp/run-regrid --pixels-per-re median

* ``--dimming-corrected``: the V-band flux, its errors and its model-variation map multiplied
  by (1+z)^4, undoing the cosmological surface-brightness dimming.
* ``--pixels-per-re``: every map (values, errors, masks) resampled about the centre so that Re
  spans this many pixels ('median': the run's median Re in arcsec, so the median galaxy stays
  as it is), bilinearly with the mask as weight; the factor is clipped to 0.25-4.
* ``--aperture-re``: every map (values, errors, masks) kept only within this many Re (the
  catalogue's, in arcsec) of the centre, zero outside, so that a galaxy is seen to the same
  radius in its own units whatever the bundle's coverage (where the bundle reaches that far).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd


def dimming_corrected(arrays: dict, z: np.ndarray) -> None:
    from manga_ssl.preprocessing.maps import V_BAND

    factor = ((1.0 + z) ** 4)[:, None, None]
    for key in ("maps", "errors", "model_variation"):
        arrays[key][..., V_BAND] *= factor


def resampled(values, valid, factor):
    """One (S, S) map enlarged by ``factor`` about its centre; pixels whose resampled mask
    weight is below one half become invalid (zero)."""
    from scipy.ndimage import map_coordinates

    size = values.shape[0]
    centre = (size - 1) / 2.0
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    source = [centre + (yy - centre) / factor, centre + (xx - centre) / factor]
    weight = map_coordinates(valid.astype(float), source, order=1, mode="constant", cval=0.0)
    total = map_coordinates(np.where(valid, values, 0.0), source, order=1, mode="constant", cval=0.0)
    ok = weight >= 0.5
    return np.where(ok, total / np.maximum(weight, 1e-9), 0.0), ok


def regridded(arrays: dict, re_arcsec: np.ndarray, pixels_per_re: float) -> np.ndarray:
    """Resample every galaxy in place so that Re spans ``pixels_per_re`` pixels (1-arcsec
    pixels before); returns the factors used."""
    factors = np.clip(pixels_per_re / re_arcsec, 0.25, 4.0)
    for i, f in enumerate(factors):
        for ch in range(arrays["maps"].shape[-1]):
            valid = arrays["valid"][i, ..., ch].copy()
            arrays["errors"][i, ..., ch], _ = resampled(arrays["errors"][i, ..., ch], valid, f)
            arrays["maps"][i, ..., ch], arrays["valid"][i, ..., ch] = resampled(arrays["maps"][i, ..., ch], valid, f)
            mv_valid = arrays["model_variation_valid"][i, ..., ch].copy()
            mv, ok = resampled(arrays["model_variation"][i, ..., ch], mv_valid, f)
            arrays["model_variation"][i, ..., ch], arrays["model_variation_valid"][i, ..., ch] = mv, ok
    return factors


def within_aperture(arrays: dict, re_arcsec: np.ndarray, n_re: float) -> np.ndarray:
    """Mask every galaxy in place outside a circle of ``n_re`` Re about the grid's centre
    (1-arcsec pixels; a map of even side is centred between pixels, as ``pad_to`` puts it);
    returns each galaxy's fraction of valid pixels kept."""
    size = arrays["maps"].shape[1]
    yy, xx = np.mgrid[0:size, 0:size]
    radius = np.hypot(yy - (size - 1) / 2.0, xx - (size - 1) / 2.0)
    inside = radius[None] <= n_re * re_arcsec[:, None, None]  # (N, S, S)
    before = arrays["valid"].sum(axis=(1, 2, 3))
    for valid, values in (("valid", ("maps", "errors")), ("model_variation_valid", ("model_variation",))):
        arrays[valid] &= inside[..., None]
        for key in values:
            arrays[key][~arrays[valid]] = 0.0
    return arrays["valid"].sum(axis=(1, 2, 3)) / np.maximum(before, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="a finished run's results folder")
    ap.add_argument("--out", required=True, help="the study run folder to write")
    ap.add_argument("--normalisation", default="relative")
    ap.add_argument("--dimming-corrected", action="store_true")
    ap.add_argument("--pixels-per-re", default=None, help="a number, or 'median'")
    ap.add_argument("--aperture-re", type=float, default=None, help="keep the maps within this many Re")
    args = ap.parse_args()

    from manga_ssl.core.files import atomic_output
    from manga_ssl.preprocessing.maps import build_tensors

    run, out = Path(args.run), Path(args.out)
    with np.load(run / "preprocess" / "maps.npz") as npz:
        arrays = dict(npz)
    catalogue = pd.read_parquet(run / "preprocess" / "catalogue.parquet").set_index("plateifu")
    rows = catalogue.loc[arrays["plateifu"].astype(str)]
    if args.dimming_corrected:
        dimming_corrected(arrays, rows["z"].to_numpy(float))
    if args.pixels_per_re:
        re = rows["re_arcsec"].to_numpy(float)
        target = float(np.median(re)) if args.pixels_per_re == "median" else float(args.pixels_per_re)
        factors = regridded(arrays, re, target)
        print(f"Re resampled to {target:.2f} pixels; factors {factors.min():.2f}-{factors.max():.2f}")
    if args.aperture_re:
        kept = within_aperture(arrays, rows["re_arcsec"].to_numpy(float), args.aperture_re)
        print(f"within {args.aperture_re} Re: median {np.median(kept):.2f} of the valid pixels kept")
    (out / "tensors").mkdir(parents=True, exist_ok=True)
    (out / "preprocess").mkdir(parents=True, exist_ok=True)
    link = out / "preprocess" / "catalogue.parquet"
    link.unlink(missing_ok=True)
    link.symlink_to((run / "preprocess" / "catalogue.parquet").resolve())
    with atomic_output(out / "tensors" / f"{args.normalisation}.npz") as tmp:
        np.savez(tmp, **build_tensors(arrays, args.normalisation))
    print(f"wrote {out / 'tensors' / (args.normalisation + '.npz')}")


if __name__ == "__main__":
    main()
