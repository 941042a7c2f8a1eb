import numpy as np
import pytest

from manga_ssl.preprocessing import maps as P
from manga_ssl.survey import ifu

rng = np.random.default_rng(0)


def test_bin2x2_sum_conserves_the_valid_flux():
    flux = rng.uniform(0, 5, (10, 12))
    valid = rng.random((10, 12)) > 0.3
    binned, ok = P.bin2x2(flux, valid, "sum")
    assert binned.shape == (5, 6)
    assert binned.sum() == pytest.approx(flux[valid].sum())
    # a binned pixel is valid exactly when one of its four spaxels is
    assert np.array_equal(ok, valid.reshape(5, 2, 6, 2).any(axis=(1, 3)))
    assert np.all(binned[~ok] == 0)


def test_bin2x2_mean_of_valid_spaxels_and_its_error():
    vals = np.full((4, 4), 7.0)
    vals[0, 0] = 1000.0  # invalid: must not leak into the mean
    valid = np.ones((4, 4), bool)
    valid[0, 0] = False
    mean, _ = P.bin2x2(vals, valid, "mean")
    assert np.allclose(mean, 7.0)
    err, _ = P.bin2x2(np.full((4, 4), 2.0), valid, "error")
    assert err[0, 0] == pytest.approx(np.sqrt(3 * 4.0) / 3)  # three valid spaxels
    assert err[1, 1] == pytest.approx(1.0)  # four valid: 2 / sqrt(4)


def test_pad_to_centres_and_conserves():
    a = np.arange(1, 21, dtype=float).reshape(4, 5)
    out = P.pad_to(a, 8)
    assert out.shape == (8, 8) and out.sum() == a.sum()
    rows, cols = np.flatnonzero(out.any(1)), np.flatnonzero(out.any(0))
    assert (rows[0], rows[-1]) == (2, 5) and (cols[0], cols[-1]) == (1, 5)


def test_pad_to_crops_a_larger_map_symmetrically():
    a = np.zeros((34, 34))
    a[1:33, 1:33] = 1.0
    out = P.pad_to(a, 32)
    assert out.shape == (32, 32) and out.all()


def test_footprint_box_is_even():
    for n in ifu.FIBRE_COUNTS:
        ys, xs = P.footprint_box(ifu.hexagon_footprint(n))
        assert (ys.stop - ys.start) % 2 == 0 and (xs.stop - xs.start) % 2 == 0


@pytest.mark.parametrize("n_fibres", ifu.FIBRE_COUNTS)
def test_to_grid_keeps_the_footprint_inside_32x32(n_fibres):
    foot = ifu.hexagon_footprint(n_fibres)
    maps = np.repeat(foot[..., None], 5, axis=-1).astype(float)
    valid = np.repeat(foot[..., None], 5, axis=-1)
    grid, errs, ok = P.to_grid(maps, np.zeros_like(maps), valid, foot, 32)
    assert grid.shape == (32, 32, 5) and ok.shape == (32, 32, 5)
    # flux (summed) is conserved unless the 127-fibre hexagon loses its outermost row
    lost = 1 - grid[..., 0].sum() / foot.sum()
    assert lost < (0.03 if n_fibres == 127 else 1e-12)
    # binned area ~ a quarter of the footprint area in spaxels
    assert ok[..., 1].sum() == pytest.approx(foot.sum() / 4, rel=0.12)
    # intensive channels keep their value
    assert np.allclose(grid[..., 1][ok[..., 1]], 1.0)


def _sample(n=6, size=8, seed=1):
    r = np.random.default_rng(seed)
    maps = np.stack(
        [
            r.uniform(0.1, 50, (n, size, size)),  # flux
            r.uniform(8.5, 10.1, (n, size, size)),  # log age
            r.uniform(-0.7, 0.3, (n, size, size)),  # [Z/H]
            r.uniform(-250, 250, (n, size, size)),  # velocity
            r.uniform(30, 300, (n, size, size)),  # dispersion
        ],
        axis=-1,
    )
    valid = r.random((n, size, size, 1)) > 0.25
    valid = np.repeat(valid, 5, axis=-1)
    return np.where(valid, maps, 0.0), valid


