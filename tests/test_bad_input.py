"""Bad survey input: every broken galaxy is rejected with its reason, the run goes on.

A tiny mock survey is written once; each case corrupts one galaxy's files in
its own copy of the survey, runs :func:`preprocess_survey`, and checks that
exactly that galaxy is rejected (file and reason), and that every other
galaxy's per-galaxy arrays are identical to those of the uncorrupted run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits

from manga_ssl.mock.survey import MockSurveySpec, generate_mock_survey
from manga_ssl.preprocessing.maps import preprocess_survey
from manga_ssl.survey import formats
from manga_ssl.survey.datasets import SurveyLayout

ARRAY_KEYS = ("maps", "errors", "valid", "model_variation", "model_variation_valid")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """(pristine survey root, plateifus in drpall order, uncorrupted run)."""
    root = tmp_path_factory.mktemp("pristine")
    truth = generate_mock_survey(MockSurveySpec(n_galaxies=12, seed=5), root)
    arrays, catalogue, rejected = preprocess_survey(SurveyLayout(root), processes=1, max_rejected_fraction=0.5)
    assert rejected.empty, rejected
    names = SurveyLayout(root).read_drpall()["plateifu"].tolist()
    assert arrays["plateifu"].tolist() == names == truth["plateifu"].tolist()
    return root, names, arrays, catalogue


def _copy(base_root: Path, dst: Path) -> SurveyLayout:
    shutil.copytree(base_root, dst)
    return SurveyLayout(dst)


def _rewrite(path: Path, edit) -> None:
    """Load every HDU of ``path`` into memory, let ``edit`` change the list, write it back."""
    with fits.open(path, memmap=False) as h:
        hdus = [(type(hdu), None if hdu.data is None else np.array(hdu.data), hdu.header.copy()) for hdu in h]
    hdus = edit(hdus)
    fits.HDUList([cls(data=data, header=header) for cls, data, header in hdus]).writeto(path, overwrite=True)


def _edit_ssp_plane(description: str, change):
    """An ``edit`` that applies ``change(plane)`` to the SSP plane with that DESC_i."""

    def edit(hdus):
        for _, data, header in hdus:
            if header.get("EXTNAME") == "SSP":
                idx = [i for i in range(data.shape[0]) if header.get(f"DESC_{i}") == description]
                assert len(idx) == 1
                change(data[idx[0]])
        return hdus

    return edit


VELOCITY = formats.PIPE3D_SSP_CHANNELS[13][0]
MEDIAN_FLUX = formats.PIPE3D_SSP_CHANNELS[3][0]


# Each corruption: (layout, plateifu) -> the file made bad.


def cube_missing(layout, p):
    path = layout.pipe3d_cube(p)
    path.unlink()
    return path


def cube_truncated(layout, p):
    path = layout.pipe3d_cube(p)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    return path


def cube_not_fits(layout, p):
    path = layout.pipe3d_cube(p)
    path.write_text("<html><body>502 Bad Gateway</body></html>\n" * 20)
    return path


def ssp_removed(layout, p):
    path = layout.pipe3d_cube(p)
    _rewrite(path, lambda hdus: [h for h in hdus if h[2].get("EXTNAME") != "SSP"])
    return path


def select_reg_shape(layout, p):
    path = layout.pipe3d_cube(p)

    def edit(hdus):
        return [(c, d[:-2, :-2] if h.get("EXTNAME") == "SELECT_REG" else d, h) for c, d, h in hdus]

    _rewrite(path, edit)
    return path


def dap_shape(layout, p):
    """Every DAP map two spaxels smaller than the Pipe3D maps (self-consistent file)."""
    path = layout.dap_maps(p)
    _rewrite(path, lambda hdus: [(c, None if d is None else d[..., :-2, :-2], h) for c, d, h in hdus])
    return path


def nan_velocity(layout, p):
    path = layout.pipe3d_cube(p)

    def change(plane):
        ny, nx = plane.shape
        plane[ny // 2 - 1 : ny // 2 + 1, nx // 2 - 1 : nx // 2 + 1] = np.nan

    _rewrite(path, _edit_ssp_plane(VELOCITY, change))
    return path


def low_sn(layout, p):
    path = layout.pipe3d_cube(p)

    def change(plane):
        plane[:] = 1e-12

    _rewrite(path, _edit_ssp_plane(MEDIAN_FLUX, change))
    return path


def dap_missing(layout, p):
    path = layout.dap_maps(p)
    path.unlink()
    return path


def rband_missing(layout, p):
    path = layout.rband_image(p)
    path.unlink()
    return path


#: name -> (corruption, galaxy index in drpall order, phrases the reason must contain).
#: Every case hits a different galaxy; galaxies 0 and 11 stay clean in all of them.
CASES = {
    "cube_missing": (cube_missing, 1, ("missing",)),
    "cube_truncated": (cube_truncated, 2, ("truncated",)),
    "cube_not_fits": (cube_not_fits, 3, ("not a readable FITS",)),
    "ssp_removed": (ssp_removed, 4, ("SSP", "missing")),
    "select_reg_shape": (select_reg_shape, 5, ("SELECT_REG", "shape")),
    "dap_shape": (dap_shape, 6, ("DAP MAPS", "shape", "differs")),
    "nan_velocity": (nan_velocity, 7, ("non-finite", "'vel'")),
    "low_sn": (low_sn, 8, ("S/N",)),
    "dap_missing": (dap_missing, 9, ("missing",)),
    "rband_missing": (rband_missing, 10, ("missing",)),
}


def _check_kept_identical(arrays, catalogue, base, bad: set[str]):
    _, names, ref, ref_cat = base
    kept = [p for p in names if p not in bad]
    assert arrays["plateifu"].tolist() == kept
    ref_row = {p: i for i, p in enumerate(ref["plateifu"])}
    rows = [ref_row[p] for p in kept]
    for key in ARRAY_KEYS:
        assert arrays[key].shape[0] == len(kept)
        np.testing.assert_array_equal(arrays[key], ref[key][rows], err_msg=key)
    expected = ref_cat.set_index("plateifu").loc[kept].reset_index()
    pd.testing.assert_frame_equal(catalogue.reset_index(drop=True), expected)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_galaxy_is_rejected_and_the_rest_unchanged(case, base, tmp_path):
    root, names, _, _ = base
    corrupt, index, phrases = CASES[case]
    layout = _copy(root, tmp_path / "survey")
    plateifu = names[index]
    bad_file = corrupt(layout, plateifu)

    arrays, catalogue, rejected = preprocess_survey(layout, processes=1, max_rejected_fraction=0.5)

    assert rejected["plateifu"].tolist() == [plateifu]
    row = rejected.iloc[0]
    assert Path(row["file"]) == bad_file, row["file"]
    for phrase in phrases:
        assert phrase in row["reason"], (phrase, row["reason"])
    _check_kept_identical(arrays, catalogue, base, {plateifu})


def test_all_corruptions_at_once(base, tmp_path):
    """Ten bad galaxies in one run: ten rejections, each with its own reason; two kept."""
    root, names, _, _ = base
    layout = _copy(root, tmp_path / "survey")
    bad = {
        names[index]: (case, corrupt(layout, names[index]), phrases)
        for case, (corrupt, index, phrases) in CASES.items()
    }
    arrays, catalogue, rejected = preprocess_survey(layout, processes=1, max_rejected_fraction=0.9)
    assert sorted(rejected["plateifu"]) == sorted(bad)
    assert rejected["plateifu"].is_unique
    for _, row in rejected.iterrows():
        case, bad_file, phrases = bad[row["plateifu"]]
        assert Path(row["file"]) == bad_file, (case, row["file"])
        assert all(phrase in row["reason"] for phrase in phrases), (case, row["reason"])
    _check_kept_identical(arrays, catalogue, base, set(bad))


def test_truncated_cube_reason_says_so(base, tmp_path):
    root, names, _, _ = base
    layout = _copy(root, tmp_path / "survey")
    bad_file = cube_truncated(layout, names[2])
    _, _, rejected = preprocess_survey(layout, processes=1, max_rejected_fraction=0.5)
    assert rejected["plateifu"].tolist() == [names[2]]
    assert Path(rejected["file"].iloc[0]) == bad_file
    reason = rejected["reason"].iloc[0]
    assert "truncated" in reason, reason


def test_dap_shape_mismatch_names_the_dap_file(base, tmp_path):
    root, names, _, _ = base
    layout = _copy(root, tmp_path / "survey")
    bad_file = dap_shape(layout, names[6])
    _, _, rejected = preprocess_survey(layout, processes=1, max_rejected_fraction=0.5)
    assert rejected["plateifu"].tolist() == [names[6]]
    assert "DAP MAPS" in rejected["reason"].iloc[0]
    assert Path(rejected["file"].iloc[0]) == bad_file


def test_too_many_rejections_raise(base, tmp_path):
    root, names, _, _ = base
    layout = _copy(root, tmp_path / "survey")
    for p in names[:7]:  # 7 of 12 = 58% > 50%
        layout.pipe3d_cube(p).unlink()
    with pytest.raises(RuntimeError) as err:
        preprocess_survey(layout, processes=1, max_rejected_fraction=0.5)
    msg = str(err.value)
    assert "7 of 12" in msg
    assert "preprocessing.max_rejected_fraction" in msg


def test_rejections_at_the_limit_are_allowed(base, tmp_path):
    root, names, _, _ = base
    layout = _copy(root, tmp_path / "survey")
    for p in names[:6]:  # 6 of 12 = exactly 50%: not more than the limit
        layout.dap_maps(p).unlink()
    arrays, catalogue, rejected = preprocess_survey(layout, processes=1, max_rejected_fraction=0.5)
    assert sorted(rejected["plateifu"]) == sorted(names[:6])
    assert rejected["reason"].str.contains("missing").all()
    _check_kept_identical(arrays, catalogue, base, set(names[:6]))
