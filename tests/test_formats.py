"""FITS round trips through the real DR17 layouts (and the DR14/DR15 variants).

The mock survey is written by the very writers in ``manga_ssl.survey.formats`` and
read back by the readers used on real data; the public catalogues in
``../shared/data/real`` check that the table readers also fit the real files.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from manga_ssl.core.files import atomic_output
from manga_ssl.mock.survey import MockSurveySpec, generate_mock_survey
from manga_ssl.survey import formats
from manga_ssl.survey.datasets import SurveyLayout
from manga_ssl.survey.formats import PIPE3D_SSP_CHANNELS, SurveyFileError, find_channel

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"

pytestmark = pytest.mark.filterwarnings("ignore::astropy.units.UnitsWarning")

#: Where the DR17 SSP order puts each channel the pipeline reads.
DR17_INDEX = {
    "flux_v": 0,
    "flux_median": 3,
    "flux_std": 4,
    "age_lw": 5,
    "age_err": 7,
    "zh_lw": 8,
    "zh_err": 10,
    "vel": 13,
    "vel_err": 14,
    "sigma": 15,
    "sigma_err": 16,
}


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    root = tmp_path_factory.mktemp("mock_survey")
    truth = generate_mock_survey(MockSurveySpec(n_galaxies=12, seed=5), root)
    return SurveyLayout(root), truth


def _load(path):
    """Every HDU of ``path`` in memory: (data copy, header copy) pairs."""
    with fits.open(path, memmap=False) as h:
        return [(None if hdu.data is None else np.array(hdu.data), hdu.header.copy(), hdu.name) for hdu in h]


# --------------------------------------------------------------------------
# Pipe3D cube
# --------------------------------------------------------------------------


def test_mock_pipe3d_cube_has_the_dr17_layout(survey):
    layout, truth = survey
    path = layout.pipe3d_cube(truth["plateifu"].iloc[0])
    with fits.open(path) as h:
        names = [hdu.name for hdu in h]
        assert names == ["PRIMARY", "SSP", "GAIA_MASK", "SELECT_REG"]
        ssp = h["SSP"]
        assert ssp.data.ndim == 3 and ssp.data.shape[0] == 21
        for i, (desc, unit) in enumerate(PIPE3D_SSP_CHANNELS):
            assert ssp.header[f"DESC_{i}"] == desc
            assert ssp.header[f"UNITS_{i}"] == unit
        assert "DESC_21" not in ssp.header
        assert h["SELECT_REG"].data.shape == ssp.data.shape[1:]
        assert h["GAIA_MASK"].data.shape == ssp.data.shape[1:]
        assert h[0].header["PLATEIFU"] == truth["plateifu"].iloc[0]


def test_find_channel_dr17_order(survey):
    layout, truth = survey
    with fits.open(layout.pipe3d_cube(truth["plateifu"].iloc[0])) as h:
        desc = [h["SSP"].header[f"DESC_{i}"] for i in range(h["SSP"].data.shape[0])]
    for name, index in DR17_INDEX.items():
        assert find_channel(desc, name, "cube.fits") == index, name


def test_find_channel_dr14_order_is_read_by_description():
    """DR14/DR15 cubes lack the DZ plane: every plane from 2 on is one lower."""
    desc = [d for i, (d, _) in enumerate(PIPE3D_SSP_CHANNELS) if i != 2]
    assert len(desc) == 20
    for name, index in DR17_INDEX.items():
        expected = index - 1 if index >= 2 else index
        assert find_channel(desc, name, "cube.fits") == expected, name


def test_read_pipe3d_cube_dr14_layout_gives_the_same_planes(survey, tmp_path):
    """A 20-plane cube (DZ removed, keys renumbered) reads exactly as the DR17 one."""
    layout, truth = survey
    src = layout.pipe3d_cube(truth["plateifu"].iloc[1])
    dr17 = formats.read_pipe3d_cube(src)
    hdus = []
    for data, header, name in _load(src):
        if name == "SSP":
            data = np.delete(data, 2, axis=0)
            new = header.copy()
            for i in range(21):
                for key in ("ID", "FILE", "DESC", "TYPE", "UNITS"):
                    del new[f"{key}_{i}"]
            kept = [i for i in range(21) if i != 2]
            for j, i in enumerate(kept):
                for key in ("ID", "FILE", "DESC", "TYPE", "UNITS"):
                    new[f"{key}_{j}"] = header[f"{key}_{i}"]
            header = new
        cls = fits.PrimaryHDU if name == "PRIMARY" else fits.ImageHDU
        hdus.append(cls(data=data, header=header))
    dst = tmp_path / src.name
    fits.HDUList(hdus).writeto(dst)
    with fits.open(dst) as h:
        assert h["SSP"].data.shape[0] == 20 and "DESC_20" not in h["SSP"].header
    dr14 = formats.read_pipe3d_cube(dst)
    for name in DR17_INDEX:
        np.testing.assert_array_equal(getattr(dr14, name), getattr(dr17, name), err_msg=name)
    np.testing.assert_array_equal(dr14.select_reg, dr17.select_reg)
    np.testing.assert_array_equal(dr14.gaia_mask, dr17.gaia_mask)


@pytest.mark.parametrize("kind", ["ambiguous", "missing"])
def test_find_channel_errors_name_file_extension_and_channel(kind):
    desc = [d for d, _ in PIPE3D_SSP_CHANNELS]
    if kind == "ambiguous":
        desc = desc + [desc[13]]  # a second 'velocity of the stellar population'
    else:
        desc[13] = "something else entirely"
    with pytest.raises(SurveyFileError) as err:
        find_channel(desc, "vel", "/data/manga-1-2.Pipe3D.cube.fits.gz")
    msg = str(err.value)
    assert "/data/manga-1-2.Pipe3D.cube.fits.gz" in msg
    assert "[SSP]" in msg and err.value.extension == "SSP"
    assert "'vel'" in msg
    if kind == "ambiguous":
        assert "DESC_13" in msg and "DESC_21" in msg
    else:
        assert msg.split(": ", 1)[1].startswith("no DESC_i")


def test_read_pipe3d_cube_without_a_channel_description_names_file(survey, tmp_path):
    layout, truth = survey
    src = layout.pipe3d_cube(truth["plateifu"].iloc[2])
    hdus = []
    for data, header, name in _load(src):
        if name == "SSP":
            header["DESC_15"] = "unlabelled plane"  # the velocity dispersion
        cls = fits.PrimaryHDU if name == "PRIMARY" else fits.ImageHDU
        hdus.append(cls(data=data, header=header))
    dst = tmp_path / src.name
    fits.HDUList(hdus).writeto(dst)
    with pytest.raises(SurveyFileError) as err:
        formats.read_pipe3d_cube(dst)
    assert str(dst) in str(err.value) and err.value.extension == "SSP"
    assert "'sigma'" in str(err.value)


def test_write_read_pipe3d_cube_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    ny, nx = 6, 7  # not square: catches transposed axes
    ssp = rng.normal(100.0, 30.0, (21, ny, nx))
    select = rng.random((ny, nx)) > 0.3
    gaia = np.zeros((ny, nx), bool)
    gaia[1:3, 4:6] = True
    path = tmp_path / "pipe3d" / "manga-1-2.Pipe3D.cube.fits.gz"
    formats.write_pipe3d_cube(path, "1-2", ssp, select, gaia, {"MANGAID": "1-42"})
    assert path.exists()
    with open(path, "rb") as f:
        assert f.read(2) == b"\x1f\x8b"  # gzip, as the name says
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    maps = formats.read_pipe3d_cube(path)
    assert maps.shape == (ny, nx)
    for name, index in DR17_INDEX.items():
        plane = getattr(maps, name)
        assert plane.dtype == np.float64
        np.testing.assert_array_equal(plane, ssp[index].astype(np.float32).astype(np.float64), err_msg=name)
        np.testing.assert_allclose(plane, ssp[index], rtol=1e-6)
    np.testing.assert_array_equal(maps.select_reg, select)
    np.testing.assert_array_equal(maps.gaia_mask, gaia)
    with fits.open(path) as h:
        assert h[0].header["PLATEIFU"] == "1-2" and h[0].header["MANGAID"] == "1-42"


def test_write_pipe3d_cube_refuses_wrong_plane_count(tmp_path):
    with pytest.raises(ValueError, match="21 planes"):
        formats.write_pipe3d_cube(
            tmp_path / "x.fits", "1-2", np.zeros((20, 3, 3)), np.ones((3, 3)), np.zeros((3, 3)), {}
        )
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------
# DAP MAPS
# --------------------------------------------------------------------------

DONOTUSE = 1 << 30


def _dap_inputs():
    """A small DR17-layout MAPS content with every case the reader handles."""
    rng = np.random.default_rng(3)
    ny, nx = 5, 6
    binid = np.arange(ny * nx).reshape(ny, nx) // 2
    binid[0, :] = -1  # not analysed
    binid5 = np.stack([np.full((ny, nx), -1), binid, *(np.full((ny, nx), 7),) * 3]).astype(np.int32)
    sig_true = rng.uniform(50, 200, (ny, nx))
    corr0 = rng.uniform(10, 30, (ny, nx))
    sig_obs = np.sqrt(sig_true**2 + corr0**2)
    sig_obs[4, 5] = corr0[4, 5] * 0.5  # below the instrumental correction
    vel_ivar = rng.uniform(0.001, 0.1, (ny, nx))
    vel_ivar[3, 2] = 0.0
    sig_ivar = rng.uniform(0.001, 0.1, (ny, nx))
    sig_ivar[2, 2] = 0.0
    vel_mask = np.zeros((ny, nx), np.int32)
    vel_mask[1, 1] = DONOTUSE | 1  # DONOTUSE
    vel_mask[1, 3] = 1 << formats.DAP_UNRELIABLE  # flagged, but usable
    sig_mask = np.zeros((ny, nx), np.int32)
    sig_mask[2, 4] = DONOTUSE | (1 << formats.DAP_FORESTAR)
    maps = {
        "SPX_MFLUX": rng.uniform(0, 5, (ny, nx)).astype(np.float32),
        "BINID": binid5,
        "STELLAR_VEL": rng.normal(0, 100, (ny, nx)).astype(np.float32),
        "STELLAR_VEL_IVAR": vel_ivar.astype(np.float32),
        "STELLAR_VEL_MASK": vel_mask,
        "STELLAR_SIGMA": sig_obs.astype(np.float32),
        "STELLAR_SIGMA_IVAR": sig_ivar.astype(np.float32),
        "STELLAR_SIGMA_MASK": sig_mask,
        # Plane 1 is 3x plane 0: using it would drive every sigma to 0.
        "STELLAR_SIGMACORR": np.stack([corr0, 3 * corr0]).astype(np.float32),
    }
    good = np.ones((ny, nx), bool)
    good[0, :] = False
    good[1, 1] = good[2, 4] = good[4, 5] = False
    return maps, good


def test_read_dap_maps_dr17_layout(tmp_path):
    maps, good = _dap_inputs()
    path = tmp_path / "manga-1-2-MAPS-HYB10-MILESHC-MASTARSSP.fits.gz"
    formats.write_dap_maps(path, "1-2", maps, 12345.0)
    dap = formats.read_dap_maps(path)
    assert dap.shape == (5, 6)
    np.testing.assert_array_equal(dap.good, good)
    np.testing.assert_array_equal(dap.binid, maps["BINID"][1])
    s = maps["STELLAR_SIGMA"].astype(np.float64)
    c = maps["STELLAR_SIGMACORR"][0].astype(np.float64)
    expected_sigma = np.sqrt(np.clip(s**2 - c**2, 0, None))
    np.testing.assert_allclose(dap.stellar_sigma, expected_sigma, rtol=1e-12)
    assert dap.stellar_sigma[4, 5] == 0.0 and not dap.good[4, 5]
    for err, ivar in (
        (dap.stellar_vel_err, maps["STELLAR_VEL_IVAR"]),
        (dap.stellar_sigma_err, maps["STELLAR_SIGMA_IVAR"]),
    ):
        iv = ivar.astype(np.float64)
        np.testing.assert_allclose(err[iv > 0], 1.0 / np.sqrt(iv[iv > 0]), rtol=1e-12)
        assert np.all(err[iv == 0] == 0.0) and (iv == 0).any()
    np.testing.assert_array_equal(dap.stellar_vel, maps["STELLAR_VEL"].astype(np.float64))
    np.testing.assert_array_equal(dap.spx_mflux, maps["SPX_MFLUX"].astype(np.float64))
    assert dap.scinpvel == 12345.0


def test_read_dap_maps_dr15_layout_reads_the_same(tmp_path):
    maps, good = _dap_inputs()
    dr17 = tmp_path / "dr17-MAPS.fits.gz"
    formats.write_dap_maps(dr17, "1-2", maps, 12345.0)
    dr15_maps = dict(maps)
    dr15_maps["STELLAR_SIGMACORR"] = maps["STELLAR_SIGMACORR"][0]  # DR15: one 2-d plane
    dr15_maps["BINID"] = maps["BINID"][1]
    dr15 = tmp_path / "dr15-MAPS.fits.gz"
    formats.write_dap_maps(dr15, "1-2", dr15_maps, 12345.0)
    with fits.open(dr15) as h:
        assert h["STELLAR_SIGMACORR"].data.ndim == 2 and h["BINID"].data.ndim == 2
    a, b = formats.read_dap_maps(dr17), formats.read_dap_maps(dr15)
    for field in ("spx_mflux", "binid", "stellar_vel", "stellar_vel_err", "stellar_sigma", "stellar_sigma_err", "good"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    np.testing.assert_array_equal(b.good, good)


def test_read_dap_maps_on_mock_file(survey):
    layout, truth = survey
    path = layout.dap_maps(truth["plateifu"].iloc[0])
    raw = {name: data for data, _, name in _load(path)}
    dap = formats.read_dap_maps(path)
    bad = ((raw["STELLAR_VEL_MASK"].astype(np.int64) & DONOTUSE) != 0) | (
        (raw["STELLAR_SIGMA_MASK"].astype(np.int64) & DONOTUSE) != 0
    )
    assert bad.any() and (~bad).any()
    assert not dap.good[bad].any()
    np.testing.assert_array_equal(dap.binid, raw["BINID"][1])
    s, c = raw["STELLAR_SIGMA"].astype(np.float64), raw["STELLAR_SIGMACORR"][0].astype(np.float64)
    g = dap.good
    assert g.sum() > 10
    np.testing.assert_allclose(dap.stellar_sigma[g], np.sqrt(s[g] ** 2 - c[g] ** 2), rtol=1e-12)
    iv = raw["STELLAR_VEL_IVAR"].astype(np.float64)
    np.testing.assert_allclose(dap.stellar_vel_err[g], 1 / np.sqrt(iv[g]), rtol=1e-12)


def test_read_dap_maps_shape_mismatch_names_extension(tmp_path):
    maps, _ = _dap_inputs()
    maps["STELLAR_VEL_IVAR"] = maps["STELLAR_VEL_IVAR"][:4]
    path = tmp_path / "bad-MAPS.fits.gz"
    formats.write_dap_maps(path, "1-2", maps, 0.0)
    with pytest.raises(SurveyFileError) as err:
        formats.read_dap_maps(path)
    assert err.value.extension == "STELLAR_VEL_IVAR" and str(path) in str(err.value)


# --------------------------------------------------------------------------
# FIREFLY VAC
# --------------------------------------------------------------------------


def test_firefly_maps_in_log_yr_by_bin(tmp_path):
    b1 = np.array([[0, 0, 1, -1, 2], [1, 1, 2, 2, -1], [0, 1, 2, 3, 3], [-1, -1, 0, 0, 1]])
    b2 = np.zeros((3, 3), int)
    age1 = np.array([[0.1, 0.05], [0.5, 0.06], [1.0, 0.07], [-9999.0, -9999.0]])  # log Gyr
    zh1 = np.array([[-0.2, 0.01], [0.0, 0.02], [0.1, 0.03], [0.2, 0.04]])
    age2, zh2 = np.array([[0.3, 0.1]]), np.array([[-0.1, 0.05]])
    path = tmp_path / "firefly" / "manga-firefly.fits"
    formats.write_firefly_vac(path, ["7443-12701", "7443-1901"], [0.03, 0.04], [b1, b2], [age1, age2], [zh1, zh2])
    vac = formats.FireflyVAC(path)
    try:
        age, age_err, zh, zh_err, valid = vac.maps("7443-12701", b1.shape)
        expect_valid = (b1 >= 0) & (b1 <= 2)  # bin 3 holds the -9999 sentinel
        np.testing.assert_array_equal(valid, expect_valid)
        at = np.where(expect_valid, b1, 0)
        np.testing.assert_allclose(age[valid], age1[at, 0][valid] + 9.0, rtol=1e-6)
        np.testing.assert_allclose(age_err[valid], age1[at, 1][valid], rtol=1e-6)
        np.testing.assert_allclose(zh[valid], zh1[at, 0][valid], atol=1e-7)
        np.testing.assert_allclose(zh_err[valid], zh1[at, 1][valid], rtol=1e-6)
        assert age[0, 2] == pytest.approx(9.5) and age[0, 2] > 9  # log yr, not log Gyr
        for arr in (age, age_err, zh, zh_err):
            assert np.all(arr[~valid] == 0.0)
        # Second galaxy: a shorter bin table, padded in the file.
        age, _, zh, _, valid = vac.maps("7443-1901", (3, 3))
        assert valid.all()
        np.testing.assert_allclose(age, 9.3, rtol=1e-6)
        np.testing.assert_allclose(zh, -0.1, rtol=1e-6)
        # A sub-grid of a larger map is fine, a map larger than the VAC's grid is not.
        with pytest.raises(SurveyFileError) as err:
            vac.maps("7443-1901", (formats.FIREFLY_BINID_SIZE + 2, 4))
        assert err.value.extension == "SPATIAL_BINID"
        with pytest.raises(SurveyFileError) as err:
            vac.maps("9999-3703", (3, 3))
        assert "9999-3703" in str(err.value) and str(path) in str(err.value)
    finally:
        vac.close()


def test_firefly_vac_of_mock_survey(survey):
    layout, truth = survey
    vac = formats.FireflyVAC(layout.firefly)
    try:
        for p in truth["plateifu"].iloc[:3]:
            shape = formats.read_pipe3d_cube(layout.pipe3d_cube(p)).shape
            age, age_err, zh, _, valid = vac.maps(p, shape)
            assert valid.sum() > 20
            assert 7.5 < np.median(age[valid]) < 10.5  # log yr
            assert np.all(age_err[valid] > 0)
            assert -1.5 < np.median(zh[valid]) < 0.6
        with pytest.raises(SurveyFileError, match="1-1 is not in the catalogue"):
            vac.maps("1-1", (10, 10))
    finally:
        vac.close()


def test_firefly_vac_missing_file(tmp_path):
    with pytest.raises(SurveyFileError, match="missing"):
        formats.FireflyVAC(tmp_path / "nope.fits")


# --------------------------------------------------------------------------
# Survey tables: mock
# --------------------------------------------------------------------------


def test_mock_drpall(survey):
    layout, truth = survey
    with fits.open(layout.drpall) as h:
        assert "MANGA" in h
    df = layout.read_drpall()
    assert set(formats.DRPALL_COLUMNS) <= set(df.columns)
    assert df["plateifu"].tolist() == truth["plateifu"].tolist()
    assert df["ifudesignsize"].tolist() == truth["n_fibres"].tolist()
    np.testing.assert_allclose(df["z"], truth["z"])
    assert df["ifudesign"].astype(int).tolist() == truth["ifudesign"].tolist()
    assert (df["re_arcsec"] > 0).all()


def test_mock_pipe3d_catalogue(survey):
    layout, truth = survey
    df = layout.read_pipe3d_catalogue()
    assert set(df.columns) == set(formats.PIPE3D_CATALOGUE_COLUMNS)
    assert df["plateifu"].tolist() == truth["plateifu"].tolist()
    np.testing.assert_allclose(df["redshift"], truth["z"])
    np.testing.assert_allclose(df["re_kpc"], truth["re_kpc"])
    assert (np.abs(df["log_mass"] - truth["log_mass"]) < 0.5).all()


def _axial_deg(a, b):
    d = np.mod(np.asarray(a, float) - np.asarray(b, float), 180.0)
    return np.minimum(d, 180.0 - d)


def test_mock_pipe3d_geometry_round_trip(survey):
    """The mock writes Pipe3D's ellip and PA conventions; the reader gives back its b/a and PA."""
    layout, truth = survey
    with fits.open(layout.pipe3d_catalogue) as h:
        raw = h[1].data
        ellip, pa_raw = np.array(raw["ellip"], float), np.array(raw["PA"], float)
    drp = layout.read_drpall()
    cat = layout.read_pipe3d_catalogue()
    assert ((pa_raw >= 90) & (pa_raw < 270)).all()  # as in the DR14 file
    np.testing.assert_allclose(ellip, np.sqrt(1 - drp["ba"] ** 2), atol=1e-12)
    np.testing.assert_allclose(cat["axis_ratio"], drp["ba"], atol=1e-9)
    assert _axial_deg(cat["pa"], drp["phi"]).max() < 1e-9
    assert cat["pa"].between(0, 180).all()
    # the catalogue's noise about the truth: N(0, 0.02) in b/a, N(0, 2 deg) in PA
    assert np.abs(cat["axis_ratio"] - truth["axis_ratio"]).max() < 0.1
    assert _axial_deg(cat["pa"], truth["photometric_pa"]).max() < 10


