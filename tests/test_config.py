from pathlib import Path

import pytest
import yaml

from manga_ssl.core.config import ConfigError, channel_set_seeds, load_config, method_settings, validate_config

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


@pytest.mark.parametrize("name", ["config/config.yaml", "config/demo.yaml", "tests/config/tiny.yaml"])
def test_shipped_configs_are_valid(name):
    cfg = load_config(ROOT / name, SCHEMA)
    assert cfg["preprocessing"]["image_size"] == 32


def over_the_demo(overlay: str) -> dict:
    """The demo config with ``overlay`` laid over it as snakemake lays --configfile files, validated."""
    from snakemake.utils import update_config

    cfg = yaml.safe_load((ROOT / "config/demo.yaml").read_text())
    update_config(cfg, yaml.safe_load((ROOT / overlay).read_text()))
    return validate_config(cfg, SCHEMA)


def variant_set(cfg: dict) -> set:
    """A config's SimCLR variants as (normalisation, channels, method)."""
    return {(v["normalisation"], v["channels"], v.get("method", "paper")) for v in cfg["simclr"]["variants"]}


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "config" / "mocks").glob("*.yaml")))
def test_other_mock_surveys_are_valid_over_the_demo(name):
    """config/mocks/*.yaml are laid over the demo (--configfile config/demo.yaml <file>)."""
    overlay = yaml.safe_load((ROOT / "config/mocks" / name).read_text())
    assert set(overlay) == {"run_name", "survey"} and overlay["run_name"] != "demo"
    # the demo's survey size: a mock configuration changes the survey's draw, not its scale
    demo = load_config(ROOT / "config/demo.yaml", SCHEMA)
    assert over_the_demo(f"config/mocks/{name}")["survey"]["n_galaxies"] == demo["survey"]["n_galaxies"] == 3000


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "config" / "studies").glob("*.yaml")))
def test_study_configs_are_valid_over_the_demo_and_every_mock(name):
    """config/studies/*.yaml are laid over the demo, alone or after a config/mocks/*.yaml."""
    from snakemake.utils import update_config

    cfg = over_the_demo(f"config/studies/{name}")
    assert cfg["simclr"]["variants"]
    study = yaml.safe_load((ROOT / "config/studies" / name).read_text())
    for mock in sorted((ROOT / "config" / "mocks").glob("*.yaml")):
        layered = yaml.safe_load((ROOT / "config/demo.yaml").read_text())
        update_config(layered, yaml.safe_load(mock.read_text()))
        update_config(layered, study)
        validate_config(layered, SCHEMA)


def test_paper_and_erased_study_trains_only_the_papers_replicas():
    """The study scores the erased representation on another survey from the paper's replicas."""
    cfg = over_the_demo("config/studies/paper-and-erased.yaml")
    variants = variant_set(cfg)
    assert variants == {("relative", "all", "paper"), ("relative", "all", "erased")}
    assert method_settings(cfg["simclr"], "erased")["encoders_of"] == "paper"
    # the same erasure as the demo's
    demo = load_config(ROOT / "config/demo.yaml", SCHEMA)["simclr"]

    def erasure(simclr):
        return {k: v for k, v in method_settings(simclr, "erased").items() if k != "variants"}

    assert erasure(cfg["simclr"]) == erasure(demo)


def test_demo_with_footprint_study_adds_only_the_footprint_rows():
    """The study brings back the footprint method's rows over the demo's own replicas: the
    demo's variants unchanged, the footprint method and its erased encoders added."""

    demo = load_config(ROOT / "config/demo.yaml", SCHEMA)
    study = over_the_demo("config/studies/demo-with-footprint.yaml")
    assert study["run_name"] == demo["run_name"]
    assert variant_set(study) - variant_set(demo) == {
        ("relative", "all", "footprint"),
        ("relative", "all", "footprint_erased"),
    }
    assert variant_set(demo) < variant_set(study)
    assert method_settings(study["simclr"], "footprint_erased")["encoders_of"] == "footprint"
    # twice the paper's method's steps, as the footprint method was measured (section 17)
    assert method_settings(study["simclr"], "footprint")["epochs"] == 2 * demo["simclr"]["epochs"] == 20


