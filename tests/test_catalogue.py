"""The value-added catalogue's pieces: FITS columns with units and descriptions, the consensus
of a division, neighbours among a run's galaxies, and reading new galaxies' cubes."""

import gzip
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.table import Table

from manga_ssl.analysis.neighbours import nearest_among
from manga_ssl.catalogue import vac
from manga_ssl.catalogue.placement import read_galaxy
from manga_ssl.core.config import validate_config
from manga_ssl.preprocessing.maps import CATALOGUE_UNITS, GalaxyRejected

ROOT = Path(__file__).resolve().parents[1]


def test_every_preprocessing_column_has_a_fits_unit_and_description():
    assert list(vac.SURVEY_COLUMNS) == list(CATALOGUE_UNITS)
    assert all(description for _, description in vac.SURVEY_COLUMNS.values())
    # the physical units agree with the preprocessing's
    for name, (unit, _) in vac.SURVEY_COLUMNS.items():
        if unit in ("kpc", "km/s", "arcsec", "deg"):
            assert CATALOGUE_UNITS[name].startswith(unit), name


def test_fits_table_round_trip_with_units_descriptions_and_vector_columns(tmp_path):
    columns = [
        vac.Column("plateifu", "", "MaNGA PLATE-IFU"),
        vac.Column("re_kpc", "kpc", "effective radius"),
        vac.Column("n", "", "a count"),
        vac.Column("nn_plateifu", "", "neighbours"),
        vac.Column("nn_distance", "", "distances"),
    ]
    data = {
        "plateifu": np.array(["8485-1901", "7443-12703"]),
        "re_kpc": np.array([1.5, 2.25]),
        "n": np.array([3, 4]),
        "nn_plateifu": np.array([["7443-12703", "1-1"], ["8485-1901", "22-3701"]]),
        "nn_distance": np.array([[0.5, 1.0], [0.5, 2.0]], dtype=np.float32),
    }
    header = fits.Header()
    header["RUNNAME"] = "t"
    path = tmp_path / "cat.fits"
    vac.write_fits(path, header, [vac.table_hdu("CATALOGUE", columns, data)])
    with fits.open(path, checksum=True) as hdul:
        h = hdul["CATALOGUE"].header
        assert hdul[0].header["RUNNAME"] == "t"
        assert [h[f"TCOMM{i}"] for i in range(1, 6)] == [c.description for c in columns]
        assert h["TUNIT2"] == "kpc" and "TUNIT1" not in h
    table = Table.read(path, hdu="CATALOGUE")
    assert table["re_kpc"].unit == "kpc" and list(table["re_kpc"]) == [1.5, 2.25]
    assert table["nn_plateifu"].shape == (2, 2) and table["nn_plateifu"][1, 1] == "22-3701"
    assert table["nn_distance"][1].tolist() == [0.5, 2.0] and table["n"].tolist() == [3, 4]
    assert not list(tmp_path.glob("*partial*"))


def test_header_cards_keep_their_comments_whole_and_in_order(tmp_path):
    given = "log_mass,sigma_cen,lambda_re,age_lw_re,zh_lw_re,re_kpc"  # no room left for a comment
    cards = [("SEED", 3, "replica (training seed)"), ("ERASEGIV", given, "physical columns the erasure was given")]
    path = tmp_path / "reps.fits"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # astropy warns when it cuts a comment short
        hdu = vac.table_hdu(
            "REPR-SEED3", [vac.Column("plateifu", "", "MaNGA PLATE-IFU")], {"plateifu": np.array(["1-1"])}, cards
        )
        vac.write_fits(path, fits.Header(), [hdu])
    with fits.open(path) as hdul:
        h = hdul["REPR-SEED3"].header
        assert h["SEED"] == 3 and h.comments["SEED"] == "replica (training seed)"
        assert h["ERASEGIV"] == given and h.comments["ERASEGIV"] == ""
        assert list(h["COMMENT"]) == ["ERASEGIV: physical columns the erasure was given"]
        keys = list(h.keys())
        assert keys.index("SEED") < keys.index("ERASEGIV") < keys.index("COMMENT")
    assert vac.comment_fits("SEED", 3, "replica (training seed)")
    assert not vac.comment_fits("ERASEGIV", given, "physical columns the erasure was given")


