"""Linear erasure of the instrument from h (beyond the paper): known answers on constructed
representations, the concept from catalogue columns, and the config of a method that embeds
another method's encoders."""

import numpy as np
import pandas as pd
import pytest

from manga_ssl.analysis.probes import linear_probe_r2
from manga_ssl.ssl.erasure import apply_erasure, erase_linear, erasure, instrument_concept


def survey(n=800, dims=32, seed=0):
    """A catalogue where the selection ties the redshift to the mass, and an h that holds
    the mass, an independent physical parameter and the redshift's own scatter."""
    rng = np.random.default_rng(seed)
    mass = rng.normal(10.5, 0.6, n)
    age = rng.normal(0, 1, n)
    scatter = rng.normal(0, 1, n)
    z = 0.05 + 0.02 * (mass - 10.5) / 0.6 + 0.01 * scatter
    catalogue = pd.DataFrame({"plateifu": [f"8000-{i}" for i in range(n)], "log_mass": mass, "z": z, "age": age})
    mixing = rng.normal(size=(3, dims))
    h = np.column_stack([(mass - 10.5) / 0.6, age, scatter]) @ mixing + 0.1 * rng.normal(size=(n, dims))
    return catalogue, h


def test_erasure_leaves_no_linear_trace_of_the_concept_and_changes_nothing_else():
    catalogue, h = survey()
    concept = instrument_concept(catalogue, ["z"])
    erased = erase_linear(h, concept)
    assert erased.dtype == np.float32
    covariance = (erased - erased.mean(0)).T @ (concept - concept.mean(0))
    assert np.abs(covariance).max() < 1e-3
    assert linear_probe_r2(erased, catalogue[["z"]].to_numpy())[0] < 0.05
    # one direction removed (one column): the change has rank 1
    assert np.linalg.matrix_rank(h - erased, tol=1e-3) == 1
    # a direction uncorrelated with the concept is kept: the age is still read
    assert linear_probe_r2(erased, catalogue[["age"]].to_numpy())[0] > 0.95
    # erasing twice is erasing once
    np.testing.assert_allclose(erase_linear(erased, concept), erased, atol=1e-4)
    # the survey's erasure applied to galaxies one at a time (as placing new galaxies does)
    mean, basis = erasure(h, concept)
    assert basis.shape == (h.shape[1], 1)
    one_by_one = np.vstack([apply_erasure(row[None], mean, basis) for row in h[:5]])
    np.testing.assert_allclose(one_by_one, erased[:5], atol=1e-5)


def test_given_the_physics_only_the_instruments_own_scatter_is_erased():
    catalogue, h = survey()
    plain = erase_linear(h, instrument_concept(catalogue, ["z"]))
    given = erase_linear(h, instrument_concept(catalogue, ["z"], given=["log_mass"]))
    r2 = lambda x, col: linear_probe_r2(x, catalogue[[col]].to_numpy())[0]  # noqa: E731
    # without `given`, erasing z takes the mass with it (the selection ties them)
    assert r2(plain, "log_mass") < 0.6 < r2(h, "log_mass")
    # given the mass, the mass stays and z is read only through it (R^2 of z from the mass: 0.8)
    assert r2(given, "log_mass") > 0.95
    assert abs(r2(given, "z") - np.corrcoef(catalogue["z"], catalogue["log_mass"])[0, 1] ** 2) < 0.05
    residual = linear_probe_r2(given, catalogue[["z"]].to_numpy(), given=catalogue[["log_mass"]].to_numpy())[0]
    assert (
        residual < 0.05 < linear_probe_r2(h, catalogue[["z"]].to_numpy(), given=catalogue[["log_mass"]].to_numpy())[0]
    )


def test_the_concept_is_standardised_and_missing_columns_are_named():
    catalogue, _ = survey()
    concept = instrument_concept(catalogue, ["z", "age"])
    np.testing.assert_allclose(concept.mean(0), 0, atol=1e-9)
    np.testing.assert_allclose(concept.std(0), 1, atol=1e-9)
    given = instrument_concept(catalogue, ["z"], given=["log_mass"])
    assert abs(np.corrcoef(given[:, 0], catalogue["log_mass"])[0, 1]) < 1e-9
    catalogue.loc[3, "z"] = np.nan
    assert instrument_concept(catalogue, ["z"])[3, 0] == 0.0  # a missing value sits at the mean
    with pytest.raises(ValueError, match=r"erase_instrument names \['redshift'\].*catalogue\.parquet"):
        instrument_concept(catalogue, ["redshift"], source="catalogue.parquet")
    with pytest.raises(ValueError, match=r"erase_given names \['mass'\]"):
        instrument_concept(catalogue, ["z"], given=["mass"])
    catalogue["age"] = np.nan
    with pytest.raises(ValueError, match=r"no known value of \['age'\]"):
        instrument_concept(catalogue, ["age"])
    with pytest.raises(ValueError, match="rows"):
        erase_linear(np.zeros((5, 3)), np.zeros((4, 1)))


def config_with(methods, variants):
    return {"simclr": {"methods": methods, "variants": variants}}


def test_a_method_that_embeds_another_methods_encoders_inherits_its_settings_and_trains_nothing():
    from manga_ssl.core.config import ConfigError, encoders_method, method_settings, validate_config
    from tests.test_config import SCHEMA

    methods = {
        "footprint": {"augmentations": {"p_footprint": 0.5}, "dihedral_average": True, "epochs": 60},
        "footprint_erased": {"encoders_of": "footprint", "erase_instrument": ["n_fibres"]},
    }
    variants = [{"normalisation": "relative", "channels": "all", "method": m} for m in ("paper", *methods)]
    cfg = validate_config(config_with(methods, variants), SCHEMA)
    merged = method_settings(cfg["simclr"], "footprint_erased")
    assert merged["epochs"] == 60 and merged["dihedral_average"] is True
    assert merged["augmentations"]["p_footprint"] == 0.5 and merged["erase_instrument"] == ["n_fibres"]
    assert encoders_method(cfg["simclr"], "footprint_erased") == "footprint"
    assert encoders_method(cfg["simclr"], "footprint") == "footprint"
    bad = {**methods, "footprint_erased": {**methods["footprint_erased"], "epochs": 10}}
    with pytest.raises(ConfigError, match=r"simclr\.methods\.footprint_erased\.epochs change the training"):
        validate_config(config_with(bad, variants), SCHEMA)
    bad = {**methods, "footprint_erased": {"encoders_of": "nowhere", "erase_instrument": ["z"]}}
    with pytest.raises(ConfigError, match=r"encoders_of': 'nowhere' is not 'paper' or a method"):
        validate_config(config_with(bad, variants), SCHEMA)