def test_ten_replicas_study_extends_the_demos_replicas_to_the_papers_ten():
    """The study trains the paper's ten replicas (config/config.yaml's seeds) of the demo's
    own variants under the demo's run name, its seeds starting with the demo's, so the
    replicas already trained are reused."""
    demo = load_config(ROOT / "config/demo.yaml", SCHEMA)
    study = over_the_demo("config/studies/ten-replicas.yaml")
    paper = load_config(ROOT / "config/config.yaml", SCHEMA)
    assert study["run_name"] == demo["run_name"]
    assert study["simclr"]["seeds"] == paper["simclr"]["seeds"] and len(paper["simclr"]["seeds"]) == 10
    assert study["simclr"]["seeds"][: len(demo["simclr"]["seeds"])] == demo["simclr"]["seeds"]
    assert variant_set(study) < variant_set(demo)
    assert {key: v for key, v in study["simclr"].items() if key not in ("seeds", "variants")} == {
        key: v for key, v in demo["simclr"].items() if key not in ("seeds", "variants")
    }
    # the demo's further_away, trained for twice the paper's method's epochs
    assert method_settings(study["simclr"], "further_away")["epochs"] == 20
    assert study["simclr"]["epochs"] == 10


def test_science_run_is_the_demo_on_twice_the_galaxies_at_its_steps():
    """config/science.yaml is laid over the demo as snakemake lays config files (make science):
    the demo's survey draw and methods, twice the galaxies, the demo's optimisation steps, the
    paper's ten replicas of the variants the goals are scored on."""
    cfg = over_the_demo("config/science.yaml")
    demo = load_config(ROOT / "config/demo.yaml", SCHEMA)
    assert cfg["run_name"] == "science"
    assert cfg["survey"]["n_galaxies"] == 2 * demo["survey"]["n_galaxies"] == 6000
    assert {key: v for key, v in cfg["survey"].items() if key != "n_galaxies"} == {
        key: v for key, v in demo["survey"].items() if key != "n_galaxies"
    }

    def steps(c, method):  # optimisation steps of one replica (a partial batch is dropped)
        settings = method_settings(c["simclr"], method)
        return settings["epochs"] * (c["survey"]["n_galaxies"] // settings["batch_size"])

    for method in ("paper", "further_away", "erased"):
        assert abs(steps(cfg, method) - steps(demo, method)) <= 0.05 * steps(demo, method), method
        for key in ("conv_filters", "kernel_sizes", "projection_head", "batch_size", "temperature", "augmentations"):
            assert method_settings(cfg["simclr"], method)[key] == method_settings(demo["simclr"], method)[key]
    assert steps(cfg, "further_away") == 2 * steps(cfg, "paper")
    assert cfg["simclr"]["seeds"] == list(range(10))
    assert variant_set(cfg) == {
        ("relative", "all", "paper"),
        ("individual", "all", "paper"),
        ("individual", "all", "further_away"),
        ("relative", "all", "erased"),
    }


def test_paper_widths_study_is_the_recorded_science_run():
    """config/studies/paper-widths.yaml: `make science` of docs/science.md sections 10-42."""
    cfg = over_the_demo("config/studies/paper-widths.yaml")
    paper = load_config(ROOT / "config/config.yaml", SCHEMA)["simclr"]
    # the survey and training the science runs were recorded with (the demo's until section 31)
    assert cfg["run_name"] == "paper-widths" and cfg["survey"]["n_galaxies"] == 1000
    assert (cfg["simclr"]["epochs"], cfg["simclr"]["warmup_epochs"]) == (30, 3)
    for key in ("conv_filters", "kernel_sizes", "projection_head", "temperature"):
        assert cfg["simclr"][key] == paper[key]
    variants = variant_set(cfg)
    assert variants == {
        ("relative", "all", "paper"),
        ("individual", "all", "paper"),
        ("relative", "all", "footprint"),
        ("individual", "all", "further_away"),
        ("relative", "all", "erased"),
        ("relative", "all", "footprint_erased"),
    }
    # every scored variant at the paper's widths, the footprint method's too (the demo
    # trains that one at half the paper's widths)
    for method in ("paper", "footprint", "further_away"):
        settings = method_settings(cfg["simclr"], method)
        assert settings["conv_filters"] == paper["conv_filters"], method
        assert settings["projection_head"] == paper["projection_head"], method
    assert method_settings(cfg["simclr"], "footprint")["augmentations"]["p_footprint"] == 0.5
    assert method_settings(cfg["simclr"], "further_away")["augmentations"]["p_redshift"] == 0.5
    # the recorded science runs trained further_away for 30 epochs (of 1000 galaxies)
    assert method_settings(cfg["simclr"], "further_away")["epochs"] == 30
    # the erased footprint method embeds the science run's footprint encoders
    erased = method_settings(cfg["simclr"], "footprint_erased")
    assert erased["conv_filters"] == paper["conv_filters"] and erased["epochs"] == 30
    assert erased["erase_instrument"] == ["n_fibres", "re_arcsec"]


def test_paper_config_carries_the_paper_settings():
    cfg = load_config(ROOT / "config/config.yaml", SCHEMA)
    assert cfg["survey"]["n_galaxies"] == 9507
    assert cfg["survey"]["ifu_mix"] == [1099, 2235, 2235, 1122, 2816]
    assert cfg["simclr"]["batch_size"] == 1024 and cfg["simclr"]["epochs"] == 500
    assert len(cfg["simclr"]["seeds"]) == 10
    assert cfg["simclr"]["channel_set_replicas"] == 1  # "we train the SimCLR model" (Appendix A)
    assert cfg["simclr"]["conv_filters"] == [128, 256, 512, 1024]
    assert cfg["simclr"]["projection_head"] == [512, 128, 64]
    assert cfg["simclr"]["temperature"] == 0.5


def test_defaults_are_filled():
    cfg = validate_config({}, SCHEMA)
    assert cfg["dataset"] == "mock"
    assert cfg["preprocessing"]["sn_min"] == 3.0
    assert cfg["preprocessing"]["normalisations"] == ["relative", "individual"]


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match=r"'preprocessing\.sn_mni' is not a known setting"):
        validate_config({"preprocessing": {"sn_mni": 3}}, SCHEMA)


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match=r"config key 'survey\.n_galaxies': 'many' is not of type 'integer'"):
        validate_config({"survey": {"n_galaxies": "many"}}, SCHEMA)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as err:
        validate_config({"dataset": "sdss", "simclr": {"epochs": 0}}, SCHEMA)
    msg = str(err.value)
    assert "2 problem(s)" in msg and "'dataset'" in msg and "'simclr.epochs'" in msg


