"""The survey's tensors as the SimCLR rules read them: the NPZ written by the preprocessing,
the channel set of a variant, and the CPU threads a job may use."""

from __future__ import annotations

import numpy as np


def select_channels(tensors: dict, channels) -> dict:
    """Keep ``channels`` (names, in that order) of every (N, S, S, C) array."""
    names = [str(c) for c in tensors["channels"]]
    missing = [c for c in channels if c not in names]
    if missing:
        raise ValueError(f"unknown channel(s) {missing}; the tensors hold {names}")
    idx = [names.index(c) for c in channels]
    out = dict(tensors)
    for key in ("maps", "sigma", "model_variation"):
        out[key] = np.ascontiguousarray(tensors[key][..., idx])
    out["channels"] = np.array(channels)
    return out


def configure_threads(threads: int) -> None:
    """Use the cores Snakemake gave the job (TensorFlow otherwise takes them all)."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(min(2, int(threads)))
        except RuntimeError:  # already initialised in this process
            pass


def load_tensors(path, channels) -> dict:
    with np.load(path) as npz:
        tensors = {k: npz[k] for k in npz.files}
    bad = ~np.isfinite(tensors["maps"]).all(axis=(1, 2, 3))
    if bad.any():
        raise ValueError(
            f"{path}: non-finite values in the maps of {bad.sum()} galaxies, e.g. "
            f"{', '.join(tensors['plateifu'][bad][:5])}"
        )
    return select_channels(tensors, channels)


def devices() -> str:
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return ", ".join(d.device_type + ":" + d.name.split(":")[-1] for d in tf.config.list_logical_devices())
    if keras.backend.backend() == "jax":
        import jax

        return ", ".join(str(d) for d in jax.devices())
    return "?"
