"""The contrastive model of paper Section 3.1, in ``keras.ops`` only (TensorFlow or JAX).

* base encoder: convolutions (paper: 128, 256, 512, 1024 filters; kernels 5, 3,
  3, 3), ELU activations and 2x2 max-pooling between them, then global pooling
  to the **representation h** (as long as the last convolution is wide);
* projection head: dense layers (paper: 512, 128, 64) giving **z**, where the
  loss is computed; it is dropped after training;
* loss: equation (1), NT-Xent over the 2N views of a batch, temperature 0.5.
"""

from __future__ import annotations

import logging

import keras
import numpy as np
from keras import layers, ops

from manga_ssl.ssl.device import DTYPE_POLICY


def build_encoder(
    input_shape,
    conv_filters=(128, 256, 512, 1024),
    kernel_sizes=(5, 3, 3, 3),
    global_pooling="average",
    precision="float32",
    name="encoder",
) -> keras.Model:
    """Maps (S, S, C) -> the representation h (len = conv_filters[-1]), float32.

    ``precision`` 'bfloat16': the convolutions compute in bfloat16 with float32 weights
    (Keras' mixed policy); the global pooling averages in float32, so h is float32."""
    if len(conv_filters) != len(kernel_sizes):
        raise ValueError(
            f"simclr.conv_filters ({len(conv_filters)} layers) and simclr.kernel_sizes "
            f"({len(kernel_sizes)}) must have the same length"
        )
    if global_pooling not in ("average", "max", "masked_average"):
        raise ValueError(f"unknown simclr.global_pooling '{global_pooling}' (average, max or masked_average)")
    policy = DTYPE_POLICY[precision]
    inputs = keras.Input(shape=tuple(input_shape), name="maps")
    x = inputs
    for k, (filters, size) in enumerate(zip(conv_filters, kernel_sizes)):
        if k:
            x = layers.MaxPooling2D(2, padding="same", name=f"pool{k}", dtype=policy)(x)
        x = layers.Conv2D(filters, size, padding="same", activation="elu", name=f"conv{k + 1}", dtype=policy)(x)
    if global_pooling == "masked_average":
        h = MaskedAveragePooling(len(conv_filters) - 1, name="representation_h", dtype="float32")(x, inputs)
    else:
        pool = {"average": layers.GlobalAveragePooling2D, "max": layers.GlobalMaxPooling2D}[global_pooling]
        h = pool(name="representation_h", dtype="float32")(x)
    return keras.Model(inputs, h, name=name)


@keras.saving.register_keras_serializable(package="manga_ssl")
class MaskedAveragePooling(layers.Layer):
    """Beyond the paper: the average of the last feature maps over the footprint only (the
    input pixels where any map is non-zero, max-pooled to the features' grid), so that the
    size of the bundle's zero padding does not enter h as a mean over empty pixels."""

    def __init__(self, n_pools: int, **kwargs):
        super().__init__(**kwargs)
        self.n_pools = int(n_pools)

    def call(self, features, maps):
        mask = ops.cast(ops.any(ops.not_equal(maps, 0.0), axis=-1, keepdims=True), features.dtype)
        for _ in range(self.n_pools):
            mask = ops.max_pool(mask, 2, 2, padding="same")
        total = ops.sum(features * mask, axis=(1, 2))
        return total / ops.maximum(ops.sum(mask, axis=(1, 2)), 1.0)

    def get_config(self):
        return {**super().get_config(), "n_pools": self.n_pools}


def build_projection_head(representation_size, units=(512, 128, 64), name="projection_head") -> keras.Model:
    """Maps h -> z; ELU between the dense layers, the last one linear. Float32 whatever the
    encoder's precision: it costs under 1% of a step and z enters the loss."""
    inputs = keras.Input(shape=(representation_size,), name="h")
    x = inputs
    for k, n in enumerate(units):
        last = k == len(units) - 1
        x = layers.Dense(n, activation=None if last else "elu", name=f"dense{k + 1}", dtype="float32")(x)
    return keras.Model(inputs, x, name=name)


