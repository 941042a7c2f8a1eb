"""Training of one SimCLR replica (paper Sections 3.1, 3.2 and 4.2).

The whole step (sample a batch on the device, augment both views, encode,
NT-Xent, backward, update) is one compiled function run by ``keras.Model.fit``;
``steps_per_execution`` runs several of them per call. Every random draw comes
from the replica's seed: the weights' initialisation, the optimiser and the
augmentation ``SeedGenerator``, whose state is checkpointed, so a run killed
and resumed from its checkpoint continues exactly where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from manga_ssl.core.files import atomic_output, write_csv
from manga_ssl.ssl.device import (
    configure_threads,
    devices,
    onednn_enabled,
    resolve_precision,
    set_determinism,
)
from manga_ssl.ssl.model import embed
from manga_ssl.ssl.tensors import in_tensor_order, load_tensors

log = logging.getLogger(__name__)


class TrainingDiverged(RuntimeError):
    """The contrastive loss stopped being finite."""


@dataclass(frozen=True)
class TrainingSettings:
    """``simclr`` config section (see config/README.md for the reasons behind the defaults)."""

    conv_filters: tuple = (128, 256, 512, 1024)
    kernel_sizes: tuple = (5, 3, 3, 3)
    global_pooling: str = "average"
    projection_head: tuple = (512, 128, 64)
    temperature: float = 0.5
    batch_size: int = 1024
    epochs: int = 500
    optimizer: str = "adamw"
    learning_rate: float = 1e-3
    weight_decay: float = 1e-6
    warmup_epochs: int = 10
    schedule: str = "cosine"
    checkpoint_every: int = 10
    steps_per_execution: int = 1
    precision: str = "auto"  # float32 | bfloat16 | auto (manga_ssl.ssl.device.resolve_precision)
    augmentations: dict = field(default_factory=dict)
    probe_every: int = 0  # epochs between online probes of h (0: none); they never change the training
    negatives_within: tuple = ()  # catalogue columns of conditional negatives (manga_ssl.ssl.negatives)
    negatives_bins: int = 3

    @classmethod
    def from_config(cls, cfg: dict) -> TrainingSettings:
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in cfg.items() if k in known}
        return cls(**kwargs)

    def fingerprint(self, seed: int | list[int], channels, data_digest: str) -> str:
        """What a checkpoint must match to be resumed (settings, seed, channels, data)."""
        blob = json.dumps([asdict(self), seed, list(channels), data_digest], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def data_digest(tensors: dict, strata=None) -> str:
    h = hashlib.sha256()
    for key in ("maps", "sigma", "model_variation"):
        h.update(np.ascontiguousarray(tensors[key]).tobytes())
    if strata is not None:
        h.update(np.ascontiguousarray(strata, dtype=np.int64).tobytes())
    return h.hexdigest()[:16]


def make_optimizer(settings: TrainingSettings, steps_per_epoch: int):
    import keras

    total = max(1, settings.epochs * steps_per_epoch)
    warmup = min(settings.warmup_epochs * steps_per_epoch, total // 2)
    lr = settings.learning_rate
    if settings.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(
            0.0 if warmup else lr, decay_steps=total - warmup, warmup_target=lr if warmup else None, warmup_steps=warmup
        )
    elif settings.schedule != "constant":
        raise ValueError(f"unknown simclr.schedule '{settings.schedule}' (use 'cosine' or 'constant')")
    if settings.optimizer == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=settings.weight_decay)
    if settings.optimizer == "adam":
        return keras.optimizers.Adam(lr)
    if settings.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9)
    raise ValueError(f"unknown simclr.optimizer '{settings.optimizer}' (use adamw, adam or sgd)")


def build_simclr(tensors: dict, settings: TrainingSettings, seed: int, strata=None):
    """The SimCLR model over the survey's tensors, placed on the device; ``strata`` (N,) the
    galaxies' strata for conditional negatives (:func:`manga_ssl.ssl.negatives.negative_strata`)."""
    from manga_ssl.ssl.augmentations import AugmentationSettings, SurveyAugmenter
    from manga_ssl.ssl.model import SimCLR, build_encoder, build_projection_head

    shape = tensors["maps"].shape[1:]
    encoder = build_encoder(
        shape,
        settings.conv_filters,
        settings.kernel_sizes,
        settings.global_pooling,
        precision=resolve_precision(settings.precision),
    )
    head = build_projection_head(settings.conv_filters[-1], settings.projection_head)
    augmenter = SurveyAugmenter(
        tensors["maps"],
        tensors["sigma"],
        tensors["model_variation"],
        AugmentationSettings.from_config(settings.augmentations),
        seed,
        strata=strata,
        dtype="float32",  # the augmentations are float32 whatever the encoder's precision
    )
    return SimCLR(augmenter, encoder, head, settings.batch_size, settings.temperature)