def test_pipe3d_catalogue_sentinels_read_as_nan(tmp_path):
    path = tmp_path / "pipe3d.fits"
    formats.write_table(
        path,
        pd.DataFrame({"plateifu": ["1-2", "1-3", "1-4"], "ellip": [0.6, -999.0, 0.0], "PA": [120.0, -9999.0, 90.0]}),
        "PIPE3D",
    )
    df = formats.read_pipe3d_catalogue(path)
    np.testing.assert_allclose(df["axis_ratio"], [0.8, np.nan, 1.0])
    np.testing.assert_allclose(df["pa"], [30.0, np.nan, 0.0])


def test_mock_mdlm(survey):
    layout, truth = survey
    df = layout.read_mdlm()
    assert set(df.columns) == {"plateifu", "t_type", "p_ltg", "p_s0"}
    assert df["plateifu"].tolist() == truth["plateifu"].tolist()
    assert (np.abs(df["t_type"] - truth["t_type"]) < 3).all()
    assert df["p_ltg"].between(0, 1).all()


def test_table_reader_missing_required_column(tmp_path):
    path = tmp_path / "mdlm.fits"
    formats.write_table(path, pd.DataFrame({"PLATEIFU": ["1-2"], "P_S0": [0.3]}), "MDLM")
    with pytest.raises(SurveyFileError) as err:
        formats.read_mdlm(path)
    assert "T-Type/TTYPE" in str(err.value) and str(path) in str(err.value)
    with pytest.raises(SurveyFileError, match="missing"):
        formats.read_drpall(tmp_path / "absent.fits")