def test_config_readme_documents_every_key():
    schema = yaml.safe_load(SCHEMA.read_text())
    readme = (ROOT / "config" / "README.md").read_text()
    for key, sub in schema["properties"].items():
        assert f"`{key}`" in readme, key
        for inner in sub.get("properties", {}):
            assert f"`{key}.{inner}`" in readme, f"{key}.{inner}"


def test_channel_set_replicas_are_among_the_seeds_and_not_a_methods_setting():
    with pytest.raises(ConfigError, match=r"'simclr.channel_set_replicas': 3 replicas, but simclr.seeds has 2"):
        validate_config({"simclr": {"seeds": [0, 1], "channel_set_replicas": 3}}, SCHEMA)
    with pytest.raises(ConfigError, match=r"'simclr.methods.cold.channel_set_replicas' cannot be set per method"):
        validate_config({"simclr": {"methods": {"cold": {"channel_set_replicas": 2}}}}, SCHEMA)
    with pytest.raises(ConfigError, match=r"'simclr.channel_set_replicas': 0 is less than the minimum of 1"):
        validate_config({"simclr": {"channel_set_replicas": 0}}, SCHEMA)
    assert validate_config({"simclr": {"channel_set_replicas": None}}, SCHEMA)["simclr"]["channel_set_replicas"] is None
    # the first n of the seeds, in their order; None: every one; 1.0 passes the schema as an integer
    assert channel_set_seeds([3, 1, 2], 2) == [3, 1] and channel_set_seeds([3, 1, 2], None) == [3, 1, 2]
    assert channel_set_seeds([3, 1, 2], 1.0) == [3]


