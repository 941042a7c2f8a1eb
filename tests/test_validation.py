"""Validation of the mock against real catalogues: the joint relations MaNGA's selection induces."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table
from astropy.units import UnitsWarning

from manga_ssl.mock.validation import joint_checks, to_markdown
from manga_ssl.survey.formats import read_catalogue_table

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


def _constructed_catalogue(n=400, seed=0):
    rng = np.random.default_rng(seed)
    log_mass = rng.uniform(9, 11.5, n)
    z = 0.02 + 0.03 * (log_mass - 9)  # a perfect mass-redshift relation
    return pd.DataFrame(
        {
            "log_mass": log_mass,
            "z": z,
            "re_arcsec": rng.uniform(2, 10, n),
            "n_fibres": rng.choice([19, 37, 61, 91, 127], n),
        }
    )


@pytest.mark.skipif(not REAL.exists(), reason="../shared/data/real is absent (a user's clone)")
def test_joint_checks_read_the_real_relations_and_the_mocks():
    drpall = read_catalogue_table(REAL / "mpl5_cat_drpall-v2_0_1_subset.fits")
    pipe3d = read_catalogue_table(REAL / "manga.Pipe3D-v2_1_2.fits")
    main = (np.asarray(drpall["MNGTARG1"]).astype(np.int64) & (7 << 10)) > 0
    rows = pd.DataFrame(joint_checks(_constructed_catalogue(), pipe3d, drpall, main)).set_index("quantity")
    # MaNGA's selection ties mass to redshift (measured: 0.73 in the MPL-5 main sample, 0.69 in DR14 Pipe3D)
    assert rows.loc["corr(log M*, z)", "real_median"] == pytest.approx(0.73, abs=0.02)
    assert rows.loc["corr(log M*, z) (Pipe3D)", "real_median"] == pytest.approx(0.69, abs=0.03)
    assert rows.loc["corr(log M*, z)", "mock_median"] == pytest.approx(1.0, abs=1e-9)
    assert abs(rows.loc["corr(log Re [arcsec], z)", "real_median"]) < 0.2
    # the bundle is chosen to match the galaxy's size: Re grows with the bundle
    re = [rows.loc[f"Re [arcsec] in {f}-fibre IFUs", "real_median"] for f in (19, 37, 61, 91, 127)]
    assert np.all(np.diff(re) > 0) and 2.5 < re[0] < 3.5 and 8 < re[-1] < 9.5
    assert rows.loc["corr(log M*, z)", "real_n"] > 2000
    assert "corr(log M*, z)" in to_markdown(rows.reset_index())


@pytest.mark.skipif(not REAL.exists(), reason="../shared/data/real is absent (a user's clone)")
def test_real_catalogues_with_non_fits_units_are_read_without_warnings():
    # DR14 Pipe3D writes units such as 'log(Msun)' and 'degrees', which astropy warns about
    with pytest.warns(UnitsWarning):
        Table.read(REAL / "manga.Pipe3D-v2_1_2.fits")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe3d = read_catalogue_table(REAL / "manga.Pipe3D-v2_1_2.fits")
    assert len(pipe3d) > 2000 and np.nanmedian(np.asarray(pipe3d["log_mass"], float)) == pytest.approx(10.3, abs=0.5)


def _constructed_truth(n_per_population, seed=0):
    """Three populations apart in age, rotation support, central dispersion and star
    formation; the other true parameters and the instrumental columns are noise."""
    rng = np.random.default_rng(seed)
    centres = {  # log age, lambda_Re, log sigma_cen, log SFR
        "star_forming_disc": (9.0, 0.7, 1.8, 0.5),
        "quenched_fast_rotator": (9.8, 0.5, 2.1, -1.0),
        "slow_rotator": (10.0, 0.1, 2.4, -1.2),
    }
    rows = []
    for population, n in n_per_population.items():
        age, lam, log_sigma, log_sfr = centres[population]
        for _ in range(n):
            rows.append(
                {
                    "population": population,
                    "age_re": age + rng.normal(0, 0.05),
                    "lambda_re_true": lam + rng.normal(0, 0.03),
                    "log_mass": rng.normal(10.5, 0.05),
                    "log_sfr": log_sfr + rng.normal(0, 0.05),
                    "re_kpc": 10 ** rng.normal(0.5, 0.02),
                    "sigma_cen_true": 10 ** (log_sigma + rng.normal(0, 0.03)),
                    "zh_re": rng.normal(0, 0.02),
                    "grad_age": rng.normal(0, 0.02),
                    "grad_zh": rng.normal(0, 0.02),
                }
            )
    truth = pd.DataFrame(rows)
    truth["plateifu"] = [f"1000-{i}" for i in range(len(truth))]
    catalogue = pd.DataFrame(
        {
            "plateifu": truth["plateifu"],
            "n_fibres": rng.choice([19, 37, 61, 91, 127], len(truth)),
            "re_arcsec": rng.uniform(2, 10, len(truth)),
            "n_zero_pixels": rng.integers(1000, 5000, len(truth)),
            "coverage": rng.uniform(1.5, 2.5, len(truth)),
            "z": rng.uniform(0.01, 0.15, len(truth)),
            "rotation_angle": rng.uniform(0, 180, len(truth)),
        }
    )
    return truth, catalogue


def test_the_physics_row_clusters_the_true_physical_parameters():
    from manga_ssl.mock.validation import PHYSICS_ROW, representations_vs_truth

    # populations apart in four of the nine true parameters: K-means on the standardised
    # parameters recovers them (the other five are noise, standardised to the same scale)
    truth, catalogue = _constructed_truth({"star_forming_disc": 150, "quenched_fast_rotator": 100, "slow_rotator": 60})
    scores, probes = representations_vs_truth({}, {}, catalogue, truth, k=3, kmeans_seeds=[0, 1], n_init=4)
    physics = scores.set_index("representation").loc[PHYSICS_ROW]
    assert physics["n_runs"] == 2
    assert physics["ari"] > 0.95 and physics["nmi"] > 0.95
    # populations drawn independently of the physics: nothing for K-means to recover
    truth["population"] = np.random.default_rng(1).permutation(truth["population"].to_numpy())
    scores, _ = representations_vs_truth({}, {}, catalogue, truth, k=3, kmeans_seeds=[0], n_init=4)
    assert abs(scores.set_index("representation").loc[PHYSICS_ROW, "ari"]) < 0.05


def _labels(plateifu, divisions: dict) -> pd.DataFrame:
    """A labels table: {(k, replica, kmeans_seed): labels} in the galaxies' order."""
    return pd.concat(
        pd.DataFrame({"plateifu": plateifu, "k": k, "replica": r, "kmeans_seed": s, "label": labels})
        for (k, r, s), labels in divisions.items()
    )