def nt_xent(z, temperature=0.5, strata=None):
    """Equation (1) averaged over the 2N views; ``z`` is (2N, d) = [views 1; views 2].

    z is L2-normalised; view i's positive is the other view of its galaxy and
    the denominator runs over the 2N - 1 other views (k != i).

    Beyond the paper, ``strata`` (N,) conditions the negatives (conditional contrastive
    learning, Tsai et al. 2021): view i's denominator keeps only the views of galaxies in
    its own stratum, so that what the strata describe (e.g. the bundle size) no longer
    helps to tell a galaxy from the others and is not rewarded in the representation.
    """
    z = ops.cast(z, "float32")
    z = z / ops.maximum(ops.norm(z, axis=1, keepdims=True), 1e-12)
    two_n = ops.shape(z)[0]
    n = two_n // 2
    logits = ops.matmul(z, ops.transpose(z)) / temperature
    eye = ops.eye(two_n, dtype="float32")
    logits = logits - 1e9 * eye  # k != i
    if strata is not None:
        views = ops.concatenate([strata, strata])
        other = ops.cast(ops.not_equal(views[:, None], views[None, :]), "float32")
        logits = logits - 1e9 * other  # the positive shares its galaxy's stratum
    positive = ops.concatenate([ops.arange(n, two_n), ops.arange(0, n)])
    pos_logit = ops.take_along_axis(logits, positive[:, None], axis=1)[:, 0]
    return ops.mean(ops.logsumexp(logits, axis=1) - pos_logit)


class SimCLR(keras.Model):
    """Two augmented views of a batch drawn on the device -> z of both views.

    The input ``x`` of a training step is a placeholder: the batch is sampled
    by the augmenter from the survey held on the device, so nothing but the
    step counter crosses from the host.
    """

    def __init__(self, augmenter, encoder, head, batch_size, temperature=0.5, **kwargs):
        super().__init__(**kwargs)
        self.augmenter, self.encoder, self.head = augmenter, encoder, head
        self.batch_size = int(min(batch_size, augmenter.n_galaxies))
        self.temperature = float(temperature)

    def call(self, x, training=False):
        indices = self.augmenter.sample(self.batch_size)
        first, second = self.augmenter(indices)
        views = ops.concatenate([first, second], axis=0)
        z = self.head(self.encoder(views, training=training), training=training)
        if self.augmenter.strata is None:
            return z
        return {"z": z, "strata": ops.take(self.augmenter.strata, indices, axis=0)}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if isinstance(y_pred, dict):  # conditional negatives
            loss = nt_xent(y_pred["z"], self.temperature, y_pred["strata"])
        else:
            loss = nt_xent(y_pred, self.temperature)
        for extra in self.losses:
            loss = loss + ops.sum(extra)
        return loss


def dihedral_transforms(maps: np.ndarray) -> list[np.ndarray]:
    """The eight images of (N, S, S, C) maps under the dihedral group of the square (every
    90-degree rotation, with and without a flip): the symmetries the augmentations draw from."""
    turns = [np.rot90(maps, k, axes=(1, 2)) for k in range(4)]
    return turns + [np.flip(t, axis=2) for t in turns]


def aperture_mask(size: int, radius: float) -> np.ndarray:
    """(size, size) bool: the pixels within ``radius`` of the grid's centre. A circle, so
    that the rotations and flips of the grid leave it as it is."""
    g = np.arange(size) - (size - 1) / 2.0
    return np.hypot(g[:, None], g[None, :]) <= radius


