"""The explorer page: thumbnails, page contents, and the page driven in headless Chromium."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from manga_ssl.analysis.neighbours import nearest_neighbours
from manga_ssl.figures import explorer

CHANNELS = ["v_band_flux", "lw_log_age", "lw_metallicity", "stellar_velocity", "velocity_dispersion"]


def decode(uri: str) -> np.ndarray:
    prefix = "data:image/webp;base64,"
    assert uri.startswith(prefix)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri[len(prefix) :]))).convert("RGB"))


def test_thumbnail_is_the_five_maps_north_up_in_the_figure_colours():
    maps = np.zeros((1, 32, 32, 5), dtype=np.float32)
    maps[0, 31, :, 0] = 1.0  # the northern row (last row of the tensor) of the first map, at its maximum
    maps[0, 10:20, 10:20, 3] = 0.5
    (uri,) = explorer.thumbnails(maps, CHANNELS)
    pixels = decode(uri)
    palette = np.asarray(explorer.thumbnail_palette(CHANNELS)).reshape(256, 3)
    assert pixels.shape == (32, 5 * 32 + 4 * 2, 3)
    assert np.all(pixels[0, :32] == palette[explorer.LEVELS - 1])  # top row of the picture: map 0's brightest
    assert np.all(pixels[1:, :32] == (38, 38, 38))  # no data: the figures' dark grey
    block = pixels[12:22, 3 * 34 + 10 : 3 * 34 + 20]  # rows flipped: tensor rows 10-19 -> picture rows 12-21
    assert np.all(block == palette[3 * explorer.LEVELS + round(0.5 * (explorer.LEVELS - 1))])
    assert palette[3 * explorer.LEVELS + 25].min() > 200  # velocity: diverging RdBu_r, white in the middle
    with pytest.raises(ValueError, match="at most 5 maps"):
        explorer.thumbnails(np.zeros((1, 8, 8, 6), np.float32), CHANNELS + ["extra"])


def survey(n=300, seed=0):
    """Two well-separated groups; UMAP-like 2-D positions; a catalogue and maps."""
    rng = np.random.default_rng(seed)
    group = (np.arange(n) >= n // 2).astype(int)
    features = rng.normal(size=(n, 16)) + 6 * group[:, None]
    xy = np.column_stack([rng.normal(size=n) + 8 * group, rng.normal(size=n)])
    plateifu = np.array([f"{8000 + i // 50}-{1901 + i % 50}" for i in range(n)])
    catalogue = pd.DataFrame(
        {
            "plateifu": plateifu,
            "log_mass": 9 + 2 * group + 0.1 * rng.normal(size=n),
            "z": rng.uniform(0.01, 0.15, n),
            "t_type": rng.normal(size=n) * 3,
            "sample": "primary",
        }
    )
    maps = rng.uniform(0, 1, size=(n, 32, 32, 5)).astype(np.float32)
    rep = {"xy": xy, "cluster": group + 1, "neighbours": nearest_neighbours(features, 6)[0]}
    return (
        plateifu,
        catalogue,
        maps,
        {"simclr-relative-all": rep, "pca1024-relative": {**rep, "xy": xy[:, ::-1].copy()}},
    )


def test_page_embeds_the_data_and_checks_its_inputs(tmp_path):
    plateifu, catalogue, maps, reps = survey(60)
    thumbs = explorer.thumbnails(maps, CHANNELS)
    out = explorer.explorer_page(
        tmp_path / "explorer.html", plateifu, catalogue, reps, thumbs, CHANNELS, "test", "log_mass"
    )
    html = (tmp_path / "explorer.html").read_text()
    assert out["galaxies"] == 60 and out["representations"] == list(reps) and out["neighbours"] == 5
    assert out["bytes"] == len(html.encode())
    assert "Bokeh.embed" in html and '<script src="http' not in html  # BokehJS inline: works offline
    assert plateifu[17] in html and thumbs[17] in html
    assert not list(tmp_path.glob("*.partial*"))
    assert explorer.colour_columns(catalogue) == ["log_mass", "z", "t_type"]
    bad = {"simclr-relative-all": {**reps["simclr-relative-all"], "xy": np.zeros((5, 2))}}
    with pytest.raises(ValueError, match="simclr-relative-all: 5 UMAP rows for 60 galaxies"):
        explorer.explorer_page(tmp_path / "bad.html", plateifu, catalogue, bad, thumbs, CHANNELS, "t")
    assert not (tmp_path / "bad.html").exists()


def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: `make test` installs Debian's chromium")
        pytest.skip("Chromium is not installed (make test installs Debian's chromium where it can)")
    return path


PLOT_POINT = """([name, i]) => {
    // screen position of galaxy i: the plot's frame mapping, offset by its canvas on the page
    const doc = Bokeh.documents[0];
    const plot = doc.get_model_by_name('umap');
    const view = Bokeh.index.get_one(plot);
    const data = doc.get_model_by_name('galaxies').data;
    const box = view.canvas_view.el.getBoundingClientRect();
    return [box.left + view.frame.x_scale.compute(data.x[i]), box.top + view.frame.y_scale.compute(data.y[i])];
}"""


def coloured_pixels(page) -> np.ndarray:
    canvas = page.locator(".bk-Canvas, canvas").first
    shot = Image.open(io.BytesIO(page.screenshot(clip=canvas.bounding_box()))).convert("RGB")
    return np.asarray(shot).astype(int)


@contextlib.contextmanager
def explorer_in_chromium(html):
    """(page, console errors) of the page loaded in headless Chromium, once Bokeh has drawn it."""
    playwright = pytest.importorskip("playwright.sync_api")
    executable = chromium_path()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(Path(html).as_uri())
        page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length > 0 && "
            "Bokeh.index.get_one(Bokeh.documents[0].get_model_by_name('umap')) != null"
        )
        page.wait_for_timeout(500)
        try:
            yield page, errors
        finally:
            browser.close()


def test_explorer_in_headless_chromium(tmp_path):
    plateifu, catalogue, maps, reps = survey()
    explorer.explorer_page(
        tmp_path / "explorer.html",
        plateifu,
        catalogue,
        reps,
        explorer.thumbnails(maps, CHANNELS),
        CHANNELS,
        "test survey",
        "log_mass",
    )
    with explorer_in_chromium(tmp_path / "explorer.html") as (page, errors):
        model = "(name) => Bokeh.documents[0].get_model_by_name(name)"

        # the points are drawn: many pixels of the plot are neither white nor grey
        before = coloured_pixels(page)
        saturated = (before.max(axis=2) - before.min(axis=2)) > 40
        assert saturated.sum() > 2000

        # colour by another column: the colour field is that column and the picture changes
        page.locator("select").nth(1).select_option("z")
        page.wait_for_timeout(300)
        colour = page.evaluate(f"() => Array.from(({model})('galaxies').data.c)")
        assert np.allclose(colour, catalogue["z"].to_numpy(), rtol=1e-6)
        assert page.evaluate(f"() => ({model})('colour_bar').title") == "z"
        after = coloured_pixels(page)
        assert np.abs(after - before).sum(axis=2).astype(bool).sum() > 1000

        # hover a galaxy: the tooltip names it and shows its maps
        x, y = page.evaluate(PLOT_POINT, ["umap", 7])
        page.mouse.move(x, y)
        tooltip = page.locator(".galaxy-tooltip").first
        tooltip.wait_for(state="visible", timeout=5000)
        text = tooltip.inner_text()
        assert "cluster" in text and "log M*" in text
        shown = page.evaluate(
            "() => Array.from(document.querySelectorAll('*')).flatMap(e => e.shadowRoot ? "
            "Array.from(e.shadowRoot.querySelectorAll('.galaxy-tooltip img')) : [])"
            ".map(img => [img.alt, img.naturalWidth])"
        )
        assert shown and all(width == 5 * 32 + 8 for _, width in shown)
        assert any(alt.split()[-1] in text for alt, _ in shown)

        # neighbour search: the galaxy and its k nearest neighbours in the representation space
        box = page.locator("input[type=text]").first
        box.fill(str(plateifu[3]))
        box.press("Enter")
        page.wait_for_function(f"() => ({model})('highlight').data.x.length > 0")
        marked = page.evaluate(f"() => ({model})('highlight').data.plateifu")
        expected = [plateifu[j] for j in reps["simclr-relative-all"]["neighbours"][3] if j != 3]
        assert marked == expected and len(marked) == 5
        assert page.evaluate(f"() => ({model})('query').data.plateifu") == [plateifu[3]]
        assert str(plateifu[3]) in page.evaluate(f"() => ({model})('status').text")
        box.fill("1-1")
        box.press("Enter")
        page.wait_for_function(f"() => ({model})('highlight').data.x.length == 0")
        assert "not in this survey" in page.evaluate(f"() => ({model})('status').text")

        # cluster filter: unticking cluster 2 leaves only cluster 1 drawn
        page.get_by_text("cluster 2", exact=True).click()
        page.wait_for_timeout(300)
        kept = page.evaluate(f"() => ({model})('points').view.filter.booleans.filter(b => b).length")
        assert kept == int((reps["simclr-relative-all"]["cluster"] == 1).sum())

        # another representation: positions follow it
        page.locator("select").first.select_option("pca1024-relative")
        page.wait_for_timeout(300)
        xs = page.evaluate(f"() => Array.from(({model})('galaxies').data.x)")
        assert np.allclose(xs, reps["pca1024-relative"]["xy"][:, 0], rtol=1e-6)
    assert errors == []
