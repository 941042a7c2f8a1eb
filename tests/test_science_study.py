"""The science study's scripts: bench/science_study.py (the projection head's layers it
scores), bench/division_anatomy.py (what a k-division holds, on constructed labels and
features), bench/replica_count.py, bench/study_tensors.py (the aperture in units of Re), bench/goals_table.py
(the goals read off a run's tables)."""

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _bench(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_set_option_sets_a_nested_simclr_key_to_its_yaml_value():
    """The study scripts' --set (bench/science_study.py, bench/replica_seeds.py)."""
    set_option = _bench("science_study").set_option
    simclr = {"epochs": 10, "augmentations": {"p_redshift": 0.5}}
    for assignment in ("epochs=20", "augmentations.p_footprint=0.5", "negatives_within=[coverage]"):
        set_option(simclr, assignment)
    assert simclr == {
        "epochs": 20,
        "augmentations": {"p_redshift": 0.5, "p_footprint": 0.5},
        "negatives_within": ["coverage"],
    }


def test_head_layer_outputs_run_h_through_the_head_to_z():
    from manga_ssl.ssl.model import build_projection_head

    head = build_projection_head(16, (8, 4, 2))
    h = np.random.default_rng(0).normal(size=(5, 16)).astype("float32")
    outputs = _bench("science_study")._head_layer_outputs(head, h)
    assert [o.shape for o in outputs] == [(5, 8), (5, 4), (5, 2)]
    # the first layer by hand: ELU(h W + b); the last is the head's own z
    kernel, bias = (np.asarray(w) for w in head.get_layer("dense1").weights)
    pre = h @ kernel + bias
    np.testing.assert_allclose(outputs[0], np.where(pre > 0, pre, np.expm1(pre)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs[-1], np.asarray(head(h)), rtol=1e-5, atol=1e-6)


def _survey(n=300, seed=0):
    rng = np.random.default_rng(seed)
    population = rng.choice(["star_forming_disc", "quenched_fast_rotator", "slow_rotator"], n, p=[0.6, 0.25, 0.15])
    truth = pd.DataFrame(
        {
            "plateifu": [f"1-{k}" for k in range(n)],
            "population": population,
            "age_re": np.where(population == "star_forming_disc", 9.0, 9.9) + rng.normal(0, 0.1, n),
            "lambda_re_true": np.where(population == "slow_rotator", 0.1, 0.6) + rng.normal(0, 0.05, n),
            "sigma_cen_true": np.where(population == "slow_rotator", 250.0, 120.0) * rng.lognormal(0, 0.1, n),
            "zh_re": rng.normal(0, 0.1, n),
            "z": rng.uniform(0.01, 0.1, n),
        }
    )
    return truth, rng


def test_composition_averages_the_matched_runs_and_medians_describe_the_clusters():
    a = _bench("division_anatomy")
    truth, _ = _survey()
    early = (truth["population"] != "star_forming_disc").astype(int).to_numpy()
    rows = []
    for replica in range(2):
        for kmeans_seed in range(3):
            label = early.copy()
            if replica == 1:
                label[:10] = 1 - label[:10]  # the second replica moves ten galaxies
            rows.append(
                pd.DataFrame(
                    {
                        "plateifu": truth["plateifu"],
                        "k": 2,
                        "replica": replica,
                        "kmeans_seed": kmeans_seed,
                        "label": label,
                    }
                )
            )
    labels = pd.concat(rows)
    table = a.composition(labels, truth, 2)
    assert np.isclose(table.to_numpy().sum(), len(truth))  # every galaxy once per run, averaged
    n_discs = (truth["population"] == "star_forming_disc").sum()
    moved_discs = (truth["population"][:10] == "star_forming_disc").sum()
    assert np.isclose(table.loc["star_forming_disc", 0], n_discs - moved_discs / 2)
    medians = a.cluster_medians(labels, truth, 2)
    assert medians.loc["age_re", 1] > medians.loc["age_re", 0] + 0.5  # the early types are older
    assert "log_mass" not in medians.index  # only the parameters the truth has


def test_early_type_probe_finds_the_split_a_representation_holds():
    from manga_ssl.mock.validation import EARLY_TYPES

    a = _bench("division_anatomy")
    truth, rng = _survey()
    population = truth["population"].to_numpy()
    holds = np.column_stack([truth["lambda_re_true"], rng.normal(size=(len(truth), 5))])
    lacks = rng.normal(size=(len(truth), 6))
    accuracy, floor = a.early_type_probe(holds, population)
    early = np.isin(population, EARLY_TYPES)
    share = (population[early] == "slow_rotator").mean()
    assert np.isclose(floor, max(share, 1 - share))
    assert accuracy > 0.97
    assert a.early_type_probe(lacks, population)[0] < floor + 0.08
    assert a.early_type_probe(a.true_physics(truth), population)[0] > 0.97


def test_replica_count_scores_every_subset_with_the_papers_threshold():
    """Ten replicas that agree up to a permutation of the names, except that replica 9 moves
    the first 100 of 1000 galaxies to another cluster: every subset of three that contains
    replica 9 scores 90% (all three must agree), every other one 100%; the ten together
    score 100% (nine of ten keep every galaxy), as the paper's threshold allows one outlier."""
    rc = _bench("replica_count")
    rng = np.random.default_rng(0)
    base = rng.integers(0, 3, 1000)
    replicas = []
    for r in range(10):
        lab = base.copy()
        if r == 9:
            lab[:100] = (lab[:100] + 1) % 3
        replicas.append(rng.permutation(3)[lab])
    labels = np.stack(replicas)
    threes = rc.subset_agreements(labels, 3, 3)
    assert len(threes) == 120
    with_9 = np.array([9 in s for s in itertools.combinations(range(10), 3)])
    np.testing.assert_allclose(threes[with_9], 0.9)
    np.testing.assert_allclose(threes[~with_9], 1.0)
    np.testing.assert_allclose(rc.subset_agreements(labels, 3, 10), [1.0])
    # the subsets in lexicographic order: the first is replicas 0-2, which replica 9 is not in,
    # and with replica 9 made replica 0 it is one of those that score 90%
    assert threes[0] == 1.0
    np.testing.assert_allclose(rc.subset_agreements(labels[::-1], 3, 3)[0], 0.9)
    # a long table back to (replicas, N), whatever the row order
    frame = pd.DataFrame(
        {
            "plateifu": np.tile([f"1-{i}" for i in range(1000)], 10),
            "k": 3,
            "replica": np.repeat(np.arange(10), 1000),
            "kmeans_seed": 0,
            "label": labels.ravel(),
        }
    ).sample(frac=1, random_state=1)
    ids, back = rc.replica_labels(frame, 3, 0)
    assert ids == list(range(10))
    order = np.argsort([f"1-{i}" for i in range(1000)])
    np.testing.assert_array_equal(back, labels[:, order])


def test_aperture_keeps_each_galaxy_within_the_same_number_of_its_own_re():
    study_tensors = _bench("study_tensors")
    shape = (2, 32, 32, 5)
    arrays = {
        "maps": np.ones(shape, np.float32),
        "errors": np.full(shape, 0.1, np.float32),
        "valid": np.ones(shape, bool),
        "model_variation": np.ones(shape, np.float32),
        "model_variation_valid": np.ones(shape, bool),
    }
    kept = study_tensors.within_aperture(arrays, np.array([2.0, 100.0]), 1.5)
    yy, xx = np.mgrid[0:32, 0:32]
    disc = np.hypot(yy - 15.5, xx - 15.5) <= 3.0  # 1.5 Re of 2 arcsec, 1-arcsec pixels
    for key in ("valid", "model_variation_valid"):
        assert np.array_equal(arrays[key][0, ..., 2], disc)
        assert arrays[key][1].all()  # a galaxy larger than the grid keeps everything
    assert np.array_equal(arrays["maps"][0, ..., 0] > 0, disc) and np.array_equal(arrays["errors"][0, ..., 4] > 0, disc)
    assert (arrays["model_variation"][0][~arrays["model_variation_valid"][0]] == 0).all()
    assert np.allclose(kept, [disc.sum() / 1024, 1.0])
    assert disc.sum() == 32  # the pixels whose centres lie within 3 pixels of a centre between pixels


def test_goals_table_reads_each_goal_off_the_runs_own_tables(tmp_path):
    import json

    goals_table = _bench("goals_table")
    run = tmp_path / "s7"
    (run / "tables").mkdir(parents=True)
    (run / "validation").mkdir()
    table1 = pd.DataFrame(
        [
            ("simclr-relative-all+erased", 2, 94.0, 75.0, 0.4),
            ("simclr-relative-all+erased", 3, 86.5, 81.0, 1.2),
            ("simclr-relative-all+erased", 4, 85.5, 82.0, 2.0),
            ("simclr-individual-all+further_away", 2, 90.0, 74.0, 7.5),
            ("simclr-relative-all", 3, 70.0, 74.0, 4.0),
            ("truth (mock)", 2, float("nan"), 70.0, 0.5),
            ("truth (mock)", 3, float("nan"), 80.0, 1.0),
        ],
        columns=["representation", "k", "agreement", "acc_max_nonphys", "acc_gain_nonphys"],
    )
    table1.to_csv(run / "tables" / "table1.csv", index=False)
    # accepted_k.json holds the largest accepted k (4 here), not whether k=3 is accepted
    accepted = {"paper": {"simclr-relative-all+erased": None}, "conditional": {"simclr-relative-all+erased": 4}}
    (run / "tables" / "accepted_k.json").write_text(json.dumps(accepted))
    # the erased h below PCA-1024 on six of the seven instrumental probes (z above)
    erased = {f"r2_{t}": 0.1 for t in goals_table.INSTRUMENTAL} | {"r2_z": 0.9}
    pca = {f"r2_{t}": 0.5 for t in goals_table.INSTRUMENTAL}
    probes = pd.DataFrame(
        [
            {"representation": "simclr-relative-all+erased", "k": 3, "ari": 0.7, **erased},
            {"representation": "pca1024-relative", "k": 3, "ari": 0.02, **pca},
            {"representation": "summary-relative", "k": 3, "ari": 0.42},
            {"representation": "true physical parameters", "k": 3, "ari": 0.9},
        ]
    )
    probes.to_csv(run / "validation" / "representations_vs_truth.csv", index=False)
    divisions = pd.DataFrame(
        [("simclr-individual-all+further_away", 2, 0.3), ("simclr-individual-all+further_away", 3, 0.1)],
        columns=["representation", "k", "ari"],
    )
    divisions.to_csv(run / "validation" / "divisions_vs_truth.csv", index=False)

    row = goals_table.goals(run)
    assert row["run"] == "s7"
    assert (row["erased agree"], row["erased ARI"], row["erased Acc_max"]) == (86.5, 0.7, 81.0)
    assert (row["truth Acc_max k=3"], row["truth Acc_max k=2"]) == (80.0, 70.0)
    assert row["erased probes < PCA"] == "6/7"
    assert row["erased accepted"] is True
    # further_away's k=2 is stable but adds 7.5 points beyond the physics: the conditional rule
    # (ΔAcc <= 5) rejects it
    assert row["further_away accepted"] is False
    assert (row["further_away ARI early/late"], row["further_away ΔAcc"]) == (0.3, 7.5)
    # a representation the run did not train is NaN, not an error
    assert np.isnan(row["paper individual k=2 agree"])
    assert row["paper's rule accepts any"] is False
