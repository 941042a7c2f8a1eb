"""Weight and opening time of the explorer page at the paper's scale (docs/benchmarks.md).

    .venv/bin/python bench/explorer_weight.py [--galaxies 9507] [--representations 3]

Builds the page for a synthetic survey of that size (maps, catalogue columns,
UMAP positions, clusters and neighbours like a real run's), then opens it in
headless Chromium (Debian's, through Playwright) and times: the page until
Bokeh has drawn the plot, a change of the colour column, and a neighbour search.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from manga_ssl.analysis.neighbours import nearest_neighbours
from manga_ssl.figures import explorer

CHANNELS = ["v_band_flux", "lw_log_age", "lw_metallicity", "stellar_velocity", "velocity_dispersion"]


def synthetic_page(out, n, n_reps, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.choice(3, n, p=[0.5, 0.32, 0.18])
    plateifu = np.array([f"{7000 + i // 100}-{1000 + i % 100}" for i in range(n)])
    catalogue = pd.DataFrame({"plateifu": plateifu})
    for col in [
        "n_fibres",
        "re_arcsec",
        "n_zero_pixels",
        "position_angle",
        "rotation_angle",
        "coverage",
        "z",
        "psf_fwhm",
        "systemic_velocity",
        "re_kpc",
        "lambda_re",
        "sigma_cen",
        "age_lw_re",
        "grad_age_lw",
        "zh_lw_re",
        "grad_zh_lw",
        "log_mass",
        "log_sfr",
        "ellipticity",
        "t_type",
        "log_sigma_cen",
        "log_re_kpc",
    ]:
        catalogue[col] = rng.normal(size=n) + group
    # maps shaped like galaxies: an elliptical exponential disc, zero outside the bundle
    yy, xx = np.mgrid[-15.5:16.5, -15.5:16.5]
    r = np.hypot(xx[None] * rng.uniform(0.6, 1, (n, 1, 1)), yy[None])
    scale = rng.uniform(3, 8, (n, 1, 1))
    maps = np.stack([np.exp(-r / scale) * rng.uniform(0.5, 1, (n, 1, 1)) for _ in CHANNELS], axis=-1)
    maps += 0.05 * rng.normal(size=maps.shape)
    maps = np.clip(maps, 0.01, 1).astype(np.float32) * (r < rng.uniform(8, 16, (n, 1, 1)))[..., None]
    reps = {}
    for i in range(n_reps):
        features = rng.normal(size=(n, 64)) + 3 * np.eye(3, 64)[group]
        xy = rng.normal(size=(n, 2)) + 6 * np.eye(3, 2)[group]
        reps[f"representation-{i}"] = {
            "xy": xy,
            "cluster": group + 1,
            "neighbours": nearest_neighbours(features, 11)[0],
        }
    t0 = time.perf_counter()
    thumbs = explorer.thumbnails(maps, CHANNELS)
    summary = explorer.explorer_page(out, plateifu, catalogue, reps, thumbs, CHANNELS, "bench", "log_sigma_cen")
    return summary, time.perf_counter() - t0, plateifu


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--galaxies", type=int, default=9507)
    p.add_argument("--representations", type=int, default=3)
    p.add_argument("--out", default="/tmp/manga-ssl-bench-explorer/explorer.html")
    args = p.parse_args()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    summary, build, plateifu = synthetic_page(args.out, args.galaxies, args.representations)
    print(
        f"page: {summary['galaxies']} galaxies, {args.representations} representations, "
        f"{summary['bytes'] / 1e6:.1f} MB, built in {build:.1f} s",
        flush=True,
    )

    from playwright.sync_api import sync_playwright

    model = "(name) => Bokeh.documents[0].get_model_by_name(name)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        t0 = time.perf_counter()
        page.goto(Path(args.out).resolve().as_uri())
        page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length > 0 && "
            "Bokeh.index.get_one(Bokeh.documents[0].get_model_by_name('umap')) != null",
            timeout=60000,
        )
        opened = time.perf_counter() - t0
        t0 = time.perf_counter()
        page.locator("select").nth(1).select_option("z")
        page.wait_for_function(f"() => ({model})('colour_bar').title == 'z'")
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        recolour = time.perf_counter() - t0
        t0 = time.perf_counter()
        box = page.locator("input[type=text]").first
        box.fill(str(plateifu[123]))
        box.press("Enter")
        page.wait_for_function(f"() => ({model})('highlight').data.x.length > 0")
        search = time.perf_counter() - t0
        browser.close()
    print(
        f"opened and drawn in {opened:.1f} s; recoloured in {recolour:.2f} s; neighbour search in {search:.2f} s; "
        f"console errors: {len(errors)}"
    )


if __name__ == "__main__":
    main()