def test_explorer_representations_must_be_part_of_the_run():
    with pytest.raises(ConfigError, match="'simclr-relative-nope' is not a representation of this run"):
        validate_config({"explorer": {"representations": ["simclr-relative-nope"]}}, SCHEMA)
    # the baselines are clustered at the division studied too, whatever pca_k_values says
    validate_config(
        {
            "explorer": {"representations": ["pca1024-relative"]},
            "analysis": {"pca_k_values": [2, 3], "k_chosen": {"relative": 4}},
        },
        SCHEMA,
    )


def test_k_chosen_is_auto_or_a_k_that_is_clustered():
    cfg = validate_config({}, SCHEMA)
    assert cfg["analysis"]["k_chosen"] == {"relative": "auto", "individual": "auto"}
    assert cfg["analysis"]["k_fallback"] == {"relative": 3, "individual": 2}
    with pytest.raises(ConfigError, match="analysis.k_chosen.relative"):
        validate_config({"analysis": {"k_chosen": {"relative": "largest"}}}, SCHEMA)
    with pytest.raises(ConfigError, match="'analysis.k_fallback.individual': 9 is not in analysis.k_values"):
        validate_config({"analysis": {"k_values": [2, 3], "truth_k": 3, "k_fallback": {"individual": 9}}}, SCHEMA)
    with pytest.raises(ConfigError, match="analysis.k_rule"):
        validate_config({"analysis": {"k_rule": "mine"}}, SCHEMA)
    cfg = validate_config({"explorer": {"representations": ["pca1024-relative", "simclr-relative-all"]}}, SCHEMA)
    assert cfg["explorer"]["neighbours"] == 10


def test_goal_variants_study_trains_the_four_goal_variants_at_the_demos_settings():
    cfg = over_the_demo("config/studies/goal-variants.yaml")
    demo = load_config(ROOT / "config/demo.yaml", SCHEMA)
    assert variant_set(cfg) == {
        ("relative", "all", "paper"),
        ("individual", "all", "paper"),
        ("individual", "all", "further_away"),
        ("relative", "all", "erased"),
    }
    assert variant_set(cfg) <= variant_set(demo)
    assert cfg["simclr"]["methods"] == demo["simclr"]["methods"]  # further_away for the demo's 20 epochs


def test_augmented_views_are_an_embedding_setting_a_method_without_encoders_may_set():
    with pytest.raises(ConfigError, match=r"'simclr.augmented_views': -1 is less than the minimum of 0"):
        validate_config({"simclr": {"augmented_views": -1}}, SCHEMA)
    cfg = validate_config({"simclr": {"methods": {"views": {"encoders_of": "paper", "augmented_views": 4}}}}, SCHEMA)
    assert cfg["simclr"]["augmented_views"] == 0  # the paper's h
    assert method_settings(cfg["simclr"], "views")["augmented_views"] == 4
    # a training setting is not: that method trains nothing
    with pytest.raises(ConfigError, match=r"simclr.methods.views.*epochs"):
        validate_config({"simclr": {"methods": {"views": {"encoders_of": "paper", "epochs": 3}}}}, SCHEMA)
