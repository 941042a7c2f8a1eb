"""Training of SimCLR replicas: seeded, resumable, loud on NaN; PCA baselines; h tables."""

import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")

from manga_ssl.analysis.baselines import pca_baselines, standardise
from manga_ssl.ssl.model import embed
from manga_ssl.ssl.representations import read_representation, write_representation
from manga_ssl.ssl.tensors import load_tensors, select_channels
from manga_ssl.ssl.training import TrainingDiverged, TrainingSettings, train_simclr


class Killed(Exception):
    """Stands for the signal that kills a training job."""


class KilledAfter(keras.callbacks.Callback):
    """Kills the training at the end of an epoch, after the checkpoint of that epoch (if due)."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.epoch:
            raise Killed(epoch + 1)


CHANNELS = ("v_band_flux", "lw_log_age", "lw_metallicity", "stellar_velocity", "velocity_dispersion")
TINY = TrainingSettings(
    conv_filters=(4, 8),
    kernel_sizes=(3, 3),
    projection_head=(8, 4),
    batch_size=8,
    epochs=4,
    warmup_epochs=1,
    checkpoint_every=2,
)


def survey(n=24, size=16, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    r = np.hypot(xx, yy)
    scale = rng.uniform(2, 5, n)
    maps = np.exp(-r[None] / scale[:, None, None])[..., None] * rng.uniform(0.3, 1, (n, 1, 1, 5))
    maps = np.where(r[None, ..., None] < size / 2, maps, 0).astype(np.float32)
    return {
        "plateifu": np.array([f"1000-{i}" for i in range(n)]),
        "channels": np.array(CHANNELS),
        "normalisation": np.array("relative"),
        "maps": maps,
        "sigma": np.full_like(maps, 0.05),
        "model_variation": (maps * 0.9).astype(np.float32),
    }


def weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def same_weights(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(weights(a), weights(b)))


def test_same_seed_same_weights_other_seed_other_weights():
    data = survey()
    enc_a, _, hist_a = train_simclr(data, TINY, seed=3)
    enc_b, _, hist_b = train_simclr(data, TINY, seed=3)
    enc_c, _, _ = train_simclr(data, TINY, seed=4)
    assert same_weights(enc_a, enc_b)
    assert np.array_equal(hist_a["loss"], hist_b["loss"])
    assert not same_weights(enc_a, enc_c)
    assert list(hist_a.columns) == [
        "epoch",
        "loss",
        "wall_time_s",
        "galaxies_per_s",
        "probe_r2_physical",
        "probe_r2_instrumental",
    ]
    assert hist_a["probe_r2_physical"].isna().all()  # no probes asked for
    assert hist_a["epoch"].tolist() == [1, 2, 3, 4] and (hist_a["galaxies_per_s"] > 0).all()


class InitialWeights(keras.callbacks.Callback):
    """The encoder's weights before the first step."""

    def on_train_begin(self, logs=None):
        self.weights = weights(self.model.encoder)


def test_the_initial_weights_can_take_a_seed_of_their_own():
    """bench/replica_seeds.py: the start from one seed, the batches and views from another."""
    data, one_epoch = survey(), TrainingSettings(**{**TINY.__dict__, "epochs": 1})
    runs = {}
    variants = {"3": {"seed": 3}, "4": {"seed": 4}, "4 from 3": {"seed": 4, "weights_seed": 3}}
    variants["3 from 3"] = {"seed": 3, "weights_seed": 3}
    for name, seeds in variants.items():
        start = InitialWeights()
        encoder, _, history = train_simclr(data, one_epoch, callbacks=[start], **seeds)
        runs[name] = start.weights, encoder, history["loss"].iloc[-1]
    assert all(np.array_equal(a, b) for a, b in zip(runs["3"][0], runs["4 from 3"][0]))
    assert not all(np.array_equal(a, b) for a, b in zip(runs["4"][0], runs["4 from 3"][0]))
    # the same start, other batches and views: another replica
    assert not same_weights(runs["3"][1], runs["4 from 3"][1]) and runs["3"][2] != runs["4 from 3"][2]
    assert same_weights(runs["3"][1], runs["3 from 3"][1])  # its own seed: the replica itself


def test_killed_run_resumes_from_its_checkpoint_and_ends_like_an_uninterrupted_one(tmp_path):
    data = survey()
    enc_full, _, hist_full = train_simclr(data, TINY, seed=1)
    ckpt = tmp_path / "ckpt.npz"
    with pytest.raises(Killed):  # "killed" after epoch 3: the last checkpoint is epoch 2
        train_simclr(data, TINY, seed=1, checkpoint=ckpt, callbacks=[KilledAfter(3)])
    assert ckpt.exists()
    enc_resumed, _, hist_resumed = train_simclr(data, TINY, seed=1, checkpoint=ckpt)
    assert hist_resumed["epoch"].tolist() == [1, 2, 3, 4]
    assert np.allclose(hist_resumed["loss"], hist_full["loss"], rtol=1e-6)
    assert same_weights(enc_full, enc_resumed)


def test_checkpoint_of_other_settings_is_not_resumed(tmp_path):
    data = survey()
    ckpt = tmp_path / "ckpt.npz"
    with pytest.raises(Killed):
        train_simclr(data, TINY, seed=1, checkpoint=ckpt, callbacks=[KilledAfter(2)])
    other = TrainingSettings(**{**TINY.__dict__, "learning_rate": 0.01})
    _, _, hist = train_simclr(data, other, seed=1, checkpoint=ckpt)
    assert len(hist) == 4 and hist["wall_time_s"].notna().all()  # trained from epoch 1


