"""The same Keras code under JAX (what GPU machines without TensorFlow run)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent("""
    import numpy as np, keras
    assert keras.backend.backend() == "jax", keras.backend.backend()
    from manga_ssl.ssl.model import embed, nt_xent
    from manga_ssl.ssl.training import TrainingSettings, train_simclr
    from tests.test_model import nt_xent_reference
    from tests.test_training import Killed, KilledAfter, survey

    z = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    assert np.isclose(float(nt_xent(z, 0.5)), nt_xent_reference(z.astype(np.float64), 0.5), rtol=1e-4)

    data = survey()
    s = TrainingSettings(conv_filters=(4, 8), kernel_sizes=(3, 3), projection_head=(8, 4), batch_size=8,
                         epochs=4, warmup_epochs=1, checkpoint_every=2)
    enc, _, hist = train_simclr(data, s, seed=2)
    enc2, _, hist2 = train_simclr(data, s, seed=2)
    assert np.array_equal(hist["loss"], hist2["loss"]), "same seed, same run under JAX"
    try:
        train_simclr(data, s, seed=2, checkpoint="{ckpt}", callbacks=[KilledAfter(3)])
    except Killed:
        pass
    enc3, _, hist3 = train_simclr(data, s, seed=2, checkpoint="{ckpt}")
    assert np.allclose(hist3["loss"], hist["loss"], rtol=1e-5), (hist3, hist)
    h = embed(enc3, data["maps"])
    assert h.shape == (24, 8) and np.isfinite(h).all()
    # The redshift re-observation (beyond the paper) under JAX: the known width of a
    # Gaussian galaxy moved to 0.6 of its size through the same PSF (test_augmentations).
    from manga_ssl.ssl.augmentations import AugmentationSettings, augment_view, footprint_radius
    g = np.arange(32) - 15.5
    r2 = g[:, None] ** 2 + g[None, :] ** 2
    psf = 2.53 / 2.3548
    maps = np.exp(-r2 / (2 * (9.0 + psf**2)))[None, :, :, None].astype(np.float32)
    st = AugmentationSettings(p_model_variation=0, p_noise=0, p_resize=0, p_blur=0, flip_rotate=False,
                              p_redshift=1.0, redshift_scale=(0.6, 0.6), footprint_min_radius=0.0)
    view = np.asarray(augment_view(maps, 0 * maps, maps, st, keras.random.SeedGenerator(0),
                                   radius=footprint_radius(maps)))[0, :, :, 0]
    width = np.sqrt((r2 * view).sum() / view.sum() / 2)
    assert abs(width / np.hypot(1.8, psf) - 1) < 0.03, width
    print("JAX OK", hist["loss"].round(4).tolist())
""")


def test_training_runs_under_jax(tmp_path):
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT.replace("{ckpt}", str(tmp_path / "c.npz"))],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "JAX OK" in res.stdout


def test_gpu_replica_bench_runs_with_keras_numpy_and_jax_only():
    """bench/gpu_replica.py is what a GPU machine without TensorFlow runs (issue 14):
    a few galaxies through its whole path under JAX on the CPU."""
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    cmd = [sys.executable, "bench/gpu_replica.py", "--galaxies", "64", "--batch", "32", "--epochs", "2"]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "backend jax" in res.stdout
    losses = [float(x) for x in res.stdout.split("loss per epoch:")[1].split()]
    assert len(losses) == 2 and all(np.isfinite(losses))
