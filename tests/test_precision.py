"""simclr.precision: bfloat16 convolutions with float32 weights, head, h and loss; auto picks
bfloat16 only where the hardware computes in it; the same seed gives the same weights in
either precision."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras import ops

from manga_ssl.ssl import device
from manga_ssl.ssl.model import embed, nt_xent
from manga_ssl.ssl.training import TrainingSettings, build_simclr, train_simclr
from tests.test_training import TINY, same_weights, survey

ONE_EPOCH = TrainingSettings(**{**TINY.__dict__, "epochs": 2, "warmup_epochs": 0})


def dtype_of(tensor) -> str:
    return keras.backend.standardize_dtype(tensor.dtype)


def conv_dtypes(encoder):
    return {layer.dtype_policy.compute_dtype for layer in encoder.layers if layer.name.startswith("conv")}


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_precision_setting_is_honoured_and_h_z_and_loss_stay_float32(precision):
    data = survey()
    settings = TrainingSettings(**{**ONE_EPOCH.__dict__, "precision": precision})
    model = build_simclr(data, settings, seed=0)
    assert conv_dtypes(model.encoder) == {precision}
    # float32 weights (the optimiser updates them), float32 head
    assert {w.dtype for w in model.encoder.weights} == {"float32"}
    assert {layer.dtype_policy.compute_dtype for layer in model.head.layers[1:]} == {"float32"}
    z = model(np.zeros((1, 1), "float32"))
    assert dtype_of(z) == "float32"
    assert dtype_of(nt_xent(z)) == "float32"
    h = embed(model.encoder, data["maps"])
    assert h.dtype == np.float32 and np.isfinite(h).all()
    assert dtype_of(model.encoder.output) == "float32"


def test_the_loss_is_computed_in_float32_from_bfloat16_z():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(16, 8)).astype("float32")
    loss_bf16 = nt_xent(ops.cast(z, "bfloat16"))
    assert dtype_of(loss_bf16) == "float32"
    # only z's rounding to bfloat16 (8 bits of mantissa) separates the two
    assert abs(float(loss_bf16) - float(nt_xent(z))) < 1e-2


def test_same_seed_same_weights_in_bfloat16_and_the_two_precisions_differ():
    data = survey()
    bf16 = TrainingSettings(**{**ONE_EPOCH.__dict__, "precision": "bfloat16"})
    f32 = TrainingSettings(**{**ONE_EPOCH.__dict__, "precision": "float32"})
    enc_a, _, hist_a = train_simclr(data, bf16, seed=5)
    enc_b, _, hist_b = train_simclr(data, bf16, seed=5)
    enc_c, _, hist_c = train_simclr(data, f32, seed=5)
    assert same_weights(enc_a, enc_b)
    assert np.array_equal(hist_a["loss"], hist_b["loss"])
    assert not same_weights(enc_a, enc_c)
    # the same training, rounded differently: the losses agree to bfloat16's precision
    assert np.allclose(hist_a["loss"], hist_c["loss"], rtol=2e-2)


def test_auto_precision_follows_the_hardware(monkeypatch):
    monkeypatch.setattr(device, "has_accelerator", lambda: False)
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset({"avx2", "fma", "avx512f"}))
    assert device.resolve_precision("auto") == "float32"
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))
    assert device.resolve_precision("auto") == "bfloat16"
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset({"amx_bf16", "amx_tile"}))
    assert device.resolve_precision("auto") == "bfloat16"
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")  # XLA's CPU kernels: no bfloat16 gain known
    assert device.resolve_precision("auto") == "float32"
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset())
    monkeypatch.setattr(device, "has_accelerator", lambda: True)
    assert device.resolve_precision("auto") == "bfloat16"
    # an explicit setting is never second-guessed
    assert device.resolve_precision("float32") == "float32"
    with pytest.raises(ValueError, match="simclr.precision 'half'"):
        device.resolve_precision("half")


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu avx2 avx512_bf16\n\n")
    assert device.cpu_flags(str(cpuinfo)) == frozenset({"fpu", "avx2", "avx512_bf16"})
    assert device.cpu_info(str(cpuinfo))["model name"] == "Test CPU"
    assert device.cpu_flags(str(tmp_path / "absent")) == frozenset()
    assert device.cpu_has_bf16(frozenset({"avx512_bf16"})) and not device.cpu_has_bf16(frozenset({"avx2"}))


def test_explicit_bfloat16_on_a_cpu_without_it_is_an_error_where_onednn_runs(monkeypatch):
    """oneDNN has no bfloat16 convolution without AVX512_BF16 or AMX; TensorFlow's fallback
    kernels emulate one."""
    monkeypatch.setattr(device, "has_accelerator", lambda: False)
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    monkeypatch.setattr(device, "onednn_enabled", lambda: True)
    with pytest.raises(ValueError, match="no avx512_bf16 or amx_bf16.*use 'auto' or 'float32'"):
        device.resolve_precision("bfloat16")
    assert device.resolve_precision("auto") == "float32"
    monkeypatch.setattr(device, "onednn_enabled", lambda: False)
    assert device.resolve_precision("bfloat16") == "bfloat16"
    monkeypatch.setattr(device, "onednn_enabled", lambda: True)
    monkeypatch.setattr(device, "cpu_flags", lambda: frozenset({"avx2", "avx512_bf16"}))
    assert device.resolve_precision("bfloat16") == "bfloat16"