# --------------------------------------------------------------------------
# Survey tables: the real public catalogues
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    if not REAL.is_dir():
        pytest.skip(f"real public catalogues not available: {REAL} does not exist")
    return REAL


def test_real_drpall_mpl5(real):
    path = real / "mpl5_cat_drpall-v2_0_1_subset.fits"
    with fits.open(path) as h:
        assert "MANGA" not in h  # the table sits in an unnamed HDU 1: the fallback is exercised
    df = formats.read_drpall(path)
    assert len(df) == 2778
    assert df["plateifu"].is_unique
    assert df["plateifu"].str.fullmatch(r"\d{4,5}-\d{4,5}").all()
    assert set(df["ifudesignsize"]) <= {19, 37, 61, 91, 127}
    z = df["z"][df["z"] > 0]
    assert len(z) > 2700
    assert 0.02 < z.median() < 0.06
    assert 2.0 < df["rfwhm"].median() < 3.0
    assert {"re_arcsec", "ba", "phi", "mngtarg1", "objra"} <= set(df.columns)


def test_real_pipe3d_catalogue_dr14(real):
    df = formats.read_pipe3d_catalogue(real / "manga.Pipe3D-v2_1_2.fits")
    assert len(df) == 2755
    for col in (
        "re_arcsec",
        "re_kpc",
        "pa",
        "log_mass",
        "log_sfr",
        "age_lw_re",
        "grad_age_lw",
        "zh_lw_re",
        "grad_zh_lw",
        "lambda_re",
        "sigma_cen",
        "redshift",
    ):
        assert col in df.columns, col
    assert df["plateifu"].str.fullmatch(r"\d{4,5}-\d{4,5}").all()
    assert 10.2 < df["log_mass"].median() < 10.6
    assert 0.02 < df["redshift"].median() < 0.06
    age = df["age_lw_re"].dropna()
    assert 8.5 < age.median() < 10.2  # log yr
    assert df["lambda_re"].between(0, 1).mean() > 0.95