# --------------------------------------------------------------------------
# Checkpoints: weights, optimiser state, augmentation RNG state, history
# --------------------------------------------------------------------------


def _state_variables(model):
    return {
        "encoder": model.encoder.weights,
        "head": model.head.weights,
        "optimizer": model.optimizer.variables,
        "rng": [model.augmenter.seed_generator.state],
    }


def save_checkpoint(path: Path, model, epoch: int, history: list, fingerprint: str) -> None:
    arrays = {
        f"{group}/{k}": np.asarray(v.numpy() if hasattr(v, "numpy") else v)
        for group, variables in _state_variables(model).items()
        for k, v in enumerate(variables)
    }
    arrays["meta"] = np.array(json.dumps({"epoch": epoch, "history": history, "fingerprint": fingerprint}))
    with atomic_output(path) as tmp:
        np.savez(tmp, **arrays)


def load_checkpoint(path: Path, model, fingerprint: str):
    """Restore a checkpoint into ``model``; returns (epoch, history) or None when unusable."""
    if not path.exists():
        return None
    try:
        with np.load(path) as npz:
            meta = json.loads(str(npz["meta"]))
            if meta["fingerprint"] != fingerprint:
                log.warning("%s was written with other settings or data; starting afresh", path)
                return None
            for group, variables in _state_variables(model).items():
                for k, v in enumerate(variables):
                    v.assign(npz[f"{group}/{k}"])
    except (OSError, KeyError, ValueError) as exc:
        log.warning("cannot resume from %s (%s); starting afresh", path, exc)
        return None
    return meta["epoch"], meta["history"]


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def _callback_base():
    import keras

    return keras.callbacks.Callback


HISTORY_COLUMNS = ["epoch", "loss", "wall_time_s", "galaxies_per_s", "probe_r2_physical", "probe_r2_instrumental"]


class OnlineProbe:
    """Online evaluation (as solo-learn and lightly do): every few epochs, h of every galaxy
    (no augmentation) and the cross-validated R^2 of ridge probes from h to physical and to
    instrumental parameters, on held-out folds. ``targets`` (N, T); ``groups`` the (name,
    'physical' | 'instrumental') of each column (:func:`manga_ssl.probes.probe_targets`)."""

    def __init__(self, maps, targets, groups, every: int, seed: int = 0):
        targets = np.asarray(targets, float)
        known = np.isfinite(targets).any(axis=0)  # a catalogue column missing on real data is left out
        self.maps, self.targets, self.every, self.seed = maps, targets[:, known], int(every), seed
        self.group = np.array([g for _, g in groups])[known]

    def due(self, epoch: int, last: int) -> bool:
        return self.every > 0 and (epoch % self.every == 0 or epoch == last)

    def __call__(self, encoder) -> dict:
        from manga_ssl.analysis.probes import linear_probe_r2

        r2 = linear_probe_r2(embed(encoder, self.maps), self.targets, self.seed)
        return {f"probe_r2_{g}": float(np.nanmean(r2[self.group == g])) for g in ("physical", "instrumental")}


