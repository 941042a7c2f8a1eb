"""The representation names: one format, parsed back to what made it."""

import re

import pytest

from manga_ssl.core.config import method_settings
from manga_ssl.core.names import REPRESENTATION_PATTERN, VARIANT_TAG_PATTERN, Representation, split_tag


@pytest.mark.parametrize(
    "name, kind, norm, channels, method",
    [
        ("simclr-relative-all", "simclr", "relative", "all", "paper"),
        ("simclr-individual-no_vband", "simclr", "individual", "no_vband", "paper"),
        ("simclr-relative-all+footprint", "simclr", "relative", "all", "footprint"),
        ("pca1024-relative", "pca1024", "relative", "all", "paper"),
        ("pca10-individual", "pca10", "individual", "all", "paper"),
        ("summary-relative", "summary", "relative", "all", "paper"),
    ],
)
def test_round_trip(name, kind, norm, channels, method):
    rep = Representation.parse(name)
    assert (rep.kind, rep.normalisation, rep.channels, rep.method) == (kind, norm, channels, method)
    assert str(rep) == name
    assert re.fullmatch(REPRESENTATION_PATTERN, name)


def test_variant_and_tag():
    rep = Representation.simclr({"normalisation": "relative", "channels": "all", "method": "footprint"})
    assert rep.tag == "all+footprint" and split_tag(rep.tag) == ("all", "footprint")
    assert split_tag("no_vband") == ("no_vband", "paper")
    assert re.fullmatch(VARIANT_TAG_PATTERN, rep.tag) and not re.fullmatch(VARIANT_TAG_PATTERN, "all-x")
    assert str(Representation.simclr({"normalisation": "individual", "channels": "all"})) == "simclr-individual-all"


@pytest.mark.parametrize("bad", ["simclr-relative", "pca5-relative", "simclr-sideways-all", "summary-all"])
def test_bad_names_say_what_is_expected(bad):
    with pytest.raises(ValueError, match="not a representation name"):
        Representation.parse(bad)


def test_method_overrides_merge_key_by_key():
    simclr = {
        "epochs": 30,
        "augmentations": {"p_noise": 0.5, "p_blur": 0.5},
        "methods": {"fp": {"epochs": 60, "augmentations": {"p_footprint": 0.5}}},
    }
    merged = method_settings(simclr, "fp")
    assert merged["epochs"] == 60 and "methods" not in merged
    assert merged["augmentations"] == {"p_noise": 0.5, "p_blur": 0.5, "p_footprint": 0.5}
    assert method_settings(simclr, "paper") is simclr


def test_tables_are_grouped_by_their_whole_representation_name():
    from manga_ssl.core.names import representation_of_table, tables_by_representation

    # two replicas of the paper's method and of a method whose name extends it, as the tiny
    # run has them: a prefix match would give the paper's method three or four tables
    paths = [
        "results/tiny/embeddings/simclr-relative-all-seed0.parquet",
        "results/tiny/embeddings/simclr-relative-all-seed1.parquet",
        "results/tiny/embeddings/simclr-relative-all+footprint-seed0.parquet",
        "results/tiny/embeddings/simclr-relative-all+footprint-seed1.parquet",
        "results/tiny/embeddings/pca1024-relative.parquet",
        "results/tiny/embeddings/simclr-relative-all-seed10.parquet",
    ]
    grouped = tables_by_representation(
        paths, ["simclr-relative-all", "simclr-relative-all+footprint", "pca1024-relative"]
    )
    assert grouped["simclr-relative-all"] == [paths[0], paths[1], paths[5]]
    assert grouped["simclr-relative-all+footprint"] == paths[2:4]
    assert grouped["pca1024-relative"] == [paths[4]]
    assert representation_of_table(paths[3]) == "simclr-relative-all+footprint"
    with pytest.raises(ValueError, match="'catalogue' is not a representation name"):
        representation_of_table("results/tiny/catalogue.parquet")