@pytest.fixture(scope="module")
def real_pipe3d_drpall(real):
    """DR14 Pipe3D joined with the MPL-5 drpall on plateifu (2749 galaxies)."""
    p3d = formats.read_pipe3d_catalogue(real / "manga.Pipe3D-v2_1_2.fits")
    drp = formats.read_drpall(real / "mpl5_cat_drpall-v2_0_1_subset.fits")
    both = p3d.merge(drp, on="plateifu", suffixes=("", "_drp"))
    assert len(both) > 2700
    return both[(both["ba"] > 0) & (both["phi"] >= 0)]


def test_real_pipe3d_axis_ratio_is_nsa_b_over_a(real_pipe3d_drpall):
    d = real_pipe3d_drpall
    assert np.median(np.abs(d["axis_ratio"] - d["ba"])) < 0.01
    assert np.corrcoef(d["axis_ratio"], d["ba"])[0, 1] > 0.99
    assert np.corrcoef(1 - d["axis_ratio"], 1 - d["ba"])[0, 1] > 0.99  # the ellipticity column


def test_real_pipe3d_pa_is_nsa_major_axis(real_pipe3d_drpall):
    d = real_pipe3d_drpall
    # Pipe3D copies NSA_SERSIC_PHI, which differs from NSA_ELPETRO_PHI by a median 1.7 deg.
    assert np.median(_axial_deg(d["pa"], d["phi"])) < 3
    assert d["pa"].between(0, 180).all()