def embed(
    encoder,
    maps: np.ndarray,
    batch_size: int = 512,
    dihedral_average: bool = False,
    central_aperture: float = 0.0,
    augmented_views: int = 0,
    augmentations=None,
    sigma: np.ndarray | None = None,
    model_variation: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The representation h of every galaxy (no augmentation), float32 (N, D).

    Beyond the paper: ``dihedral_average``, h averaged over the eight rotations and flips of
    the maps, so that it is exactly invariant to them rather than only as far as training
    got; ``central_aperture`` > 0, the maps seen only within that radius (pixels) of the
    centre, the same for every galaxy, so that h cannot see the size of the bundle's
    footprint; ``augmented_views`` > 0, h averaged over that many copies of each galaxy, each
    augmented as in training (``augmentations``, an ``AugmentationSettings``, with the maps'
    ``sigma`` and ``model_variation``; drawn from ``seed``), so that h is invariant to what
    the augmentations change as far as the average goes, not only as far as training got.
    With ``dihedral_average`` every copy is seen in its eight rotations and flips, and the
    copies' own random rotations and flips are left out."""
    if augmented_views > 0:
        copies = augmented_copies(maps, sigma, model_variation, augmentations, augmented_views, seed, dihedral_average)
    else:
        copies = [maps]
    if central_aperture > 0:
        mask = aperture_mask(maps.shape[1], central_aperture)[None, :, :, None]
        copies = (c * mask for c in copies)  # one copy at a time, as augmented_copies draws them
    total, count = 0.0, 0
    for copy in copies:
        for image in dihedral_transforms(copy) if dihedral_average else [copy]:
            total, count = total + forward_pass(encoder, image, batch_size).astype(np.float64), count + 1
    return (total / count).astype(np.float32)


def forward_pass(encoder, maps: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """The encoder's output for (N, S, S, C) maps, compiled as in training (the eager call is a
    third slower and rounds the bfloat16 layers otherwise), in batches of one shape: the last
    is padded with empty maps, so that each encoder is traced once. A galaxy's h does not
    depend on the others in its batch."""
    _quiet_retracing()
    batch = max(1, min(batch_size, len(maps)))
    out = []
    for i in range(0, len(maps), batch):
        chunk = np.ascontiguousarray(maps[i : i + batch], dtype=np.float32)
        n = len(chunk)
        if n < batch:  # only the last one is padded
            chunk = np.concatenate([chunk, np.zeros((batch - n, *maps.shape[1:]), np.float32)])
        out.append(np.asarray(encoder.predict_on_batch(chunk))[:n])
    return np.concatenate(out)


class _NotRetracing(logging.Filter):
    """TensorFlow counts the traces of every encoder's predict function as retracings of
    one function; a job that embeds with several encoders (the replicas, or placement's
    representations) is warned of it, though each encoder is traced once."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


def _quiet_retracing() -> None:
    tf_log = logging.getLogger("tensorflow")
    if not any(isinstance(f, _NotRetracing) for f in tf_log.filters):
        tf_log.addFilter(_NotRetracing())


def augmented_copies(maps, sigma, model_variation, settings, n: int, seed: int, dihedral_average: bool = False):
    """``n`` augmented copies of (N, S, S, C) maps, each drawn as a training view is
    (``settings``: ``AugmentationSettings``), from ``seed``; a generator, one copy at a time,
    each drawn for the whole survey at once, so that the draws do not depend on how h is
    batched. With ``dihedral_average`` the copies keep their orientation (the average over
    the rotations and flips replaces the random ones)."""
    from dataclasses import replace

    from manga_ssl.ssl.augmentations import augment_view, footprint_radius

    if settings is None or sigma is None or model_variation is None:
        raise ValueError("augmented views need the augmentation settings and the maps' sigma and model variation")
    if dihedral_average:
        settings = replace(settings, flip_rotate=False)
    radius = footprint_radius(maps)
    generator = keras.random.SeedGenerator(int(seed))
    for _ in range(n):
        view = augment_view(maps, sigma, model_variation, settings, generator, radius=radius)
        yield np.asarray(view, dtype=np.float32)
