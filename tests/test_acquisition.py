"""Real-DR17 acquisition: sample selection, FIREFLY rows by range requests, r-band cut-outs,
and a sample's products fetched from a local SAS with injected faults."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.table import Table

from manga_ssl.acquisition import products as acquisition
from manga_ssl.acquisition.download import DownloadError, LocalFile, RemoteFile
from manga_ssl.acquisition.fits_subset import _row_runs, firefly_subset, hdu_spans
from manga_ssl.acquisition.rband import rband_on_ifu_grid, resample_flux
from manga_ssl.acquisition.sample import select_sample, selection_summary
from manga_ssl.mock.survey import MockSurveySpec, generate_mock_survey
from manga_ssl.preprocessing.maps import preprocess_survey
from manga_ssl.survey import formats
from manga_ssl.survey.datasets import DAPTYPE, Dr17Archive, SurveyLayout

from .sas_server import SAS, SurveyServer, publish_mock_survey, tan_wcs

FAST = {"timeout": 0.5, "retries": 4, "backoff": 0.01}
MAIN = 1 << 10


# --------------------------------------------------------------------------
# Sample selection
# --------------------------------------------------------------------------


def catalogues():
    drpall = pd.DataFrame(
        {
            "plateifu": [
                "100-1901",
                "100-3701",
                "100-6101",
                "101-12701",
                "102-12701",
                "100-9101",
                "103-3702",
                "104-1902",
                "105-6102",
                "106-3703",
                "107-701",
            ],
            "mangaid": ["1-1", "1-2", "1-3", "1-4", "1-4", "1-6", "1-7", "1-8", "1-9", "1-10", "1-11"],
            "mngtarg1": [MAIN, MAIN, 0, MAIN | (1 << 11), 1 << 12, MAIN, MAIN, MAIN, MAIN, MAIN, MAIN],
            "ifudesignsize": [19, 37, 61, 127, 127, 91, 37, 19, 61, 37, -999],
            "drp3qual": [0, 0, 0, 0, 0, 1 << 30, 0, 0, 0, 0, 0],
        }
    )
    pipe3d = pd.DataFrame(
        {
            "plateifu": [
                "100-1901",
                "100-3701",
                "100-6101",
                "101-12701",
                "102-12701",
                "100-9101",
                "104-1902",
                "105-6102",
                "106-3703",
                "107-701",
            ],
            "qcflag": [0, 0, 0, 0, 0, 0, 2, 0, 0, 0],
        }
    )
    dapall = pd.DataFrame(
        {"plateifu": drpall["plateifu"], "dapdone": [True] * 8 + [False, True, True], "dapqual": [0] * 9 + [1 << 30, 0]}
    )
    return drpall, pipe3d, dapall


def test_selection_keeps_the_main_sample_and_gives_each_drop_a_reason():
    sel = select_sample(*catalogues()).set_index("plateifu")
    assert sel.loc[sel["kept"]].index.tolist() == ["100-1901", "100-3701", "101-12701"]
    reasons = sel["reason"].to_dict()
    assert reasons["100-6101"].startswith("not a main-sample target")
    assert reasons["100-9101"].startswith("DRP cube flagged CRITICAL")
    assert reasons["103-3702"].startswith("no Pipe3D analysis")
    assert reasons["104-1902"].startswith("Pipe3D quality flag")
    assert reasons["105-6102"].startswith("no completed DAP analysis")
    assert reasons["106-3703"].startswith("DAP output flagged CRITICAL")
    assert reasons["107-701"].startswith("not a galaxy IFU")
    # the same galaxy twice: one kept, the other names it
    assert reasons["102-12701"] == "repeat observation of MaNGA-ID 1-4; kept 101-12701"
    summary = selection_summary(sel.reset_index())
    assert "11 observations in drpall; **3 kept**" in summary
    assert "| repeat observation of MaNGA-ID | 1 |" in summary


def test_partial_runs_by_plateifu_list_and_by_a_seeded_limit():
    drpall, pipe3d, dapall = catalogues()
    sel = select_sample(drpall, pipe3d, dapall, plateifus=["100-3701", "101-12701"])
    assert sel.loc[sel["kept"], "plateifu"].tolist() == ["100-3701", "101-12701"]
    assert (sel.set_index("plateifu").loc["100-1901", "reason"]) == "not in the configured plateifu list"
    with pytest.raises(ValueError, match="not in drpall: 999-1901"):
        select_sample(drpall, pipe3d, dapall, plateifus=["999-1901"])
    picks = [
        tuple(select_sample(drpall, pipe3d, dapall, limit=2, seed=s).query("kept")["plateifu"]) for s in (3, 3, 4, 5, 6)
    ]
    assert all(len(p) == 2 for p in picks) and picks[0] == picks[1]
    assert len(set(picks)) > 1  # the seed chooses
    # nested: a larger limit keeps every galaxy of a smaller one (a second run only adds galaxies)
    for seed in range(5):
        small, large = (
            set(select_sample(drpall, pipe3d, dapall, limit=n, seed=seed).query("kept")["plateifu"]) for n in (1, 2)
        )
        assert small < large
    sel = select_sample(drpall, pipe3d, dapall, limit=2, seed=3)
    assert (sel["reason"] == "beyond sample_limit (2)").sum() == 1


def test_dapall_dr17_extension_per_type_and_dr15_single_table(tmp_path):
    mine = Table({"PLATEIFU": ["1-1901", "1-1902"], "DAPDONE": [True, False], "DAPQUAL": [0, 0]})
    other = Table({"PLATEIFU": ["1-1901", "1-1902"], "DAPDONE": [False, True], "DAPQUAL": [0, 0]})
    hdus = [fits.PrimaryHDU(), fits.table_to_hdu(other), fits.table_to_hdu(mine)]
    hdus[1].name, hdus[2].name = "SPX-MILESHC-MASTARSSP", DAPTYPE
    fits.HDUList(hdus).writeto(tmp_path / "dr17.fits")
    df = formats.read_dapall(tmp_path / "dr17.fits", DAPTYPE)
    assert df["dapdone"].tolist() == [True, False]
    dr15 = Table(
        {"plateifu": ["1-1901", "1-1901"], "daptype": [DAPTYPE, "VOR10-GAU-MILESHC"], "dapdone": [False, True]}
    )
    fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(dr15)]).writeto(tmp_path / "dr15.fits")
    df = formats.read_dapall(tmp_path / "dr15.fits", DAPTYPE)
    assert df["dapdone"].tolist() == [False] and df["plateifu"].tolist() == ["1-1901"]
    fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(Table({"PLATEIFU": ["1-1901"]}))]).writeto(tmp_path / "x.fits")
    with pytest.raises(formats.SurveyFileError, match=rf"x.fits: neither an extension {DAPTYPE} nor a DAPTYPE"):
        formats.read_dapall(tmp_path / "x.fits", DAPTYPE)


# --------------------------------------------------------------------------
# FIREFLY rows by HTTP range requests
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def firefly_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("firefly") / "manga-firefly-v3_1_1-miles.fits"
    rng = np.random.default_rng(1)
    n = 60
    plateifus = [f"{8000 + i}-{12701 + i % 5}" for i in range(n)]
    binids = [rng.integers(-1, 40, (74, 74)) for _ in range(n)]
    ages = [rng.normal(0.5, 0.3, (40, 2)) for _ in range(n)]
    zs = [rng.normal(-0.1, 0.1, (40, 2)) for _ in range(n)]
    formats.write_firefly_vac(path, plateifus, np.full(n, 0.03), binids, ages, zs)
    return path, plateifus


def test_firefly_rows_by_range_requests_equal_the_full_file(firefly_file, tmp_path):
    path, plateifus = firefly_file
    wanted = [plateifus[41], plateifus[3], plateifus[4], "1-1901"]  # one not in the VAC
    body = path.read_bytes()
    url_path = "/sas/firefly.fits"
    with SurveyServer() as server:
        server.files[url_path] = body
        server.faults[url_path] = ["500", "drop"]  # transient faults on two range reads
        found = firefly_subset(RemoteFile(server.url + url_path, **FAST), wanted, tmp_path / "sub.fits")
        ranges = [r for p, r in server.requests if p == url_path]
    assert found == wanted[:3]
    assert all(r and r.startswith("bytes=") for r in ranges)  # never the whole file
    full, sub = formats.FireflyVAC(path), formats.FireflyVAC(tmp_path / "sub.fits")
    for p in found:
        for a, b in zip(full.maps(p, (74, 74)), sub.maps(p, (74, 74))):
            np.testing.assert_array_equal(a, b)
    assert (tmp_path / "sub.fits").stat().st_size < len(body) / 10
    with fits.open(tmp_path / "sub.fits") as h:
        assert h["LW_AGE_VORONOI"].header["BUNIT"] == "log(Gyr)" and h["SPATIAL_BINID"].data.shape[0] == 3


def test_row_runs_merge_near_rows_up_to_a_size_cap():
    assert _row_runs([5, 3, 4, 9], row_bytes=100) == [[3, 9]]  # gaps far below 1 MiB: one read
    assert _row_runs([0, 100], row_bytes=1 << 20) == [[0, 0], [100, 100]]  # 99 MiB apart: two reads
    runs = _row_runs(range(100), row_bytes=1 << 20)  # 100 contiguous 1 MiB rows: 32 MiB reads at most
    assert [b - a + 1 for a, b in runs] == [32, 32, 32, 4]


def test_a_truncated_vac_is_refused_and_checksums_are_dropped_from_the_cut(firefly_file, tmp_path):
    path, plateifus = firefly_file
    with fits.open(path) as h:
        h.writeto(tmp_path / "summed.fits", checksum=True)
    source = LocalFile(tmp_path / "summed.fits")
    firefly_subset(source, plateifus[:2], tmp_path / "sub.fits")
    source.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(tmp_path / "sub.fits", checksum=True) as h:
            assert "CHECKSUM" not in h["SPATIAL_BINID"].header and h["SPATIAL_BINID"].data.shape[0] == 2
    body = path.read_bytes()
    (tmp_path / "cut.fits").write_bytes(body[: len(body) - 3 * 2880 - 100])
    source = LocalFile(tmp_path / "cut.fits")
    with pytest.raises(formats.SurveyFileError, match=r"cut.fits.*(truncated|end early)"):
        firefly_subset(source, plateifus[-2:], tmp_path / "sub2.fits")
    source.close()
    assert not (tmp_path / "sub2.fits").exists()


def test_firefly_falls_back_to_one_whole_download_without_range_support(firefly_file, tmp_path):
    path, plateifus = firefly_file
    with SurveyServer(ranges=False) as server:
        archive = Dr17Archive(server.url + SAS)
        server.files[archive.firefly("miles").removeprefix(server.url)] = path.read_bytes()
        found = acquisition.fetch_firefly(
            archive, "miles", plateifus[:2], tmp_path / "sub.fits", tmp_path / "full" / "ff.fits", FAST
        )
    assert found == plateifus[:2]
    assert (tmp_path / "full" / "ff.fits").read_bytes() == path.read_bytes()
    local = LocalFile(tmp_path / "full" / "ff.fits")
    assert [s.name for s in hdu_spans(local)][:2] == ["PRIMARY", "GALAXY_INFO"]
    local.close()


# --------------------------------------------------------------------------
# r-band images from SDSS frames
# --------------------------------------------------------------------------


def gaussian_on(wcs, shape, ra, dec, total, sigma_arcsec, pixel_arcsec):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    r, d = wcs.pixel_to_world_values(xx, yy)
    dx, dy = (r - ra) * np.cos(np.radians(dec)) * 3600, (d - dec) * 3600
    return total * np.exp(-0.5 * (dx**2 + dy**2) / sigma_arcsec**2) / (2 * np.pi * sigma_arcsec**2) * pixel_arcsec**2


def test_resampling_a_rotated_frame_onto_the_ifu_grid_keeps_flux_and_profile():
    frame = tan_wcs(150.0, 20.0, 0.396, (400, 300), rotation_deg=37.0, centre=(100, 250))
    ifu = tan_wcs(150.001, 20.0005, 0.5, (54, 54))
    image = gaussian_on(frame, (400, 300), 150.001, 20.0005, 100.0, 3.0, 0.396)
    out, covered = resample_flux(image, frame, ifu, (54, 54))
    expected = gaussian_on(ifu, (54, 54), 150.001, 20.0005, 100.0, 3.0, 0.5)
    assert covered.all()
    assert out.sum() == pytest.approx(100.0, rel=1e-3)
    assert np.abs(out - expected).max() < 0.01 * expected.max()
    # North up, East left on the IFU grid: the peak sits at the galaxy's position
    assert np.unravel_index(out.argmax(), out.shape) == np.unravel_index(expected.argmax(), expected.shape)


def maps_with_footprint(path, ra, dec):
    """A MAPS file whose fibre bundle covers a 10 arcsec-radius disc of a 54 x 54 grid."""
    ifu = tan_wcs(ra, dec, 0.5, (54, 54))
    yy, xx = np.mgrid[0:54, 0:54]
    binid = np.where(np.hypot(xx - 26.5, yy - 26.5) <= 20, 0, -1).astype(np.int32)
    hdus = [
        fits.PrimaryHDU(),
        fits.ImageHDU(np.zeros((54, 54), np.float32), header=ifu.to_header(), name="SPX_MFLUX"),
        fits.ImageHDU(np.stack([binid] * 5), name="BINID"),
    ]
    fits.HDUList(hdus).writeto(path, overwrite=True)


@pytest.mark.parametrize("east_arcsec, accepted", [(9.0, True), (15.0, False)])
def test_coverage_is_judged_on_the_bundle_footprint_not_the_grid(tmp_path, east_arcsec, accepted):
    """9 arcsec east the grid's corners are off the 39.6 arcsec frame but the bundle is on it;
    15 arcsec east the bundle itself runs off the edge."""
    frame = tan_wcs(150.0, 20.0, 0.396, (100, 100))
    fits.PrimaryHDU(np.ones((100, 100), np.float32), header=frame.to_header()).writeto(tmp_path / "frame.fits")
    maps_with_footprint(tmp_path / "maps.fits", 150.0 + east_arcsec / 3600 / np.cos(np.radians(20.0)), 20.0)
    dest = tmp_path / "r.fits.gz"
    if accepted:
        coverage = rband_on_ifu_grid(tmp_path / "frame.fits", tmp_path / "maps.fits", dest, "1-1901")
        assert coverage == 1.0
        header = fits.getheader(dest, "IMAGE")
        assert header["FRAME"] == "frame.fits" and header.comments["FRAME"] == "SDSS frame the image was cut from"
        assert formats.read_rband_image(dest)[26, 26] == pytest.approx((0.5 / 0.396) ** 2, rel=1e-3)
    else:
        with pytest.raises(
            formats.SurveyFileError, match=r"frame.fits: covers only \d+% of the IFU footprint of 1-1901"
        ):
            rband_on_ifu_grid(tmp_path / "frame.fits", tmp_path / "maps.fits", dest, "1-1901")
        assert not dest.exists()


# --------------------------------------------------------------------------
# A sample's products from a local SAS, with faults
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mock")
    generate_mock_survey(MockSurveySpec(n_galaxies=10, seed=5), root)
    return root


def test_a_sample_is_fetched_through_faults_and_a_missing_galaxy_is_listed(mock_root, tmp_path):
    mock = SurveyLayout(mock_root)
    layout = SurveyLayout(tmp_path / "dr17")
    plateifus = mock.read_drpall()["plateifu"].tolist()
    with SurveyServer() as server:
        publish_mock_survey(mock_root, server)
        archive = Dr17Archive(server.url + SAS)
        cube = lambda p: archive.pipe3d_cube(p).removeprefix(server.url)  # noqa: E731
        maps = lambda p: archive.dap_maps(p).removeprefix(server.url)  # noqa: E731
        server.faults.update(
            {
                cube(plateifus[0]): ["404"],
                cube(plateifus[1]): ["drop"],
                maps(plateifus[2]): ["truncated"],
                maps(plateifus[3]): ["slow"],
                cube(plateifus[4]): ["500", "500"],
            }
        )
        acquisition.fetch_catalogue(archive, "drpall", layout.drpall, FAST)
        manifest = acquisition.fetch_galaxies(layout.read_drpall(), layout, archive, FAST, max_parallel=3, chunk=4)
        resumed = [r for p, r in server.requests if p == cube(plateifus[1]) and r]
        # again: every file is there and valid, so nothing is asked for but the missing galaxy's cube;
        # an r-band image cut by other code is cut again from a fresh frame
        with fits.open(layout.rband_image(plateifus[5])) as h:
            hdus = [hdu.copy() for hdu in h]
        hdus[1].header["CUTVERS"] = 0  # cut by an older version
        layout.rband_image(plateifus[5]).unlink()
        fits.HDUList(hdus).writeto(layout.rband_image(plateifus[5]))
        server.requests.clear()
        server.faults[cube(plateifus[0])] = ["404"]
        again = acquisition.fetch_galaxies(layout.read_drpall(), layout, archive, FAST, max_parallel=3, chunk=4)
        asked = sorted(p for p, _ in server.requests)
    pd.testing.assert_frame_equal(again, manifest)
    assert len(asked) == 2 and cube(plateifus[0]) in asked and any("/frame-r-" in a for a in asked)
    bad = manifest[manifest["error"] != ""]
    # the 404 galaxy: its cube is listed with URL and status; the rest are complete
    assert bad["plateifu"].unique().tolist() == [plateifus[0]]
    assert "HTTP 404" in bad.set_index("product").loc["pipe3d_cube", "error"]
    assert resumed and resumed[0].startswith("bytes=")  # the dropped cube was resumed, not restarted
    for p in plateifus[1:]:
        assert layout.pipe3d_cube(p).read_bytes() == mock.pipe3d_cube(p).read_bytes()
    assert not list(layout.root.rglob("*.part")) and not list(layout.root.rglob("frame-*"))  # frames cleaned up
    for p in plateifus[1:]:  # the r-band image cut from the frame is the mock's own image
        want, got = formats.read_rband_image(mock.rband_image(p)), formats.read_rband_image(layout.rband_image(p))
        assert got.sum() == pytest.approx(want.sum(), rel=0.01)
        assert np.corrcoef(want.ravel(), got.ravel())[0, 1] > 0.99

    failures = acquisition.download_failures(manifest)
    assert list(failures) == [plateifus[0]] and failures[plateifus[0]][0] == archive.pipe3d_cube(plateifus[0])
    layout_ff = SurveyLayout(layout.root, firefly_file=mock.firefly)
    for name in ("pipe3d_catalogue", "mdlm_catalogue"):
        (layout.root / getattr(mock, name).name).write_bytes(getattr(mock, name).read_bytes())
    _, catalogue, rejected = preprocess_survey(
        layout_ff, sample=plateifus, unavailable=failures, max_rejected_fraction=0.5
    )
    assert catalogue["plateifu"].tolist() == plateifus[1:]
    assert rejected.to_dict("records") == [
        {
            "plateifu": plateifus[0],
            "file": archive.pipe3d_cube(plateifus[0]),
            "reason": "pipe3d_cube: HTTP 404 Not Found",
        }
    ]


def test_a_catalogue_that_cannot_be_fetched_stops_with_its_url(tmp_path):
    with SurveyServer() as server:
        archive = Dr17Archive(server.url + SAS)
        with pytest.raises(DownloadError, match=r"drpall-v3_1_1\.fits: HTTP 404"):
            acquisition.fetch_catalogue(archive, "drpall", tmp_path / "drpall-v3_1_1.fits", FAST)
    assert not list(tmp_path.iterdir())


REAL = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@pytest.mark.filterwarnings("ignore::astropy.units.UnitsWarning")
def test_selection_on_real_drpall_and_pipe3d_catalogue():
    """MPL-5 drpall rows and the DR14 Pipe3D catalogue (older formats, lower-case names)."""
    if not REAL.is_dir():
        pytest.skip(f"real public catalogues not available: {REAL} does not exist")
    drp_path, p3d_path = REAL / "mpl5_cat_drpall-v2_0_1_subset.fits", REAL / "manga.Pipe3D-v2_1_2.fits"
    sel = select_sample(formats.read_drpall(drp_path), formats.read_pipe3d_catalogue(p3d_path))
    # the same cut, written independently on the raw tables
    raw = Table.read(drp_path, hdu=1)
    raw.rename_columns(raw.colnames, [c.lower() for c in raw.colnames])
    p3d = {str(p).strip() for p in Table.read(p3d_path, hdu=1)["plateifu"]}
    ok = ((np.asarray(raw["mngtarg1"]) & (7 << 10)) > 0) & ((np.asarray(raw["drp3qual"]) & (1 << 30)) == 0)
    ok &= np.array([str(p).strip() in p3d for p in raw["plateifu"]])
    assert sel["kept"].sum() == len({str(m).strip() for m in raw["mangaid"][ok]})  # one per galaxy
    assert len(sel) == len(raw) and (sel["reason"] != "").sum() == len(raw) - sel["kept"].sum()
    kept = sel[sel["kept"]]
    assert kept["mangaid"].is_unique and set(kept["sample"]) == {"primary", "secondary", "color_enhanced"}
    repeats = sel[sel["reason"].str.startswith("repeat observation")]
    assert len(repeats) > 0
    for r in repeats.itertuples():  # each names the kept observation of the same galaxy, which is not smaller
        other = r.reason.rsplit("kept ", 1)[1]
        row = sel.set_index("plateifu").loc[other]
        assert row["kept"] and row["mangaid"] == r.mangaid and row["ifudesignsize"] >= r.ifudesignsize