def test_real_pipe3d_re_is_nsa_elpetro_th50(real_pipe3d_drpall):
    d = real_pipe3d_drpall
    np.testing.assert_allclose(d["re_arcsec"], d["re_arcsec_drp"], rtol=1e-4)


def test_real_mdlm_dr15(real):
    df = formats.read_mdlm(real / "manga-morphology-dl-DR15.fits")
    assert len(df) == 4672
    assert {"plateifu", "t_type", "p_s0"} <= set(df.columns)
    assert df["plateifu"].is_unique
    assert df["t_type"].between(-4, 10).all()
    assert df["t_type"].std() > 1.0
    assert df["p_s0"].between(0, 1).all()


def test_real_catalogues_cross_match(real):
    drp = formats.read_drpall(real / "mpl5_cat_drpall-v2_0_1_subset.fits")
    p3d = formats.read_pipe3d_catalogue(real / "manga.Pipe3D-v2_1_2.fits")
    mdlm = formats.read_mdlm(real / "manga-morphology-dl-DR15.fits")
    assert drp["plateifu"].isin(p3d["plateifu"]).mean() > 0.95
    assert drp["plateifu"].isin(mdlm["plateifu"]).mean() > 0.95


# --------------------------------------------------------------------------
# atomic_output
# --------------------------------------------------------------------------