class _Monitor(_callback_base()):
    """History per epoch (loss, wall time, throughput, online probes), NaN guard, checkpoints, progress."""

    def __init__(self, history, steps_per_epoch, batch_size, checkpoint, every, fingerprint, epochs, probe=None):
        super().__init__()
        self.history, self.steps, self.batch = history, steps_per_epoch, batch_size
        self.checkpoint, self.every, self.fingerprint, self.epochs = checkpoint, every, fingerprint, epochs
        self.probe = probe

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    # No per-step hook: reading the loss every step would make the host wait for the
    # device at each step. A NaN is caught at the end of its epoch.
    def on_epoch_end(self, epoch, logs=None):
        wall = time.perf_counter() - self.t0
        loss = float(logs["loss"])
        if not np.isfinite(loss):
            raise TrainingDiverged(
                f"the contrastive loss became {loss} in epoch {epoch + 1}; check the input "
                "tensors for NaN/inf and lower simclr.learning_rate"
            )
        row = {
            "epoch": epoch + 1,
            "loss": loss,
            "wall_time_s": wall,
            "galaxies_per_s": self.steps * self.batch / wall,
            "probe_r2_physical": np.nan,
            "probe_r2_instrumental": np.nan,
        }
        probed = ""
        if self.probe is not None and self.probe.due(epoch + 1, self.epochs):
            row.update(self.probe(self.model.encoder))
            probed = (
                f"  probe R^2 physical {row['probe_r2_physical']:.3f} instrumental {row['probe_r2_instrumental']:.3f}"
            )
        self.history.append(row)
        log.info(
            "epoch %d/%d  loss %.4f  %.1f s  %.0f galaxies/s%s",
            epoch + 1,
            self.epochs,
            loss,
            wall,
            self.steps * self.batch / wall,
            probed,
        )
        done = epoch + 1 == self.epochs
        if self.checkpoint and not done and (epoch + 1) % self.every == 0:
            save_checkpoint(self.checkpoint, self.model, epoch + 1, self.history, self.fingerprint)


def step_inputs(steps: int):
    """What ``fit`` iterates over: one placeholder row per step (the batch is drawn on the
    device). On TensorFlow a plain ``tf.data`` pipeline without autotuning: Keras' own wraps
    arrays in one whose background tuning competed for the cores and, on 2 cores, made one
    step in three about twice as slow (docs/benchmarks.md)."""
    import keras

    placeholder = np.zeros((steps, 1), dtype="float32")
    if keras.backend.backend() != "tensorflow":
        return {"x": placeholder, "batch_size": 1}
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    options.threading.private_threadpool_size = 1
    return {"x": tf.data.Dataset.from_tensor_slices(placeholder).batch(1).with_options(options)}