def test_nan_loss_stops_with_a_clear_error():
    data = survey()
    data["maps"][3, 5, 5, 0] = np.nan
    with pytest.raises(TrainingDiverged, match="loss became nan"):
        train_simclr(data, TINY, seed=0)


def test_embedding_is_h_of_the_unaugmented_maps(tmp_path):
    data = survey()
    enc, _, _ = train_simclr(data, TrainingSettings(**{**TINY.__dict__, "epochs": 1}), seed=0)
    h = embed(enc, data["maps"], batch_size=5)
    assert h.shape == (24, 8) and h.dtype == np.float32
    # the compiled forward pass, as training runs it, in one batch
    assert np.allclose(h, np.asarray(enc.predict_on_batch(data["maps"])), atol=1e-6)
    path = tmp_path / "h.parquet"
    write_representation(path, data["plateifu"], h, "h", {"kind": "simclr", "representation": "h"})
    ids, back, meta = read_representation(path)
    assert list(ids) == list(data["plateifu"]) and np.array_equal(back, h) and meta["kind"] == "simclr"
    assert pd.read_parquet(path).columns[1] == "h_0000"


def test_channel_sets_select_by_name(tmp_path):
    data = survey()
    sub = select_channels(data, ["stellar_velocity", "v_band_flux"])
    assert sub["maps"].shape[-1] == 2 and np.array_equal(sub["maps"][..., 1], data["maps"][..., 0])
    with pytest.raises(ValueError, match="unknown channel"):
        select_channels(data, ["halpha"])
    np.savez(tmp_path / "tensors.npz", **data)  # read back: the channels asked for, else all it holds
    assert list(load_tensors(tmp_path / "tensors.npz", ["lw_log_age"])["channels"]) == ["lw_log_age"]
    every = load_tensors(tmp_path / "tensors.npz")
    assert list(every["channels"]) == list(CHANNELS) and np.array_equal(every["maps"], data["maps"])


def test_pca_baselines_known_structure():
    rng = np.random.default_rng(0)
    n = 300
    # three independent patterns with variances 9, 4, 1, plus tiny noise
    patterns = rng.normal(size=(3, 8, 8, 2))
    coef = rng.normal(size=(n, 3)) * [3, 2, 1]
    maps = np.einsum("nk,kxyc->nxyc", coef, patterns) + 1e-3 * rng.normal(size=(n, 8, 8, 2))
    out = pca_baselines(maps, n_components=1024, n_small=10)
    big, ratio = out["pca1024"]
    assert big.shape == (n, 128)  # as many components as the data allow (8*8*2 < 1024)
    assert ratio[:3].sum() > 0.999
    small, _ = out["pca10"]
    assert small.shape == (n, 10)
    assert np.allclose(small.mean(axis=0), 0, atol=1e-5) and np.allclose(small.std(axis=0), 1, atol=1e-4)
    assert np.allclose(standardise(np.ones((5, 2))), 0)


def test_a_few_epochs_lower_the_loss():
    data = survey(n=48)
    s = TrainingSettings(**{**TINY.__dict__, "epochs": 12, "learning_rate": 3e-3})
    _, _, hist = train_simclr(data, s, seed=0)
    assert hist["loss"].iloc[-3:].mean() < hist["loss"].iloc[:2].mean() - 0.05


def test_online_probes_fill_the_history_and_never_change_the_training():
    from dataclasses import replace

    data = survey(n=40)
    # a "physical" target the maps carry (their amplitude) and an "instrumental" pure-noise one
    amplitude = data["maps"][:, 8, 8, 1]
    noise = np.random.default_rng(0).normal(size=40)
    targets = (np.column_stack([amplitude, noise]), [("amp", "physical"), ("noise", "instrumental")])
    settings = replace(TINY, epochs=5, probe_every=2)
    enc_a, _, hist_a = train_simclr(data, settings, seed=2, probe_targets=targets)
    enc_b, _, hist_b = train_simclr(data, settings, seed=2)
    assert all(np.array_equal(a, b) for a, b in zip(weights(enc_a), weights(enc_b)))
    assert np.array_equal(hist_a["loss"], hist_b["loss"])
    probed = hist_a.dropna(subset=["probe_r2_physical"])["epoch"].tolist()
    assert probed == [2, 4, 5]  # every probe_every epochs and the last
    assert (hist_a["probe_r2_physical"].dropna() > hist_a["probe_r2_instrumental"].dropna()).all()
    assert (hist_a["probe_r2_instrumental"].dropna() < 0.2).all()


def test_summary_statistics_are_footprint_and_centre_means():
    from manga_ssl.analysis.baselines import summary_statistics

    maps = np.zeros((3, 16, 16, 2), np.float32)
    maps[:, 4:12, 4:12, 0] = np.array([1.0, 2.0, 3.0])[:, None, None]  # footprint 8x8, constant
    maps[:, 4:12, 4:12, 1] = 0.5
    maps[:, 5:11, 5:11, 1] = np.array([1.0, 3.0, 5.0])[:, None, None]  # the central 6x6 differs
    f = summary_statistics(maps)
    assert f.shape == (3, 4)
    raw_centre = np.array([1.0, 3.0, 5.0])
    raw_mean = (0.5 * 28 + raw_centre * 36) / 64
    for col, raw in ((0, [1.0, 2.0, 3.0]), (1, raw_mean), (3, raw_centre)):
        expected = (raw - np.mean(raw)) / np.std(raw)
        assert np.allclose(f[:, col], expected, atol=1e-5)
    assert np.allclose(f[:, 2], f[:, 0], atol=1e-5)  # the centre of channel 0 is its constant value