def test_atomic_output_exception_leaves_nothing(tmp_path):
    final = tmp_path / "sub" / "out.fits.gz"
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output(final) as tmp:
            assert tmp.parent == final.parent and tmp != final
            tmp.write_bytes(b"half a file")
            assert tmp.exists()
            raise RuntimeError("boom")
    assert not final.exists()
    assert list(final.parent.iterdir()) == []


def test_atomic_output_exception_keeps_previous_file(tmp_path):
    final = tmp_path / "out.npz"
    final.write_bytes(b"previous")
    with pytest.raises(KeyError):
        with atomic_output(final) as tmp:
            tmp.write_bytes(b"new but incomplete")
            raise KeyError("x")
    assert final.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.npz"]


def test_atomic_output_exception_from_a_fits_writer(tmp_path):
    final = tmp_path / "cube.fits.gz"
    with pytest.raises(OSError):
        with atomic_output(final) as tmp:
            fits.PrimaryHDU(np.zeros((4, 4))).writeto(tmp)
            fits.PrimaryHDU(np.zeros((4, 4))).writeto(tmp)  # exists: astropy refuses
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_success_keeps_suffixes(tmp_path):
    final = tmp_path / "t.fits.gz"
    with atomic_output(final) as tmp:
        assert tmp.name.endswith(".fits.gz") and str(os.getpid()) in tmp.name
        fits.PrimaryHDU(np.arange(6.0).reshape(2, 3)).writeto(tmp)
        assert not final.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["t.fits.gz"]
    with fits.open(final) as h:
        np.testing.assert_array_equal(h[0].data, np.arange(6.0).reshape(2, 3))