def train_simclr(
    tensors: dict,
    settings: TrainingSettings,
    seed: int,
    checkpoint: Path | None = None,
    probe_targets=None,
    callbacks=(),
    strata=None,
    weights_seed: int | None = None,
):
    """Train one replica; returns (encoder, projection head, history DataFrame).

    ``checkpoint``: file written every ``settings.checkpoint_every`` epochs and
    resumed from when it matches these settings, seed and data.
    ``probe_targets``: (targets (N, T), groups) for the online probes, run every
    ``settings.probe_every`` epochs (:class:`OnlineProbe`).
    ``callbacks``: more Keras callbacks, called after the epoch's history and checkpoint
    are written.
    ``strata``: (N,) each galaxy's stratum, required when ``settings.negatives_within``
    names columns (conditional negatives; :func:`manga_ssl.ssl.negatives.negative_strata`).
    ``weights_seed``: the initial weights' seed where it is not ``seed``, which then draws
    the batches, the views and the probes' splits only (what a replica's start decides,
    docs/science.md section 35; the workflow never sets it).
    """
    import pandas as pd

    weights_seed = None if weights_seed == seed else weights_seed  # the same replica, the same checkpoint
    set_determinism(seed if weights_seed is None else weights_seed)  # the weights are drawn from it
    # resolved once, so that a checkpoint records the precision it was trained in
    settings = replace(settings, precision=resolve_precision(settings.precision))
    n = int(tensors["maps"].shape[0])
    batch = min(settings.batch_size, n)
    steps = max(1, n // batch)
    if settings.negatives_within and strata is None:
        raise ValueError(
            f"simclr.negatives_within is {list(settings.negatives_within)}: training needs each galaxy's stratum"
        )
    strata = strata if settings.negatives_within else None
    model = build_simclr(tensors, settings, seed, strata)
    model.compile(optimizer=make_optimizer(settings, steps), steps_per_execution=settings.steps_per_execution)
    model.optimizer.build(model.trainable_variables)
    start, history, fingerprint, resumed = 0, [], None, None
    checkpoint = Path(checkpoint) if checkpoint else None
    if checkpoint:  # hashing the data costs a pass over it: only when it is checked
        seeds = seed if weights_seed is None else [seed, weights_seed]
        fingerprint = settings.fingerprint(seeds, tensors["channels"], data_digest(tensors, strata))
        resumed = load_checkpoint(checkpoint, model, fingerprint)
    if resumed:
        start, history = resumed
        log.info("resuming from %s at epoch %d/%d", checkpoint, start, settings.epochs)
    probe = None
    if probe_targets is not None and settings.probe_every > 0:
        probe = OnlineProbe(tensors["maps"], *probe_targets, settings.probe_every, seed)
    monitor = _Monitor(
        history, steps, batch, checkpoint, settings.checkpoint_every, fingerprint, settings.epochs, probe
    )
    log.info(
        "training %d galaxies, batch %d, %d steps/epoch, epochs %d..%d, seed %d, precision %s",
        n,
        batch,
        steps,
        start + 1,
        settings.epochs,
        seed,
        settings.precision,
    )
    if start < settings.epochs:
        model.fit(
            **step_inputs(steps),
            epochs=settings.epochs,
            initial_epoch=start,
            shuffle=False,
            verbose=0,
            callbacks=[monitor, *callbacks],
        )
    return model.encoder, model.head, pd.DataFrame(history, columns=HISTORY_COLUMNS)


def train_and_save(
    tensors_path,
    channels,
    simclr_config: dict,
    seed: int,
    checkpoint,
    outputs,
    threads: int = 1,
    label: str = "",
    catalogue_path=None,
) -> None:
    """The train_simclr rule: train one replica, write encoder, head, history and loss curve.

    The online probes' targets are the catalogue's measured parameters, on the mock as on
    real data: training never reads the mock's truth (only the validation rules do)."""
    import pandas as pd

    from manga_ssl.analysis.probes import probe_targets
    from manga_ssl.figures.loss import loss_curves
    from manga_ssl.figures.style import save
    from manga_ssl.ssl.negatives import negative_strata

    configure_threads(threads)
    import keras

    # which accelerator this job got (a scheduler sets CUDA_VISIBLE_DEVICES for a GPU job)
    log.info(
        "Keras backend %s; devices %s; CUDA_VISIBLE_DEVICES=%s; oneDNN %s",
        keras.backend.backend(),
        devices(),
        os.environ.get("CUDA_VISIBLE_DEVICES", "(unset)"),
        {True: "on", False: "off", None: "n/a"}[onednn_enabled()],
    )
    tensors = load_tensors(tensors_path, channels)
    settings = TrainingSettings.from_config(simclr_config)
    targets = strata = None
    if catalogue_path and (settings.probe_every > 0 or settings.negatives_within):
        catalogue = in_tensor_order(pd.read_parquet(catalogue_path), tensors)
        targets = probe_targets(catalogue) if settings.probe_every > 0 else None
        if settings.negatives_within:
            strata = negative_strata(
                catalogue, settings.negatives_within, settings.negatives_bins, source=str(catalogue_path)
            )
            log.info("conditional negatives within %s: %d strata", list(settings.negatives_within), len(set(strata)))
    encoder, head, history = train_simclr(
        tensors, settings, seed, checkpoint=Path(checkpoint), probe_targets=targets, strata=strata
    )
    for model, path in ((encoder, outputs.encoder), (head, outputs.head)):
        with atomic_output(path) as tmp:
            model.save(tmp)
    write_csv(history, outputs.history)
    save(loss_curves({f"seed {seed}": history}, title=label), outputs.loss_png, outputs.loss_pdf)
    Path(checkpoint).unlink(missing_ok=True)  # the run is complete; its outputs replace it
    log.info("final loss %.4f after %d epochs", history["loss"].iloc[-1], len(history))
