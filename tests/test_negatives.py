"""Conditional negatives (beyond the paper): strata from catalogue columns, and training with them."""

import numpy as np
import pandas as pd
import pytest

from manga_ssl.ssl.negatives import column_strata, negative_strata


def catalogue(n=600, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "plateifu": [f"8000-{i}" for i in range(n)],
            "n_fibres": rng.choice([19, 37, 61, 91, 127], n),
            "z": rng.uniform(0.01, 0.15, n),
        }
    )


def test_bundle_sizes_are_categories_and_redshift_is_cut_into_equal_quantile_bins():
    cat = catalogue()
    bundle = column_strata(cat["n_fibres"], bins=3)
    for code, size in enumerate([19, 37, 61, 91, 127]):
        assert set(cat["n_fibres"][bundle == code]) == {size}
    z = column_strata(cat["z"], bins=3)
    assert np.bincount(z).tolist() == [200, 200, 200]
    assert cat["z"][z == 0].max() < cat["z"][z == 1].min() < cat["z"][z == 2].min()


def test_strata_are_the_combinations_of_the_columns():
    cat = catalogue()
    strata = negative_strata(cat, ["n_fibres", "z"], bins=3)
    assert len(np.unique(strata)) == 15
    # within a stratum, one bundle size and one redshift bin
    z = column_strata(cat["z"], bins=3)
    for s in np.unique(strata):
        assert cat["n_fibres"][strata == s].nunique() == 1 and len(set(z[strata == s])) == 1
    assert np.array_equal(negative_strata(cat, []), np.zeros(len(cat), int))


def test_missing_values_form_their_own_stratum_and_an_unknown_column_is_named():
    cat = catalogue()
    cat.loc[[3, 7], "z"] = np.nan
    strata = negative_strata(cat, ["z"], bins=2)
    assert strata[3] == strata[7] and (strata == strata[3]).sum() == 2
    # a column of names is a category too, missing names included
    names = column_strata(pd.Series(["a", "b", None, "a"], dtype=object), bins=3)
    assert names[0] == names[3] != names[1] and names[2] not in names[[0, 1, 3]]
    with pytest.raises(ValueError, match=r"\['n_fibre'\].*drpall\.parquet"):
        negative_strata(cat, ["n_fibre"], source="drpall.parquet")


def test_training_with_conditional_negatives_is_seeded_and_needs_the_strata():
    pytest.importorskip("keras")
    from manga_ssl.ssl.training import TrainingSettings, train_simclr
    from tests.test_training import TINY, same_weights, survey

    data = survey()
    settings = TrainingSettings(**{**TINY.__dict__, "negatives_within": ("n_fibres",)})
    with pytest.raises(ValueError, match="negatives_within"):
        train_simclr(data, settings, seed=2)
    strata = np.arange(len(data["maps"])) % 2
    enc_a, _, hist_a = train_simclr(data, settings, seed=2, strata=strata)
    enc_b, _, hist_b = train_simclr(data, settings, seed=2, strata=strata)
    enc_c, _, hist_c = train_simclr(data, TINY, seed=2)
    assert np.isfinite(hist_a["loss"]).all() and same_weights(enc_a, enc_b)
    # fewer negatives per view: a lower loss than the paper's on the same draws
    assert (hist_a["loss"] < hist_c["loss"]).all()
