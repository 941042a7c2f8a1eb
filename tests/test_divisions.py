"""The division studied (analysis.k_chosen): the paper's criterion, the loud fallback, an override."""

import json

import pandas as pd
import pytest

from manga_ssl.analysis.divisions import choose_divisions, read_divisions, summary, with_division_studied


def write_performance(folder, name, agreement: dict, nonphys: dict, gain: dict):
    """agreement.csv (fractions, two K-means seeds) and accuracy.csv (fractions) per k."""
    agree = pd.DataFrame(
        [
            {"representation": name, "k": k, "kmeans_seed": s, "agreement": a + d}
            for k, a in agreement.items()
            for s, d in ((0, 0.005), (1, -0.005))
        ]
    )
    acc = pd.DataFrame(
        [
            {
                "representation": name,
                "k": k,
                "replica": 0,
                "kmeans_seed": s,
                "acc_max_nonphys": nonphys[k],
                "acc_mean_phys": 0.9,
                "acc_gain_nonphys": gain[k],
                "acc_max_nonphys_oriented": nonphys[k],
                "lr_nonphys": 0.0,
                "lr_pvalue_min": 1.0,
            }
            for k in agreement
            for s in (0, 1)
        ]
    )
    paths = folder / f"{name}-agreement.csv", folder / f"{name}-accuracy.csv"
    agree.to_csv(paths[0], index=False)
    acc.to_csv(paths[1], index=False)
    return tuple(map(str, paths))


@pytest.fixture
def performance(tmp_path):
    # relative: k = 2 and 3 pass the paper's rule, 4 is not reproducible
    rel = write_performance(
        tmp_path,
        "simclr-relative-all",
        {2: 0.95, 3: 0.90, 4: 0.60},
        {2: 0.60, 3: 0.62, 4: 0.60},
        {2: 0.0, 3: 0.01, 4: 0.0},
    )
    # individual: reproducible at k = 2 and 3 but predicted from the instrument (paper's rule fails);
    # the conditional rule accepts k = 2 (small gain), not 3
    ind = write_performance(
        tmp_path,
        "simclr-individual-all",
        {2: 0.92, 3: 0.88, 4: 0.5},
        {2: 0.80, 3: 0.85, 4: 0.9},
        {2: 0.02, 3: 0.12, 4: 0.2},
    )
    return {"relative": rel, "individual": ind}


def test_auto_takes_the_largest_accepted_k_and_falls_back_loudly(performance, tmp_path):
    out = tmp_path / "divisions.json"
    chosen = choose_divisions(
        performance, {"relative": "auto", "individual": "auto"}, {"relative": 3, "individual": 2}, "paper", out
    )
    assert chosen["relative"]["k"] == 3 and chosen["relative"]["how"] == "accepted"
    assert chosen["individual"]["k"] == 2 and chosen["individual"]["how"] == "fallback"
    assert chosen["individual"]["note"].startswith("FALLBACK") and "did not accept" in chosen["individual"]["note"]
    assert json.loads(out.read_text()) == chosen
    divisions = read_divisions(out)
    assert divisions["relative"].k == 3 and "FALLBACK" in summary(divisions)
    assert "FALLBACK" not in divisions["relative"].note


def test_the_conditional_rule_and_an_explicit_k(performance, tmp_path):
    chosen = choose_divisions(
        performance,
        {"relative": 2, "individual": "auto"},
        {"relative": 3, "individual": 3},
        "conditional",
        tmp_path / "d.json",
    )
    assert (chosen["relative"]["k"], chosen["relative"]["how"]) == (2, "configured")
    assert (chosen["individual"]["k"], chosen["individual"]["how"]) == (2, "accepted")
    assert "conditional rule" in chosen["individual"]["note"]


def test_a_normalisation_without_its_paper_representation_falls_back(performance, tmp_path):
    chosen = choose_divisions(
        {"relative": performance["relative"]},
        {"relative": "auto", "individual": "auto"},
        {"relative": 3, "individual": 2},
        "paper",
        tmp_path / "d.json",
    )
    assert chosen["individual"]["how"] == "fallback" and "not trained" in chosen["individual"]["note"]


def test_baselines_and_channel_sets_are_clustered_at_the_division_studied(performance, tmp_path):
    out = tmp_path / "d.json"
    choose_divisions(performance, {"relative": "auto", "individual": 4}, {"relative": 3, "individual": 2}, "paper", out)
    assert with_division_studied([2, 3], out, "pca1024-relative") == [2, 3]
    assert with_division_studied([], out, "simclr-individual-no_vband") == [4]
    assert with_division_studied([2, 5], out, "simclr-relative-vband_kinematics") == [2, 3, 5]
