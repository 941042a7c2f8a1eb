"""The augmentations of paper Section 3.2, batched and written with ``keras.ops`` only.

One call turns a batch of galaxy indices into two augmented views. The
survey's tensors live on the device (as non-trainable variables of
:class:`SurveyAugmenter`), so a training step samples, augments and encodes
inside one compiled function, whatever the backend (TensorFlow or JAX).

Every geometric transformation is linear and separable on the S x S grid, so
each view is ``L_y @ X @ L_x^T`` with per-galaxy S x S matrices built from

* a flip (anti-identity) on each axis and an optional transpose: together the
  eight elements of the dihedral group, i.e. every flip and 90-degree rotation;
* a cubic-convolution resampling matrix (Keys 1981, a = -0.5) that enlarges or
  reduces the map about its centre (zero outside the grid, as the padding is);
* a Gaussian blur matrix: a (2r + 1)-tap kernel, zero padded, which is the
  separable form of the 2-D Gaussian kernel.

The multiplicative noise is applied first, on the maps' own grid where the
per-pixel sigma maps are aligned with them; the distribution of the result is
the same as noise applied after the geometric steps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import keras
import numpy as np
from keras import ops


@dataclass(frozen=True)
class AugmentationSettings:
    """Probabilities and ranges of the augmentations (defaults: the paper's text)."""

    p_model_variation: float = 0.25
    p_noise: float = 0.5
    p_resize: float = 0.5
    resize_range: tuple[float, float] = (0.75, 1.25)  # "up to 25% of the side"
    p_blur: float = 0.5
    blur_kernel: int = 3  # pixels; odd
    blur_sigma: tuple[float, float] = (0.1, 2.0)  # U(0.1, 2) pixels
    flip_rotate: bool = True  # always applied in the paper
    # The released code of the paper differs from its text; see paper_code_compat().
    perturb_first_view: bool = True
    fixed_model_variation_subset: bool = False
    # Beyond the paper (off by default): re-observe the galaxy through a smaller fibre
    # bundle, so that the two views no longer share the footprint (docs/science.md).
    p_footprint: float = 0.0
    footprint_scale: tuple[float, float] = (0.5, 1.0)  # of the observed circumradius
    footprint_min_radius: float = 6.25  # pixels: the 19-fibre bundle at 1 arcsec per pixel
    footprint_offset: float = 1.0  # pixels, uniform in each axis
    # Beyond the paper (off by default): re-observe the galaxy further away, smaller on the
    # sky and seen through the same PSF, so that its apparent size and resolution no longer
    # tell the two views apart from another galaxy (docs/science.md section 16).
    p_redshift: float = 0.0
    redshift_scale: tuple[float, float] = (0.6, 1.0)  # apparent size after / before
    psf_fwhm: float = 2.53  # pixels: DR17's median reconstructed PSF at 1 arcsec per pixel

    @classmethod
    def from_config(cls, cfg: dict) -> AugmentationSettings:
        cfg = dict(cfg)
        compat = cfg.pop("paper_code_compat", False)
        for key in ("resize_range", "blur_sigma", "footprint_scale", "redshift_scale"):
            if key in cfg:
                cfg[key] = tuple(cfg[key])
        settings = cls(**cfg)
        return settings.paper_code_compat() if compat else settings

    def paper_code_compat(self) -> AugmentationSettings:
        """The augmentations of the paper's released code, not of its text.

        A 33x33 blur kernel, scale factors 0.5-1.33, only the second view
        perturbed (the first is the map as observed), and the model variation
        used for a subset of 25% of the galaxies drawn once per training run.
        """
        return replace(
            self, blur_kernel=33, resize_range=(0.5, 1.33), perturb_first_view=False, fixed_model_variation_subset=True
        )


# --------------------------------------------------------------------------
# Per-galaxy S x S matrices (batched)
# --------------------------------------------------------------------------


def _grid(size):
    return ops.arange(size, dtype="float32")


def cubic_kernel(x, a=-0.5):
    """Keys' cubic convolution kernel (the 'bicubic' of image libraries)."""
    x = ops.abs(x)
    x2, x3 = x * x, x * x * x
    near = (a + 2.0) * x3 - (a + 3.0) * x2 + 1.0
    far = a * x3 - 5.0 * a * x2 + 8.0 * a * x - 4.0 * a
    return ops.where(x <= 1.0, near, ops.where(x < 2.0, far, ops.zeros_like(x)))


def resize_matrices(scale, size):
    """(B, S, S) matrices that enlarge (scale > 1) or reduce the map about its centre.

    Output pixel i samples the input at c + (i - c) / scale with cubic
    interpolation; the grid's outside is zero, like the padding.
    """
    c = (size - 1) / 2.0
    i, j = _grid(size), _grid(size)
    src = c + (i[None, :] - c) / scale[:, None]  # (B, S)
    return cubic_kernel(src[:, :, None] - j[None, None, :])


def blur_matrices(sigma, size, kernel_size):
    """(B, S, S) convolution by a normalised ``kernel_size``-tap Gaussian of width ``sigma``."""
    r = kernel_size // 2
    i, j = _grid(size), _grid(size)
    d = i[:, None] - j[None, :]  # (S, S)
    taps = ops.arange(-r, r + 1, dtype="float32")
    norm = ops.sum(ops.exp(-(taps[None, :] ** 2) / (2.0 * sigma[:, None] ** 2)), axis=1)  # (B,)
    g = ops.exp(-(d[None] ** 2) / (2.0 * sigma[:, None, None] ** 2)) / norm[:, None, None]
    return ops.where(ops.abs(d)[None] <= r, g, ops.zeros_like(g))


def flip_matrices(flip, size):
    """(B, S, S): the anti-identity where ``flip`` is true, else the identity."""
    eye = ops.eye(size, dtype="float32")
    anti = ops.flip(eye, axis=1)
    f = ops.cast(flip, "float32")[:, None, None]
    return f * anti[None] + (1.0 - f) * eye[None]


def hexagon_masks(radius, angle, offset, size):
    """(B, S, S) float masks of regular hexagons of circumradius ``radius`` (B,) pixels,
    rotated by ``angle`` (B,) radians about the grid centre shifted by ``offset`` (B, 2)."""
    c = (size - 1) / 2.0
    g = _grid(size) - c
    y = g[None, :, None] - offset[:, 0, None, None]
    x = g[None, None, :] - offset[:, 1, None, None]
    cos, sin = ops.cos(angle)[:, None, None], ops.sin(angle)[:, None, None]
    u, v = ops.abs(x * cos + y * sin), ops.abs(y * cos - x * sin)
    r = radius[:, None, None]
    root3 = float(np.sqrt(3.0))
    inside = (v <= r * root3 / 2.0) & (root3 * u + v <= root3 * r)
    return ops.cast(inside, "float32")


def footprint_radius(maps: np.ndarray) -> np.ndarray:
    """(N,) circumradius in pixels of each galaxy's observed footprint: the largest
    distance of a non-empty pixel from the grid centre (half a pixel added for its size)."""
    size = maps.shape[1]
    g = np.arange(size) - (size - 1) / 2.0
    dist = np.hypot(g[:, None], g[None, :])
    filled = np.any(maps != 0, axis=-1)
    return np.array([dist[f].max() + 0.5 if f.any() else 0.0 for f in filled], dtype=np.float32)


def apply_separable(x, left, right):
    """out[b] = left[b] @ x[b] @ right[b]^T for every channel of (B, S, S, C) maps."""
    rows = ops.einsum("bij,bjkc->bikc", left, x)
    return ops.einsum("bikc,blk->bilc", rows, right)


# --------------------------------------------------------------------------
# One view
# --------------------------------------------------------------------------


def _coin(p, batch, seed):
    return keras.random.uniform((batch,), seed=seed) < p


def smaller_footprint(x, radius, settings: AugmentationSettings, seed):
    """With probability ``p_footprint``, keep only a random smaller hexagon of the maps:
    circumradius a fraction ``footprint_scale`` of the observed one ``radius`` (B,), never
    below ``footprint_min_radius``, any orientation, centre shifted by up to
    ``footprint_offset`` pixels: the galaxy as a smaller bundle would have seen it."""
    batch, size = ops.shape(x)[0], x.shape[1]
    lo, hi = settings.footprint_scale
    r = radius * keras.random.uniform((batch,), lo, hi, seed=seed)
    r = ops.maximum(r, ops.minimum(radius, settings.footprint_min_radius))
    angle = keras.random.uniform((batch,), 0.0, float(np.pi / 3.0), seed=seed)
    d = settings.footprint_offset
    offset = keras.random.uniform((batch, 2), -d, d, seed=seed)
    mask = hexagon_masks(r, angle, offset, size)
    cut = _coin(settings.p_footprint, batch, seed)[:, None, None]
    mask = ops.where(cut, mask, ops.ones_like(mask))
    return x * mask[..., None]


def further_away(x, radius, settings: AugmentationSettings, seed):
    """With probability ``p_redshift``, the galaxy as it would look further away.

    Its image shrinks about the centre by a factor from ``redshift_scale`` (never so
    much that the footprint's circumradius ``radius`` (B,) falls below
    ``footprint_min_radius``: a smaller bundle would have been chosen), and is blurred by
    the Gaussian that brings the shrunk PSF (a fraction of ``psf_fwhm``) back to
    ``psf_fwhm``: the same telescope and seeing, a smaller galaxy. Both steps are
    normalised convolutions over the footprint, so the padding's zeros do not darken the
    edge; outside the shrunk footprint the view is 0, as outside a bundle.
    """
    batch, size = ops.shape(x)[0], x.shape[1]
    lo, hi = settings.redshift_scale
    scale = keras.random.uniform((batch,), lo, hi, seed=seed)
    smallest = ops.minimum(1.0, settings.footprint_min_radius / ops.maximum(radius, 1e-6))
    moved = _coin(settings.p_redshift, batch, seed)
    scale = ops.where(moved, ops.maximum(scale, smallest), ops.ones_like(scale))
    psf = settings.psf_fwhm / 2.3548
    # The shrunk PSF has width scale * psf; the difference in quadrature restores psf.
    extra = ops.maximum(psf * ops.sqrt(ops.maximum(1.0 - scale * scale, 0.0)), 1e-3)
    shrink = resize_matrices(scale, size)
    operator = ops.matmul(blur_matrices(extra, size, 2 * int(np.ceil(3.0 * psf)) + 1), shrink)
    footprint = ops.cast(ops.any(ops.not_equal(x, 0.0), axis=-1, keepdims=True), "float32")
    light = apply_separable(x, operator, operator)
    weight = apply_separable(footprint, operator, operator)
    inside = (apply_separable(footprint, shrink, shrink) > 0.5) & (weight > 1e-3)
    seen = ops.where(inside, light / ops.maximum(weight, 1e-3), ops.zeros_like(light))
    return ops.where(moved[:, None, None, None], seen, x)


def augment_view(
    maps,
    sigma,
    model_variation,
    settings: AugmentationSettings,
    seed,
    use_model_variation=None,
    perturb=True,
    radius=None,
):
    """One augmented view of (B, S, S, C) maps; ``seed`` is a keras SeedGenerator.

    ``use_model_variation`` (B,) bool overrides the random draw (paper-code
    compatibility); ``perturb=False`` returns the maps as they are; ``radius`` (B,)
    is the observed footprint's circumradius (needed when ``p_footprint`` or
    ``p_redshift`` > 0).
    """
    if not perturb:
        return maps
    batch, size = ops.shape(maps)[0], maps.shape[1]
    mv = _coin(settings.p_model_variation, batch, seed) if use_model_variation is None else use_model_variation
    x = ops.where(mv[:, None, None, None], model_variation, maps)
    if settings.p_footprint > 0:
        x = smaller_footprint(x, radius, settings, seed)

    noisy = _coin(settings.p_noise, batch, seed)
    factor = 1.0 + sigma * keras.random.normal(ops.shape(maps), seed=seed)
    x = ops.where(noisy[:, None, None, None], x * factor, x)
    if settings.p_redshift > 0:
        x = further_away(x, radius, settings, seed)

    if settings.flip_rotate:
        transpose = _coin(0.5, batch, seed)
        x = ops.where(transpose[:, None, None, None], ops.transpose(x, (0, 2, 1, 3)), x)
        left = flip_matrices(_coin(0.5, batch, seed), size)
        right = flip_matrices(_coin(0.5, batch, seed), size)
    else:
        left = right = ops.broadcast_to(ops.eye(size, dtype="float32")[None], (batch, size, size))

    lo, hi = settings.resize_range
    scale = keras.random.uniform((batch,), lo, hi, seed=seed)
    scale = ops.where(_coin(settings.p_resize, batch, seed), scale, ops.ones_like(scale))
    resize = resize_matrices(scale, size)

    s_lo, s_hi = settings.blur_sigma
    width = keras.random.uniform((batch,), s_lo, s_hi, seed=seed)
    blur = blur_matrices(width, size, settings.blur_kernel)
    blurred = _coin(settings.p_blur, batch, seed)[:, None, None]
    eye = ops.eye(size, dtype="float32")[None]
    blur = ops.where(blurred, blur, eye)

    left = ops.matmul(blur, ops.matmul(resize, left))
    right = ops.matmul(blur, ops.matmul(resize, right))
    return apply_separable(x, left, right)


class SurveyAugmenter(keras.layers.Layer):
    """The survey on the device and the two-view augmentation of a batch of indices.

    ``maps``, ``sigma`` and ``model_variation`` are (N, S, S, C) float32 arrays;
    they become non-trainable variables, so they are copied to the device once.
    """

    def __init__(self, maps, sigma, model_variation, settings: AugmentationSettings, seed: int, strata=None, **kwargs):
        super().__init__(**kwargs)
        self.settings = settings
        self.n_galaxies = int(maps.shape[0])
        self.maps = self._constant("maps", maps)
        # (N,) stratum of each galaxy for conditional negatives (manga_ssl.ssl.negatives), or None
        self.strata = None if strata is None else self._constant("negative_strata", strata)
        self.sigma = self._constant("sigma", sigma)
        self.model_variation = self._constant("model_variation", model_variation)
        self.radius = self._constant("footprint_radius", footprint_radius(np.asarray(maps)))
        subset = np.random.default_rng([seed, 0x5EED]).random(self.n_galaxies) < settings.p_model_variation
        self.fixed_subset = self._constant("fixed_model_variation_subset", subset.astype("float32"))
        self.seed_generator = keras.random.SeedGenerator(seed, name="augmentation_seed")

    def _constant(self, name, array):
        array = np.asarray(array, dtype="float32")
        return self.add_weight(
            name=name, shape=array.shape, initializer=_ArrayInitializer(array), trainable=False, dtype="float32"
        )

    def sample(self, batch_size):
        """``batch_size`` distinct galaxies, drawn on the device."""
        order = keras.random.shuffle(ops.arange(self.n_galaxies, dtype="int32"), seed=self.seed_generator)
        return order[:batch_size]

    def gather(self, indices):
        take = lambda v: ops.take(v, indices, axis=0)  # noqa: E731
        return take(self.maps), take(self.sigma), take(self.model_variation)

    def call(self, indices):
        maps, sigma, mv = self.gather(indices)
        s = self.settings
        fixed = ops.take(self.fixed_subset, indices, axis=0) > 0.5 if s.fixed_model_variation_subset else None
        radius = ops.take(self.radius, indices, axis=0)
        first = augment_view(
            maps,
            sigma,
            mv,
            s,
            self.seed_generator,
            use_model_variation=fixed,
            perturb=s.perturb_first_view,
            radius=radius,
        )
        second = augment_view(maps, sigma, mv, s, self.seed_generator, use_model_variation=fixed, radius=radius)
        return first, second


class _ArrayInitializer(keras.initializers.Initializer):
    """Initialise a variable from a numpy array without embedding it in a config."""

    def __init__(self, array):
        self.array = array

    def __call__(self, shape, dtype=None):
        return ops.convert_to_tensor(self.array, dtype=dtype)
