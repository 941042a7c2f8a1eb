import warnings

import numpy as np
import pytest

from manga_ssl.mock.survey import POPULATIONS, MockSurveySpec, _bin_to_sn, draw_survey, generate_mock_survey
from manga_ssl.survey import formats
from manga_ssl.survey.datasets import SurveyLayout


@pytest.fixture(scope="module")
def survey():
    return draw_survey(MockSurveySpec(n_galaxies=2000, seed=99))


def test_ifu_mix_follows_the_paper(survey):
    counts = survey["n_fibres"].value_counts()
    paper = np.array([1099, 2235, 2235, 1122, 2816]) / 9507 * 2000
    got = np.array([counts[n] for n in (19, 37, 61, 91, 127)])
    assert got.sum() == 2000 and np.all(np.abs(got - paper) <= 1)


def test_names_unique_and_redshifts_in_the_survey_range(survey):
    assert survey["plateifu"].is_unique and survey["mangaid"].is_unique
    assert survey["z"].between(0.01, 0.15).all()
    assert set(survey["population"]) == set(POPULATIONS)


def test_secondary_sample_is_further_away_and_more_covered(survey):
    prim, sec = survey[survey["sample"] == "primary"], survey[survey["sample"] == "secondary"]
    assert sec["z"].median() > 1.3 * prim["z"].median()
    assert sec["coverage"].median() == pytest.approx(2.98, rel=0.05)
    assert prim["coverage"].median() == pytest.approx(1.81, rel=0.05)


def test_populations_overlap_but_differ(survey):
    m = {p: survey.loc[survey["population"] == p, "log_mass"] for p in POPULATIONS}
    sf, qf, sr = (m[p] for p in POPULATIONS)
    assert sf.median() < qf.median() < sr.median()
    # overlap: a sizeable part of the discs is more massive than the lightest slow rotators
    assert (sf > sr.quantile(0.1)).mean() > 0.05
    v_over_sigma = survey["v_max"] / survey["sigma_cen"]
    by_pop = v_over_sigma.groupby(survey["population"]).median()
    assert by_pop["slow_rotator"] < 0.5 < by_pop["quenched_fast_rotator"]


def test_same_seed_same_survey_other_seed_other_survey():
    a = draw_survey(MockSurveySpec(n_galaxies=50, seed=1))
    b = draw_survey(MockSurveySpec(n_galaxies=50, seed=1))
    c = draw_survey(MockSurveySpec(n_galaxies=50, seed=2))
    assert a.equals(b)
    assert not np.allclose(a["log_mass"], c["log_mass"])


def test_files_identical_whatever_the_number_of_processes(tmp_path):
    spec = MockSurveySpec(n_galaxies=6, seed=4)
    t1 = generate_mock_survey(spec, tmp_path / "one", processes=1)
    t2 = generate_mock_survey(spec, tmp_path / "two", processes=2)
    assert t1.equals(t2)
    for p in t1["plateifu"]:
        a = formats.read_pipe3d_cube(SurveyLayout(tmp_path / "one").pipe3d_cube(p))
        b = formats.read_pipe3d_cube(SurveyLayout(tmp_path / "two").pipe3d_cube(p))
        assert np.array_equal(a.vel, b.vel) and np.array_equal(a.flux_v, b.flux_v)


def test_written_catalogues_follow_the_dr17_layouts(tmp_path):
    truth = generate_mock_survey(MockSurveySpec(n_galaxies=8, seed=5), tmp_path)
    layout = SurveyLayout(tmp_path)
    drpall = layout.read_drpall()
    assert list(drpall["plateifu"]) == list(truth["plateifu"])
    bits = drpall["mngtarg1"].to_numpy() & (7 << 10)
    assert np.all(bits > 0)
    assert set(drpall["ifudesignsize"]) <= {19, 37, 61, 91, 127}
    assert np.all(drpall["ifudesign"].astype(int) // 100 == drpall["ifudesignsize"])
    cat = layout.read_pipe3d_catalogue()
    assert {"log_mass", "log_sfr", "axis_ratio", "pa", "lambda_re", "sigma_cen"} <= set(cat.columns)
    assert layout.read_mdlm()["t_type"].between(-4, 10).all()
    for p in truth["plateifu"]:
        assert layout.pipe3d_cube(p).exists() and layout.dap_maps(p).exists() and layout.rband_image(p).exists()


def test_selection_ties_redshift_to_mass_and_bundles_to_angular_size(survey):
    # calibrated on the MPL-5 main sample: corr(log M*, z) = 0.73 there
    assert np.corrcoef(survey["log_mass"], survey["z"])[0, 1] == pytest.approx(0.72, abs=0.06)
    re_by_bundle = survey.groupby("n_fibres")["re_arcsec"].median()
    assert np.all(np.diff(re_by_bundle.to_numpy()) > 0)  # bigger galaxies on the sky get bigger bundles
    for sample, median in (("primary", 1.81), ("secondary", 2.98)):
        cov = survey.loc[survey["sample"] == sample, "coverage"]
        assert cov.median() == pytest.approx(median, rel=0.06)


def test_allocate_bundles_gives_the_smallest_bundles_to_the_smallest_galaxies():
    from manga_ssl.mock.survey import allocate_bundles

    got = allocate_bundles(np.array([9.0, 1.0, 5.0, 3.0, 7.0]), {19: 2, 61: 1, 127: 2})
    assert got.tolist() == [127, 19, 61, 19, 127]


def test_adaptive_binning_pairs_the_one_faint_spaxel_without_numpy_warnings():
    # every spaxel at S/N 20 but one at 3 (target 10): PowerBin makes a single two-spaxel
    # bin, where its own diagnostic (the scatter of such bins) warns about an empty std
    valid = np.zeros((12, 12), bool)
    valid[2:10, 2:10] = True
    flux, noise = np.full((12, 12), 20.0), np.ones((12, 12))
    flux[5, 5] = 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        binid = _bin_to_sn(flux, noise, valid)
    assert (binid[~valid] == -1).all()
    sizes = np.bincount(binid[valid])
    assert len(sizes) == 63 and sorted(sizes)[-2:] == [1, 2]
    assert (binid == binid[5, 5]).sum() == 2