def test_every_division_is_scored_against_the_true_division_with_as_many_groups(tmp_path):
    from manga_ssl.mock.validation import PHYSICS_ROW, divisions_vs_truth, write_divisions_table

    truth, catalogue = _constructed_truth({"star_forming_disc": 150, "quenched_fast_rotator": 100, "slow_rotator": 60})
    rng = np.random.default_rng(3)
    p = truth["plateifu"].to_numpy()
    early = truth["population"].ne("star_forming_disc").to_numpy().astype(int)
    populations = truth["population"].map({"slow_rotator": 5, "star_forming_disc": 8, "quenched_fast_rotator": 2})
    small_bundle = (catalogue["n_fibres"] <= 37).to_numpy().astype(int)
    paths = {
        # an individual-normalisation k=2 division that is early against late types, whatever the names
        "simclr-individual-all": _labels(p, {(2, r, s): (1 - early if r else early) for r in (0, 1) for s in (0, 1)}),
        # one that follows the bundle size, and a k=3 division that follows nothing
        "simclr-individual-all+bundle": _labels(
            p, {(2, 0, 0): small_bundle, (3, 0, 0): rng.integers(0, 3, len(p)), (4, 0, 0): rng.integers(0, 4, len(p))}
        ),
        # a baseline clustered only at k=3, into the populations; its galaxies in another order
        "pca1024-relative": _labels(p, {(3, 0, 0): populations.to_numpy()}).iloc[::-1],
    }
    for name, frame in paths.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
        paths[name] = tmp_path / f"{name}.parquet"
    # embedding tables: the baseline holds the early / late split in a small direction beside a
    # large one of noise; the individual h's two replicas are noise
    from manga_ssl.ssl.representations import write_representation

    noise = rng.normal(size=(len(p), 3))
    (tmp_path / "embeddings").mkdir()
    tables = {"pca1024-relative": [tmp_path / "embeddings/pca1024-relative.parquet"], "simclr-individual-all": []}
    write_representation(
        tables["pca1024-relative"][0], p, np.c_[10 * noise[:, :2], early + 0.05 * noise[:, 2]], "pc", {}
    )
    for seed in (0, 1):
        tables["simclr-individual-all"].append(tmp_path / f"embeddings/simclr-individual-all-seed{seed}.parquet")
        write_representation(tables["simclr-individual-all"][-1], p, rng.normal(size=(len(p), 4)), "h", {})
    scores = divisions_vs_truth(paths, catalogue, truth.iloc[::-1], kmeans_seeds=[0, 1], n_init=4, tables=tables)
    ari = scores.set_index(["representation", "k"])["ari"]
    probe = scores.drop_duplicates("representation").set_index("representation")
    assert probe.loc["pca1024-relative", "early_late_probe"] > 0.97  # held, though not where the variance is
    assert probe.loc["simclr-individual-all", "early_late_probe"] < 0.62  # the larger class: 0.516
    assert probe.loc["simclr-individual-all", "early_late_probe_n"] == 2
    assert probe.loc[PHYSICS_ROW, "early_late_probe"] > 0.97
    assert np.isnan(probe.loc["simclr-individual-all+bundle", "early_late_probe"])  # no tables given
    assert probe["early_late_majority"].dropna().to_numpy() == pytest.approx(160 / 310)
    assert ari[("simclr-individual-all", 2)] == pytest.approx(1.0)
    assert scores.set_index(["representation", "k"]).loc[("simclr-individual-all", 2), "n_runs"] == 4
    assert ari[("pca1024-relative", 3)] == pytest.approx(1.0)
    assert abs(ari[("simclr-individual-all+bundle", 2)]) < 0.05
    assert abs(ari[("simclr-individual-all+bundle", 3)]) < 0.05
    # no true division at k=4, no division of the baseline at k=2: no rows
    assert ("simclr-individual-all+bundle", 4) not in ari.index and ("pca1024-relative", 2) not in ari.index
    # K-means on the true physical parameters, at each k
    assert ari[(PHYSICS_ROW, 3)] > 0.95 and ari[(PHYSICS_ROW, 2)] > 0.95

    write_divisions_table(scores, tmp_path / "divisions")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "divisions.csv"), scores, check_dtype=False)
    md = (tmp_path / "divisions.md").read_text()
    assert "k=2: early vs late types; k=3: the three populations" in md
    header = next(line for line in md.splitlines() if line.startswith("| representation"))
    pca_row = next(line for line in md.splitlines() if line.startswith("| pca1024-relative"))
    cells = dict(zip([c.strip() for c in header.split("|")], [c.strip() for c in pca_row.split("|")]))
    assert cells["ARI k=2"] == "-"  # not clustered at k=2
    assert cells["ARI k=3"] in ("1.00 ± 0.00", "1.0 ± 0.0")
    assert "early/late probe" in md and "at most 2; the larger class: 0.516" in md

    # a galaxy of a division without a true population is named
    with pytest.raises(ValueError, match="no true population.*1000-0"):
        divisions_vs_truth(paths, catalogue, truth[truth["plateifu"] != "1000-0"], kmeans_seeds=[0], n_init=4)
