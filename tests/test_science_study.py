"""The science study harness (bench/science_study.py): the projection head's layers it scores."""

import importlib.util
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _harness():
    spec = importlib.util.spec_from_file_location("science_study", ROOT / "bench" / "science_study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_head_layer_outputs_run_h_through_the_head_to_z():
    from manga_ssl.ssl.model import build_projection_head

    head = build_projection_head(16, (8, 4, 2))
    h = np.random.default_rng(0).normal(size=(5, 16)).astype("float32")
    outputs = _harness()._head_layer_outputs(head, h)
    assert [o.shape for o in outputs] == [(5, 8), (5, 4), (5, 2)]
    # the first layer by hand: ELU(h W + b); the last is the head's own z
    kernel, bias = (np.asarray(w) for w in head.get_layer("dense1").weights)
    pre = h @ kernel + bias
    np.testing.assert_allclose(outputs[0], np.where(pre > 0, pre, np.expm1(pre)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs[-1], np.asarray(head(h)), rtol=1e-5, atol=1e-6)
