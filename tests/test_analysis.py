"""Clustering, agreement score and bias regression (paper Section 4.2): known answers."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from manga_ssl import analysis, bias, clustering


def test_permuted_labels_match_back_exactly_and_agree_fully():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 5, 2000).astype(np.int8)
    runs = [ref]
    for _ in range(9):
        perm = rng.permutation(5).astype(np.int8)
        matched = clustering.match_labels(perm[ref], ref, 5)
        assert np.array_equal(matched, ref)
        runs.append(matched)
    score, consensus = clustering.agreement_score(np.stack(runs))
    assert score == 1.0 and np.array_equal(consensus, ref)


@pytest.mark.parametrize("q", [0.02, 0.05, 0.1])
def test_random_reassignments_give_the_expected_agreement(q):
    rng = np.random.default_rng(1)
    n, k, runs = 20000, 3, 10
    ref = rng.integers(0, k, n).astype(np.int8)
    matched = [ref]
    for _ in range(runs - 1):
        lab = ref.copy()
        flip = rng.random(n) < q
        lab[flip] = rng.integers(0, k, flip.sum())
        perm = rng.permutation(k).astype(np.int8)  # K-means names clusters arbitrarily
        matched.append(clustering.match_labels(perm[lab], ref, k))
    score, _ = clustering.agreement_score(np.stack(matched), threshold=0.9)
    p_same = 1 - q + q / k
    expected = binom.sf(7, runs - 1, p_same)  # >= 8 of the 9 other runs keep the reference label
    assert abs(score - expected) < 0.01


def test_kmeans_on_separated_blobs_and_l2_normalisation():
    rng = np.random.default_rng(2)
    centres = np.eye(3, 16) * 10
    x = np.concatenate([c + rng.normal(size=(200, 16)) for c in centres])
    truth = np.repeat(np.arange(3), 200)
    lab = clustering.kmeans_labels(clustering.prepare(x, "simclr"), 3, seed=0)
    assert np.array_equal(clustering.match_labels(lab, truth.astype(np.int8), 3), truth)
    assert np.allclose(np.linalg.norm(clustering.prepare(x, "simclr"), axis=1), 1, atol=1e-6)
    assert np.array_equal(clustering.prepare(x, "pca1024"), x.astype(np.float32))


def test_compact_basis_keeps_distances():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 64))  # rank 6 in 64 dimensions
    y = analysis.compact_basis(x.astype(np.float32))
    assert y.shape[1] <= 7
    d = lambda a: np.linalg.norm(a[:50, None] - a[None, :50], axis=-1)  # noqa: E731
    assert np.allclose(d(x), d(y), rtol=1e-3, atol=1e-3)


def test_clusters_are_named_by_increasing_sigma():
    labels = np.array([2, 2, 0, 0, 1, 1], np.int8)
    sigma = np.array([300, 310, 50, 60, 150, 140.0])
    assert np.array_equal(clustering.order_by(labels, sigma, 3), [2, 2, 0, 0, 1, 1])
    assert np.array_equal(clustering.order_by(np.array([0, 0, 1, 1], np.int8), np.array([9, 9, 1, 1.0]), 2),
                          [1, 1, 0, 0])


def catalogue(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"plateifu": [f"1-{i}" for i in range(n)]})
    for col in bias.NON_PHYSICAL:
        frame[col] = rng.normal(size=n)
    frame["n_fibres"] = rng.choice([19, 37, 61, 91, 127], n)
    for col in ("sigma_cen", "re_kpc"):
        frame[col] = rng.lognormal(size=n)
    for col in ("age_lw_re", "lambda_re", "log_sfr", "zh_lw_re", "grad_zh_lw", "grad_age_lw"):
        frame[col] = rng.normal(size=n)
    return frame


def test_planted_instrumental_cluster_is_caught_and_random_one_is_not():
    cat = bias.derived_columns(catalogue())
    non_phys = bias.standardised(cat, bias.NON_PHYSICAL)
    planted = (cat["n_fibres"] == 127).to_numpy()
    acc, contrib = bias.cluster_fit(planted, non_phys, seed=0)
    assert acc > 0.97
    assert np.isclose(contrib.sum(), 100) and contrib[list(bias.NON_PHYSICAL).index("n_fibres")] > 60
    random = np.random.default_rng(5).random(len(cat)) < 0.3
    acc_random = np.mean([bias.cluster_fit(random, non_phys, seed=s)[0] for s in range(5)])
    assert abs(acc_random - 0.5) < 0.05


def test_division_bias_uses_the_largest_nonphysical_and_mean_physical_accuracy():
    cat = bias.derived_columns(catalogue())
    non_phys = bias.standardised(cat, bias.NON_PHYSICAL)
    phys = bias.standardised(cat, bias.PHYSICAL)
    labels = np.where(cat["n_fibres"] == 127, 1, 0).astype(np.int8)  # one instrumental cluster
    out = bias.division_bias(labels, 2, non_phys, phys, seed=0)
    assert out["acc_max_nonphys"] > 0.95 and out["acc_max_nonphys"] == out["acc_nonphys"].max()
    assert abs(out["acc_mean_phys"] - 0.5) < 0.08  # the physical parameters are unrelated here
    assert np.allclose(out["contributions"].sum(axis=1), 100)


def test_table1_columns_and_accepted_k(tmp_path):
    agreement = pd.DataFrame({"k": [2, 2, 3, 3, 4, 4], "kmeans_seed": [0, 1] * 3,
                              "agreement": [0.9, 0.92, 0.95, 0.93, 0.6, 0.62]})
    accuracy = pd.DataFrame({"k": [2, 2, 3, 3, 4, 4], "replica": [0, 1] * 3,
                             "acc_max_nonphys": [0.6, 0.62, 0.64, 0.6, 0.7, 0.7],
                             "acc_mean_phys": [0.9, 0.9, 0.88, 0.9, 0.8, 0.82]})
    table = analysis.division_performance(agreement, accuracy)
    assert list(table.columns) == ["k", "agreement", "agreement_std", "acc_max_nonphys", "acc_max_nonphys_std",
                                   "acc_mean_phys", "acc_mean_phys_std"]
    assert np.isclose(table.loc[table["k"] == 3, "agreement"].item(), 94.0)
    assert analysis.accepted_k(table) == 3
    agreement.to_csv(tmp_path / "a.csv", index=False), accuracy.to_csv(tmp_path / "b.csv", index=False)
    accepted = analysis.make_table1({"simclr-relative-all": (tmp_path / "a.csv", tmp_path / "b.csv")},
                                    tmp_path / "table1")
    assert accepted == {"simclr-relative-all": 3}
    md = (tmp_path / "table1.md").read_text()
    for column in ("N clusters", "% Agree", "Acc_max Non-phys", "Acc_mean Phys"):
        assert column in md
    assert "94 ± 1" in md
    assert r"\pm" in (tmp_path / "table1.tex").read_text()


def test_overlap_matrix_percentages():
    a = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2], np.int8)
    b = np.array([0, 0, 0, 1, 1, 1, 0, 1, 1, 1], np.int8)
    m = analysis.cross_overlap(a, b, 3, 2)
    assert np.allclose(m.sum(axis=1), 100)
    assert np.allclose(m[0], [75, 25]) and np.allclose(m[1], [0, 100])
    assert analysis.matched_overlap(a, np.array([1, 1, 1, 1, 0, 0, 2, 2, 2, 2], np.int8), 3) == 100.0


def test_linear_probe_recovers_a_linear_target_and_not_noise():
    from manga_ssl.probes import linear_probe_r2

    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 40)) * np.r_[np.full(5, 3.0), np.full(35, 0.1)]
    y = np.c_[x[:, 0] - 2 * x[:, 1] + 0.1 * rng.normal(size=600), rng.normal(size=600)]
    r2 = linear_probe_r2(x, y)
    assert r2[0] > 0.98 and r2[1] < 0.05
