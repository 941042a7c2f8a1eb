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
    # as many erased terms as h has dimensions: nothing of h would be left
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="terms span all 3 dimensions of h"):
        erase_linear(rng.normal(size=(50, 3)), rng.normal(size=(50, 4)))


def bundles(n=900, dims=32, seed=1):
    """A survey observed through the five bundle sizes, and three imprints of the bundle on h
    that erasing the number of fibres linearly misses: the 61-fibre bundle's own offset (not
    in proportion to the number of fibres), and the bundle times the age (its sign flips
    with the age)."""
    rng = np.random.default_rng(seed)
    n_fibres = rng.choice([19, 37, 61, 91, 127], n)
    mass, age = rng.normal(size=n), rng.normal(size=n)
    catalogue = pd.DataFrame(
        {"plateifu": [f"9000-{i}" for i in range(n)], "n_fibres": n_fibres, "log_mass": mass, "age": age}
    )
    imprints = {
        "bundle61": (n_fibres == 61).astype(float),
        "bundle_x_age": (n_fibres - n_fibres.mean()) / n_fibres.std() * age,
    }

    def h_of(*signals):
        columns = np.column_stack([mass, age, *signals])
        return columns @ rng.normal(size=(columns.shape[1], dims)) + 0.05 * rng.normal(size=(n, dims))

    return catalogue, imprints, h_of


def test_a_bundle_size_erased_as_a_category_takes_its_own_imprint_with_it():
    catalogue, imprints, h_of = bundles()
    h = h_of(imprints["bundle61"])
    r2 = lambda x, y: linear_probe_r2(x, np.asarray(y, float)[:, None])[0]  # noqa: E731
    # 61 fibres sit mid-range: as a number, the bundle size covaries little with that imprint,
    linear = erase_linear(h, instrument_concept(catalogue, ["n_fibres"], given=["log_mass", "age"]))
    # most of which stays
    assert r2(linear, imprints["bundle61"]) > 0.7
    concept = instrument_concept(catalogue, ["n_fibres"], given=["log_mass", "age"], categorical=["n_fibres"])
    assert concept.shape == (len(catalogue), 5)  # one indicator per bundle size
    erased = erase_linear(h, concept)
    assert r2(erased, imprints["bundle61"]) < 0.05
    assert r2(erased, catalogue["n_fibres"] == 127) < 0.05  # nor any other bundle size
    # the physics stays: four of 32 directions go, all along the bundles
    assert min(r2(erased, catalogue[c]) for c in ("log_mass", "age")) > 0.95
    assert np.linalg.matrix_rank(h - erased, tol=1e-3) == 4


def test_interactions_erase_an_imprint_that_depends_on_the_physics():
    catalogue, imprints, h_of = bundles()
    h = h_of(imprints["bundle_x_age"])
    r2 = lambda x, y: linear_probe_r2(x, np.asarray(y, float)[:, None])[0]  # noqa: E731
    given = ["log_mass", "age"]
    # the bundle times the age is uncorrelated with the bundle: a plain erasure leaves it
    plain = erase_linear(h, instrument_concept(catalogue, ["n_fibres"], given=given))
    assert r2(plain, imprints["bundle_x_age"]) > 0.9
    concept = instrument_concept(catalogue, ["n_fibres"], given=given, interactions=True)
    assert concept.shape == (len(catalogue), 3)  # the bundle, times the mass, times the age
    erased = erase_linear(h, concept)
    assert r2(erased, imprints["bundle_x_age"]) < 0.05
    assert min(r2(erased, catalogue[c]) for c in given) > 0.95
    # with the bundle sizes as categories too: five indicators, each also times each column
    both = instrument_concept(catalogue, ["n_fibres"], given=given, categorical=["n_fibres"], interactions=True)
    assert both.shape == (len(catalogue), 15)
    assert r2(erase_linear(h, both), imprints["bundle_x_age"]) < 0.05


def test_categories_and_interactions_are_checked():
    catalogue, _, _ = bundles(n=60)
    with pytest.raises(ValueError, match=r"erase_categorical names \['ifu'\], which simclr.erase_instrument does not"):
        instrument_concept(catalogue, ["n_fibres"], categorical=["ifu"])
    with pytest.raises(ValueError, match="erase_interactions.*needs simclr.erase_given"):
        instrument_concept(catalogue, ["n_fibres"], interactions=True)
    with pytest.raises(ValueError, match=r"log_mass has 60 distinct values in cat\.parquet.*erase it as a number"):
        instrument_concept(catalogue, ["log_mass"], categorical=["log_mass"], source="cat.parquet")
    # one bundle size in the whole survey: nothing to erase, nothing changes
    catalogue["n_fibres"] = 127
    h = np.random.default_rng(0).normal(size=(60, 8))
    concept = instrument_concept(catalogue, ["n_fibres"], categorical=["n_fibres"])
    np.testing.assert_allclose(erase_linear(h, concept), h, atol=1e-6)
    # a galaxy without a bundle size sits at the mean of every indicator
    catalogue.loc[:29, "n_fibres"], catalogue.loc[5, "n_fibres"] = 19, np.nan
    assert np.all(instrument_concept(catalogue, ["n_fibres"], categorical=["n_fibres"])[5] == 0)


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
    bad = {**methods, "footprint_erased": {**methods["footprint_erased"], "erase_categorical": ["re_arcsec"]}}
    with pytest.raises(ConfigError, match=r"footprint_erased\.erase_categorical' names \['re_arcsec'\]"):
        validate_config(config_with(bad, variants), SCHEMA)
    bad = {**methods, "footprint_erased": {**methods["footprint_erased"], "erase_interactions": True}}
    with pytest.raises(ConfigError, match=r"erase_interactions' .* 'simclr\.methods\.footprint_erased\.erase_given"):
        validate_config(config_with(bad, variants), SCHEMA)