def test_relative_normalisation_is_one_linear_map_for_all_galaxies():
    maps, valid = _sample()
    scale = P.relative_scale(maps, valid, (0, 100))
    norm, slope = P.normalise(maps, valid, "relative", scale)
    assert norm.dtype == np.float32 and norm.min() >= 0 and norm.max() <= 1
    assert np.all(norm[~valid] == 0)
    # same linear map everywhere: age difference between any two pixels scales by one factor
    a = maps[..., 1][valid[..., 1]]
    b = norm[..., 1][valid[..., 1]]
    assert np.allclose(np.diff(b), np.diff(a) * slope[0, 1], atol=1e-5)
    assert np.allclose(slope, slope[0])
    # 0 km/s maps to 0.5 (symmetric velocity range)
    v0 = np.zeros_like(maps)
    v0[..., 3] = 0.0
    n0, _ = P.normalise(v0, valid, "relative", scale)
    assert np.allclose(n0[..., 3][valid[..., 3]], 0.5)


def test_relative_range_spans_the_sample_not_each_galaxy():
    maps, valid = _sample()
    maps[0, ..., 1] = np.where(valid[0, ..., 1], 9.0, 0.0)  # one galaxy of constant age
    norm, _ = P.normalise(maps, valid, "relative", P.relative_scale(maps, valid, (0, 100)))
    g0 = norm[0, ..., 1][valid[0, ..., 1]]
    assert np.ptp(g0) < 1e-6 and 0 < g0[0] < 1


def test_individual_normalisation_spans_0_1_per_galaxy():
    maps, valid = _sample()
    norm, _ = P.normalise(maps, valid, "individual")
    for g in range(maps.shape[0]):
        for c in range(5):
            v = norm[g, ..., c][valid[g, ..., c]]
            assert v.min() == pytest.approx(0.0, abs=1e-6) and v.max() == pytest.approx(1.0, abs=1e-6)
    assert np.all(norm[~valid] == 0)


def test_v_band_goes_through_log_and_sqrt():
    assert P.v_band_transform(np.array([0.0, np.e - 1]))[1] == pytest.approx(1.0)
    assert P.v_band_transform(np.array([-3.0]))[0] == 0.0


def test_noise_sigma_is_inverse_sn_in_normalised_units():
    maps, valid = _sample(n=2)
    errors = np.where(valid, 0.05 * np.abs(maps) + 1.0, 0)
    scale = P.relative_scale(maps, valid, (0, 100))
    norm, slope = P.normalise(maps, valid, "relative", scale)
    sigma = P.noise_sigma(maps, errors, valid, norm, slope, v_band_sigma=0.1)
    assert np.allclose(sigma[..., 0][valid[..., 0]], 0.1)
    g, y, x = np.argwhere(valid[..., 2])[0]
    expected = min(errors[g, y, x, 2] * slope[g, 2] / norm[g, y, x, 2], 1.0)
    assert sigma[g, y, x, 2] == pytest.approx(expected, rel=1e-5)
    assert np.all(sigma[~valid] == 0) and sigma.max() <= 1.0


def test_unknown_normalisation_is_refused():
    maps, valid = _sample(n=1)
    with pytest.raises(ValueError, match="unknown normalisation 'global'"):
        P.normalise(maps, valid, "global")


def test_geometry_prefers_drpall_and_skips_sentinels():
    drp, cat = {"phi": 30.0, "ba": 0.6}, {"pa": 31.0, "axis_ratio": 0.62}
    assert P._geometry(drp, cat) == (30.0, 0.6)
    assert P._geometry({"phi": -9999.0, "ba": -9999.0}, cat) == (31.0, 0.62)
    assert P._geometry({"phi": np.nan}, {"pa": np.nan}) == (0.0, 1.0)
