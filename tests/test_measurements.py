import numpy as np
import pytest

from manga_ssl.mock import survey as mock_survey
from manga_ssl.preprocessing import measurements as M
from manga_ssl.survey.ifu import hexagon_footprint

DISC = {
    "position_angle": 0.0,
    "axis_ratio": 0.5,
    "re_arcsec": 5.0,
    "sersic_n": 1.0,
    "age_re": 9.3,
    "log_mass": 10.3,
    "z": 0.03,
    "inclination_deg": 60.0,
    "v_max": 180.0,
    "r_turn_re": 0.4,
    "sigma_cen": 90.0,
    "sigma_slope": 0.4,
    "grad_age": -0.1,
    "zh_re": -0.1,
    "grad_zh": -0.1,
}


def test_position_angle_convention():
    assert M.position_angle_of(0.0, 1.0) == pytest.approx(0.0)  # North
    assert M.position_angle_of(-1.0, 0.0) == pytest.approx(90.0)  # East (x points West)
    assert M.position_angle_of(0.0, -1.0) == pytest.approx(180.0)


def test_rotation_angle_recovered_over_random_position_angles():
    rng = np.random.default_rng(42)
    foot = hexagon_footprint(61)
    errors = []
    for pa in rng.uniform(0, 360, 25):
        g = dict(DISC, position_angle=pa, axis_ratio=rng.uniform(0.3, 0.9))
        maps = mock_survey.intrinsic_maps(g, foot.shape[0])
        vel = maps["vel"] + rng.normal(0, 15, foot.shape)
        ra = M.rotation_angle(vel, foot)
        errors.append(np.mod(ra - (pa + 90.0) + 180.0, 360.0) - 180.0)
    errors = np.abs(errors)
    assert np.median(errors) < 2.0 and errors.max() < 6.0


def test_rotation_angle_undefined_without_both_signs():
    assert np.isnan(M.rotation_angle(np.ones((8, 8)), np.ones((8, 8), bool)))


def test_lambda_re_known_answers():
    r = M.elliptical_radius((40, 40), 5.0, 30.0, 0.6)
    flux, valid = np.exp(-r), np.ones((40, 40), bool)
    v = np.where(np.arange(40) < 20, -100.0, 100.0)[None, :].repeat(40, 0)
    assert M.lambda_re(flux, v, np.zeros_like(v), valid, r) == pytest.approx(1.0)
    assert M.lambda_re(flux, np.zeros_like(v), np.full_like(v, 80.0), valid, r) == pytest.approx(0.0)
    # V = sigma everywhere: |V| / sqrt(2) V
    assert M.lambda_re(flux, v, np.full_like(v, 100.0), valid, r) == pytest.approx(1 / np.sqrt(2))


def test_elliptical_radius_along_the_axes():
    r = M.elliptical_radius((41, 41), 2.0, 90.0, 0.5)  # major axis towards East (-x)
    assert r[20, 20 - 4] == pytest.approx(1.0)  # 2 arcsec = 4 spaxels along the major axis
    assert r[20 + 2, 20] == pytest.approx(1.0)  # 1 arcsec along the minor axis, b/a = 0.5


def test_radial_fit_recovers_a_linear_profile():
    r = M.elliptical_radius((60, 60), 6.0, 10.0, 0.7)
    age = 9.5 - 0.2 * (r - 1.0)
    value, slope = M.radial_fit(age, np.full_like(age, 0.05), np.ones_like(age, bool), r)
    assert value == pytest.approx(9.5) and slope == pytest.approx(-0.2)
    # no valid spaxel in 0.5-2 Re: no fit
    assert all(np.isnan(M.radial_fit(age, np.ones_like(age), np.zeros_like(age, bool), r)))


def test_central_dispersion_is_flux_weighted_in_the_aperture():
    sig = np.full((20, 20), 50.0)
    sig[9:11, 9:11] = 200.0  # central 1 arcsec
    flux = np.ones((20, 20))
    val = M.central_dispersion(flux, sig, np.ones((20, 20), bool), aperture_arcsec=0.5)
    assert val == pytest.approx(200.0)


@pytest.fixture(scope="module")
def rendered_survey(tmp_path_factory):
    """Map measurements of a small mock survey run through the real readers."""
    from manga_ssl.mock.survey import MockSurveySpec, generate_mock_survey
    from manga_ssl.preprocessing.maps import preprocess_survey
    from manga_ssl.survey.datasets import SurveyLayout

    root = tmp_path_factory.mktemp("survey")
    truth = generate_mock_survey(MockSurveySpec(n_galaxies=60, seed=123), root, processes=2)
    _, catalogue, rejected = preprocess_survey(SurveyLayout(root), processes=2)
    return catalogue, truth.set_index("plateifu").loc[catalogue["plateifu"]]


def test_lambda_re_from_maps_tracks_the_truth(rendered_survey):
    cat, truth = rendered_survey
    x, y = cat["lambda_re"].to_numpy(), truth["lambda_re_true"].to_numpy()
    ok = np.isfinite(x)
    assert ok.mean() > 0.9
    assert np.corrcoef(x[ok], y[ok])[0, 1] > 0.9
    # beam smearing lowers lambda_Re a little, never a lot
    assert -0.15 < np.median(x[ok] - y[ok]) < 0.02


def test_sigma_cen_from_maps_tracks_the_truth(rendered_survey):
    cat, truth = rendered_survey
    x, y = cat["sigma_cen"].to_numpy(), truth["sigma_cen_true"].to_numpy()
    ok = np.isfinite(x)
    assert ok.mean() > 0.9
    assert np.corrcoef(np.log10(x[ok]), np.log10(y[ok]))[0, 1] > 0.9
    assert abs(np.median(x[ok] / y[ok]) - 1) < 0.1


def test_age_and_metallicity_at_re_track_the_truth(rendered_survey):
    cat, truth = rendered_survey
    for measured, true, bias in (("age_lw_re", "age_re", 0.05), ("zh_lw_re", "zh_re", 0.05)):
        x, y = cat[measured].to_numpy(), truth[true].to_numpy()
        ok = np.isfinite(x)
        assert np.corrcoef(x[ok], y[ok])[0, 1] > 0.95, measured
        assert abs(np.median(x[ok] - y[ok])) < bias, measured


def test_rotation_angle_in_catalogue_matches_truth(rendered_survey):
    cat, truth = rendered_survey
    d = np.mod(cat["rotation_angle"].to_numpy() - truth["rotation_angle"].to_numpy() + 180, 360) - 180
    rotating = truth["population"].to_numpy() != "slow_rotator"
    assert np.median(np.abs(d[rotating])) < 5.0