# --------------------------------------------------------------------------
# Units: read from the headers, converted where the meaning is certain, else refused
# --------------------------------------------------------------------------


def _with_ssp_units(src, dst, units: dict):
    hdus = []
    for data, header, name in _load(src):
        if name == "SSP":
            for i, unit in units.items():
                header[f"UNITS_{i}"] = unit
        cls = fits.PrimaryHDU if name == "PRIMARY" else fits.ImageHDU
        hdus.append(cls(data=data, header=header))
    fits.HDUList(hdus).writeto(dst)
    return dst


def test_pipe3d_age_in_log_gyr_is_put_on_log_yr(survey, tmp_path):
    layout, truth = survey
    src = layout.pipe3d_cube(truth["plateifu"].iloc[0])
    ref = formats.read_pipe3d_cube(src)
    gyr = formats.read_pipe3d_cube(_with_ssp_units(src, tmp_path / "gyr.fits", {5: "log10(age/Gyr)"}))
    np.testing.assert_allclose(gyr.age_lw, ref.age_lw + 9.0)
    np.testing.assert_array_equal(gyr.age_err, ref.age_err)  # an error in dex is the same in either unit


@pytest.mark.parametrize(
    "index, unit, message",
    [
        (13, "m/s", r"channel 'vel' \(UNITS_13\) is in 'm/s', expected km/s"),
        (16, "km/h", r"channel 'sigma_err' \(UNITS_16\) is in 'km/h', expected km/s"),
        (8, "Z/Zsun", r"channel 'zh_lw' \(UNITS_8\) is in 'Z/Zsun', expected dex"),
        (5, "Gyr", r"channel 'age_lw' is in 'Gyr', expected a log age"),
    ],
)
def test_pipe3d_planes_in_other_units_are_refused_not_misread(survey, tmp_path, index, unit, message):
    layout, truth = survey
    src = layout.pipe3d_cube(truth["plateifu"].iloc[0])
    path = _with_ssp_units(src, tmp_path / "units.fits", {index: unit})
    with pytest.raises(SurveyFileError, match=message) as err:
        formats.read_pipe3d_cube(path)
    assert str(path) in str(err.value) and err.value.extension == "SSP"