def test_consensus_and_fraction_of_a_division(tmp_path):
    # 3 replicas, 4 galaxies, k = 2, two K-means seeds; only the first seed counts
    rows = []
    by_replica = {0: [0, 0, 1, 1], 1: [0, 1, 1, 1], 2: [0, 0, 1, 0]}
    for replica, labels in by_replica.items():
        for g, label in enumerate(labels):
            rows.append((f"g{g}", 2, replica, 5, label))
            rows.append((f"g{g}", 2, replica, 7, 1 - label))
    path = tmp_path / "labels.parquet"
    pd.DataFrame(rows, columns=["plateifu", "k", "replica", "kmeans_seed", "label"]).to_parquet(path)
    ids, consensus, fraction = vac.consensus_and_fraction(path, 2)
    assert ids.tolist() == ["g0", "g1", "g2", "g3"]
    assert consensus.tolist() == [0, 0, 1, 1]
    assert np.allclose(fraction, [1, 2 / 3, 1, 2 / 3])
    with pytest.raises(ValueError, match="no K-means division with k = 3"):
        vac.consensus_and_fraction(path, 3)


def test_column_prefixes_and_divisions_shown():
    assert vac.column_prefix("simclr-relative-all+footprint") == "simclr_relative_all_footprint"
    studied = {"relative": {"k": 3}, "individual": {"k": 2}}
    assert vac.divisions_of("simclr-relative-all", studied, {"simclr-relative-all": 4}) == [3, 4]
    assert vac.divisions_of("pca10-individual", studied, {}) == [2]


def test_nearest_among_known_answer():
    points = np.array([[0, 0], [3, 4], [1, 0]], dtype=np.float32)
    idx, dist = nearest_among(np.array([[0.9, 0.0], [3, 3]], dtype=np.float32), points, 2)
    assert idx.tolist() == [[2, 0], [1, 2]]
    assert np.allclose(dist, [[0.1, 0.9], [1.0, np.hypot(2, 3)]], atol=1e-5)


def test_catalogue_key_in_the_schema_with_its_default():
    cfg = validate_config({}, ROOT / "workflow/schemas/config.schema.yaml")
    assert cfg["catalogue"] == {"neighbours": 10}


@pytest.fixture(scope="module")
def one_cube(tmp_path_factory):
    from manga_ssl.mock.survey import MockSurveySpec, generate_mock_survey
    from manga_ssl.survey.datasets import SurveyLayout
    from manga_ssl.survey.formats import read_drpall

    root = tmp_path_factory.mktemp("mock")
    generate_mock_survey(MockSurveySpec(n_galaxies=2, seed=3), root)
    layout = SurveyLayout(root)
    plateifu = read_drpall(layout.drpall)["plateifu"].iloc[0]
    return layout.pipe3d_cube(plateifu), plateifu


def test_a_new_galaxy_is_read_from_its_cube_alone(one_cube):
    cube, plateifu = one_cube
    got, maps, valid = read_galaxy(cube, 32, 3.0)
    assert got == plateifu and maps.shape == valid.shape == (32, 32, 5)
    assert valid[..., 0].sum() > 20 and np.all(maps[~valid] == 0)


def test_bad_cubes_are_rejected_naming_the_file(one_cube, tmp_path):
    cube, plateifu = one_cube
    truncated = tmp_path / cube.name
    truncated.write_bytes(cube.read_bytes()[:2000])
    with pytest.raises(GalaxyRejected, match="truncated") as err:
        read_galaxy(truncated)
    assert err.value.file == str(truncated)
    renamed = tmp_path / "galaxy.fits.gz"
    shutil.copy(cube, renamed)
    with pytest.raises(GalaxyRejected, match="not a Pipe3D cube name"):
        read_galaxy(renamed)
    bad_ifu = tmp_path / f"manga-{plateifu.split('-')[0]}-1234.Pipe3D.cube.fits.gz"
    shutil.copy(cube, bad_ifu)
    with pytest.raises(GalaxyRejected, match="IFU design 1234"):
        read_galaxy(bad_ifu)
    no_ssp = tmp_path / f"manga-{plateifu}.Pipe3D.cube.fits.gz"
    with gzip.open(no_ssp, "wb") as fh:
        fits.HDUList([fits.PrimaryHDU()]).writeto(fh)
    with pytest.raises(GalaxyRejected, match=r"\[SSP\] extension SSP is missing") as err:
        read_galaxy(no_ssp)
    assert err.value.file == str(no_ssp)