def test_dap_kinematics_not_in_km_s_are_refused(tmp_path):
    maps, _ = _dap_inputs()
    path = tmp_path / "MAPS.fits.gz"
    formats.write_dap_maps(path, "1-2", maps, 0.0)
    with fits.open(path) as h:
        hdus = [hdu.copy() for hdu in h]
    hdus[list(maps).index("STELLAR_SIGMACORR") + 1].header["BUNIT"] = "m/s"
    fits.HDUList(hdus).writeto(tmp_path / "bad.fits.gz")
    with pytest.raises(SurveyFileError, match=r"bad.fits.gz \[STELLAR_SIGMACORR\]: BUNIT is 'm/s', expected km/s"):
        formats.read_dap_maps(tmp_path / "bad.fits.gz")


def test_firefly_age_unit_from_its_header(tmp_path):
    binid = np.zeros((4, 4), np.int32)
    age = np.array([[0.5, 0.1]])
    formats.write_firefly_vac(tmp_path / "gyr.fits", ["1-1901"], [0.03], [binid], [age], [np.array([[0.0, 0.1]])])
    with fits.open(tmp_path / "gyr.fits") as h:
        hdus = [hdu.copy() for hdu in h]
    hdus[3].header["BUNIT"] = "log(yr)"
    fits.HDUList(hdus).writeto(tmp_path / "yr.fits")
    assert formats.FireflyVAC(tmp_path / "gyr.fits").maps("1-1901", (4, 4))[0][0, 0] == pytest.approx(9.5)
    assert formats.FireflyVAC(tmp_path / "yr.fits").maps("1-1901", (4, 4))[0][0, 0] == pytest.approx(0.5)
    hdus[3].header["BUNIT"] = "Gyr"
    fits.HDUList(hdus).writeto(tmp_path / "lin.fits")
    with pytest.raises(SurveyFileError, match=r"\[LW_AGE_VORONOI\]: the age is in 'Gyr'"):
        formats.FireflyVAC(tmp_path / "lin.fits")
