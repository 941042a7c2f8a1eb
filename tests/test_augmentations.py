"""Augmentations (paper Section 3.2): known answers on constructed maps."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import ops  # noqa: E402

from manga_ssl.ssl.augmentations import (
    AugmentationSettings,
    SurveyAugmenter,
    augment_view,
    blur_matrices,
    cubic_kernel,
    resize_matrices,
)

S = 32
OFF = dict(p_model_variation=0.0, p_noise=0.0, p_resize=0.0, p_blur=0.0, flip_rotate=False)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _view(maps, sigma=None, mv=None, seed=0, **settings):
    maps = np.asarray(maps, np.float32)
    sigma = np.zeros_like(maps) if sigma is None else sigma
    mv = np.zeros_like(maps) if mv is None else mv
    s = AugmentationSettings(**{**OFF, **settings})
    return _np(augment_view(maps, sigma, mv, s, keras.random.SeedGenerator(seed)))


def _dihedral(x):
    """The eight flips/rotations of (S, S, C) maps."""
    out = []
    for k in range(4):
        r = np.rot90(x, k, axes=(0, 1))
        out += [r, r[:, ::-1]]
    return out


def test_no_augmentation_is_the_identity():
    maps = np.random.default_rng(0).random((4, S, S, 5)).astype(np.float32)
    assert np.allclose(_view(maps), maps, atol=1e-6)


def test_flip_rotate_gives_the_eight_dihedral_images_exactly():
    rng = np.random.default_rng(1)
    maps = rng.random((64, S, S, 3)).astype(np.float32)
    out = _view(maps, flip_rotate=True, seed=3)
    seen = set()
    for x, y in zip(maps, out):
        hits = [k for k, d in enumerate(_dihedral(x)) if np.allclose(d, y, atol=1e-6)]
        assert len(hits) == 1
        seen.add(hits[0])
    assert seen == set(range(8))  # all eight occur over 64 galaxies


def test_cubic_kernel_interpolates_and_unit_scale_is_identity():
    assert np.allclose(_np(cubic_kernel(ops.convert_to_tensor([0.0, 1.0, 2.0, -1.0, 3.0]))), [1, 0, 0, 0, 0])
    m = _np(resize_matrices(ops.convert_to_tensor([1.0]), S))[0]
    assert np.allclose(m, np.eye(S), atol=1e-6)


@pytest.mark.parametrize("scale", [0.75, 0.9, 1.1, 1.25])
def test_resize_scales_a_centred_gaussian(scale):
    y, x = np.mgrid[:S, :S] - (S - 1) / 2
    width = 3.0
    blob = np.exp(-(x**2 + y**2) / (2 * width**2)).astype(np.float32)
    m = _np(resize_matrices(ops.convert_to_tensor([scale]), S))[0]
    out = m @ blob @ m.T
    expected = np.exp(-(x**2 + y**2) / (2 * (width * scale) ** 2))
    assert np.abs(out - expected).max() < 0.02
    # centred: the first moments stay at the centre
    assert abs((out * x).sum() / out.sum()) < 1e-4 and abs((out * y).sum() / out.sum()) < 1e-4


def test_resize_range_is_respected():
    blob = np.zeros((200, S, S, 1), np.float32)
    yy, xx = np.mgrid[:S, :S] - (S - 1) / 2
    blob[..., 0] = np.exp(-(xx**2 + yy**2) / (2 * 3.0**2))
    out = _view(blob, p_resize=1.0, resize_range=(0.75, 1.25), seed=5)
    r2 = lambda im: ((xx**2 + yy**2) * im).sum() / im.sum()  # noqa: E731
    ratio = np.sqrt(np.array([r2(o[..., 0]) for o in out]) / r2(blob[0, ..., 0]))
    assert 0.72 < ratio.min() < 0.8 and 1.2 < ratio.max() < 1.28
    assert abs(np.median(ratio) - 1.0) < 0.06


def test_blur_is_a_normalised_gaussian_of_the_right_width():
    sigma = 1.0
    m = _np(blur_matrices(ops.convert_to_tensor([sigma]), S, 3))[0]
    delta = np.zeros((S, S), np.float32)
    delta[15, 15] = 1
    out = m @ delta @ m.T
    k = np.exp(-(np.arange(-1, 2) ** 2) / (2 * sigma**2))
    k /= k.sum()
    assert np.allclose(out[14:17, 14:17], np.outer(k, k), atol=1e-6)
    assert np.isclose(out.sum(), 1.0) and np.count_nonzero(out > 1e-9) == 9
    wide = _np(blur_matrices(ops.convert_to_tensor([sigma]), S, 33))[0]
    assert np.count_nonzero((wide @ delta @ wide.T) > 1e-9) > 100  # the released code's 33x33 kernel


def test_noise_is_multiplicative_with_the_pixel_sigma():
    maps = np.full((400, S, S, 2), 0.5, np.float32)
    maps[:, :4] = 0.0  # zero (masked) pixels stay zero
    sigma = np.zeros_like(maps)
    sigma[..., 0], sigma[..., 1] = 0.1, 0.02
    out = _view(maps, sigma=sigma, p_noise=1.0, seed=2)
    ratio = out[:, 4:] / 0.5
    assert abs(ratio[..., 0].mean() - 1) < 0.005 and abs(ratio[..., 0].std() - 0.1) < 0.003
    assert abs(ratio[..., 1].std() - 0.02) < 0.001
    assert np.all(out[:, :4] == 0)
    half = _view(maps, sigma=sigma, p_noise=0.5, seed=4)
    untouched = np.all(half[:, 4:] == 0.5, axis=(1, 2, 3))
    assert 0.4 < untouched.mean() < 0.6


def test_model_variation_replaces_a_quarter_of_the_views():
    maps = np.zeros((2000, 8, 8, 1), np.float32)
    mv = np.ones_like(maps)
    out = _view(maps, mv=mv, p_model_variation=0.25, seed=9)
    replaced = out.reshape(len(out), -1).mean(axis=1) == 1.0
    assert abs(replaced.mean() - 0.25) < 0.03


def test_augmenter_views_and_paper_code_compat():
    rng = np.random.default_rng(0)
    maps = rng.random((50, S, S, 2)).astype(np.float32)
    aug = SurveyAugmenter(maps, np.full_like(maps, 0.05), 1 - maps, AugmentationSettings(), seed=1)
    idx = _np(aug.sample(20))
    assert len(set(idx.tolist())) == 20 and idx.min() >= 0 and idx.max() < 50
    a, b = (_np(v) for v in aug(ops.convert_to_tensor(idx)))
    assert a.shape == b.shape == (20, S, S, 2) and not np.allclose(a, b)

    compat = AugmentationSettings().paper_code_compat()
    assert compat.blur_kernel == 33 and compat.resize_range == (0.5, 1.33) and not compat.perturb_first_view
    aug = SurveyAugmenter(maps, np.full_like(maps, 0.05), 1 - maps, compat, seed=1)
    first, _ = (_np(v) for v in aug(ops.convert_to_tensor(np.arange(50, dtype="int32"))))
    assert np.array_equal(first, maps)  # only the second view is perturbed
    subset = _np(aug.fixed_subset) > 0.5
    assert 0.1 < subset.mean() < 0.45  # 25% of the galaxies, drawn once


def test_same_seed_same_views():
    maps = np.random.default_rng(0).random((16, S, S, 3)).astype(np.float32)
    s = AugmentationSettings(p_noise=1.0, p_resize=1.0, p_blur=1.0)
    views = [_np(augment_view(maps, np.full_like(maps, 0.1), maps, s, keras.random.SeedGenerator(7))) for _ in range(2)]
    assert np.array_equal(*views)


def test_four_quarter_turns_are_the_identity_and_flips_preserve_values():
    """The dihedral matrices: transpose + flips; values are permuted, never changed."""
    from manga_ssl.ssl.augmentations import flip_matrices

    x = np.random.default_rng(3).random((1, S, S, 2)).astype(np.float32)
    f = _np(flip_matrices(ops.convert_to_tensor([True]), S))
    eye = np.eye(S, dtype=np.float32)[None]

    def quarter(m):  # rot90 = transpose then flip the rows
        t = np.transpose(m, (0, 2, 1, 3))
        return np.einsum("bij,bjkc,blk->bilc", f, t, eye)

    y = x
    for _ in range(4):
        y = quarter(y)
    assert np.allclose(y, x)
    assert np.allclose(quarter(x)[0], np.rot90(x[0], 1), atol=0) or np.allclose(quarter(x)[0], np.rot90(x[0], -1))
    out = _view(np.repeat(x, 16, axis=0), flip_rotate=True, seed=1)
    assert np.allclose(np.sort(out.reshape(16, -1), axis=1), np.sort(x.reshape(1, -1), axis=1))


def test_blur_leaves_a_constant_map_unchanged_inside():
    ones = np.ones((20, S, S, 1), np.float32)
    out = _view(ones, p_blur=1.0, seed=1)
    assert np.allclose(out[:, 1:-1, 1:-1], 1.0, atol=1e-5)  # the edge sees the zero padding


def test_resize_keeps_the_zero_padding_zero():
    maps = np.zeros((50, S, S, 1), np.float32)
    maps[:, 10:22, 10:22] = 1.0  # a 12x12 footprint in the 32x32 frame
    out = _view(maps, p_resize=1.0, resize_range=(0.75, 1.25), seed=4)
    # at most 1.25 x 12 = 15 pixels wide, plus the 2-pixel cubic support
    border = np.ones((S, S), bool)
    border[6:26, 6:26] = False
    assert np.all(np.abs(out[:, border]) < 1e-6)


# --------------------------------------------------------------------------
# Beyond the paper: re-observation through a smaller fibre bundle
# --------------------------------------------------------------------------


def _filled_hexagon_survey(n=16, radius=14.0):
    from manga_ssl.ssl.augmentations import hexagon_masks

    mask = _np(hexagon_masks(np.full(n, radius, np.float32), np.zeros(n, np.float32), np.zeros((n, 2), np.float32), S))
    return (mask[..., None] * np.linspace(0.2, 1.0, 5, dtype=np.float32)).astype(np.float32)


@pytest.mark.parametrize("radius", [6.25, 10.0, 15.0])
def test_hexagon_mask_has_the_area_of_a_regular_hexagon(radius):
    from manga_ssl.ssl.augmentations import hexagon_masks

    for angle in (0.0, 0.4, 1.0):
        mask = _np(
            hexagon_masks(
                np.array([radius], np.float32), np.array([angle], np.float32), np.zeros((1, 2), np.float32), S
            )
        )[0]
        area = 1.5 * np.sqrt(3.0) * radius**2
        assert abs(mask.sum() - area) < 2.5 * radius  # pixelisation along the perimeter only
        assert np.array_equal(mask, mask[::-1, ::-1])  # centred: point-symmetric


def test_footprint_radius_of_a_disc():
    from manga_ssl.ssl.augmentations import footprint_radius

    g = np.arange(S) - (S - 1) / 2
    r = np.hypot(g[:, None], g[None, :])
    maps = np.stack([(r <= 5.0), (r <= 9.0), np.zeros_like(r, bool)])[..., None].astype(np.float32)
    got = footprint_radius(maps)
    assert got[0] == pytest.approx(5.0, abs=0.6) and got[1] == pytest.approx(9.0, abs=0.6) and got[2] == 0


def test_smaller_footprint_keeps_a_hexagon_inside_the_observed_one():
    from manga_ssl.ssl.augmentations import footprint_radius

    maps = _filled_hexagon_survey(radius=14.0)
    radius = footprint_radius(maps)
    views = _np(
        augment_view(
            maps,
            np.zeros_like(maps),
            maps,
            AugmentationSettings(**OFF, p_footprint=1.0, footprint_scale=(0.5, 0.8), footprint_offset=0.0),
            keras.random.SeedGenerator(3),
            radius=radius,
        )
    )
    kept = (views != 0).any(-1).sum(axis=(1, 2))
    observed = (maps != 0).any(-1).sum(axis=(1, 2))
    # Pixels are only removed, never changed or added.
    assert np.all((views == 0) | (views == maps))
    # A hexagon of 0.5-0.8 the circumradius keeps 0.25-0.64 of the area (pixelisation aside).
    assert np.all(kept >= 0.2 * observed) and np.all(kept <= 0.7 * observed)
    assert len(np.unique(kept)) > 4  # a different bundle for each galaxy


def test_footprint_never_below_the_smallest_bundle_and_off_by_default():
    from manga_ssl.ssl.augmentations import footprint_radius

    maps = _filled_hexagon_survey(radius=8.0)
    views = _np(
        augment_view(
            maps,
            np.zeros_like(maps),
            maps,
            AugmentationSettings(
                **OFF, p_footprint=1.0, footprint_scale=(0.1, 0.2), footprint_min_radius=6.25, footprint_offset=0.0
            ),
            keras.random.SeedGenerator(0),
            radius=footprint_radius(maps),
        )
    )
    kept = (views != 0).any(-1).sum(axis=(1, 2))
    assert np.all(kept >= 0.8 * 1.5 * np.sqrt(3) * 6.25**2)
    assert AugmentationSettings().p_footprint == 0  # the paper's augmentations by default
    paper = _view(maps, seed=5, p_noise=0.5, p_resize=0.5, p_blur=0.5, flip_rotate=True)
    again = _np(
        augment_view(
            maps,
            np.zeros_like(maps),
            np.zeros_like(maps),
            AugmentationSettings(**{**OFF, "p_noise": 0.5, "p_resize": 0.5, "p_blur": 0.5, "flip_rotate": True}),
            keras.random.SeedGenerator(5),
            radius=footprint_radius(maps),
        )
    )
    assert np.array_equal(paper, again)  # with p_footprint = 0 the radius changes nothing


def _further(maps, seed=0, **settings):
    from manga_ssl.ssl.augmentations import footprint_radius

    s = AugmentationSettings(**{**OFF, "p_redshift": 1.0, **settings})
    return _np(
        augment_view(
            maps, np.zeros_like(maps), maps, s, keras.random.SeedGenerator(seed), radius=footprint_radius(maps)
        )
    )


def test_further_away_keeps_the_psf_while_the_galaxy_shrinks():
    # A Gaussian galaxy of width 3 px seen through a Gaussian PSF of FWHM 2.53 px: moved to
    # 0.6 of its apparent size, the galaxy is 1.8 px wide and the PSF still 1.074 px, so the
    # image's width is their sum in quadrature, not 0.6 of the observed width (the resize).
    psf = 2.53 / 2.3548
    g = np.arange(S) - (S - 1) / 2
    r2 = g[:, None] ** 2 + g[None, :] ** 2
    observed = np.sqrt(3.0**2 + psf**2)
    maps = np.exp(-r2 / (2 * observed**2))[None, :, :, None].astype(np.float32)
    view = _further(maps, redshift_scale=(0.6, 0.6), footprint_min_radius=0.0)[0, :, :, 0]
    width = np.sqrt((r2 * view).sum() / view.sum() / 2)
    assert width == pytest.approx(np.hypot(0.6 * 3.0, psf), rel=0.03)
    assert abs(width - 0.6 * observed) > 0.1  # what a plain resize would give
    # Surface brightness does not change with distance; the added blur lowers the peak.
    assert view[15:17, 15:17].mean() < 0.9 * maps[0, 15:17, 15:17, 0].mean()


def test_further_away_shrinks_the_footprint_without_darkening_its_edge():
    maps = _filled_hexagon_survey(n=4, radius=14.0)
    views = _further(maps, redshift_scale=(0.6, 0.6), footprint_min_radius=0.0)
    kept = (views != 0).any(-1).sum(axis=(1, 2))
    observed = (maps != 0).any(-1).sum(axis=(1, 2))
    assert np.all(np.abs(kept / observed - 0.36) < 0.06)  # the area scales as the size squared
    inside = views[..., 0] != 0
    # A map constant over the footprint stays constant to its edge (normalised convolution).
    assert np.allclose(views[inside][:, 0], 0.2, rtol=1e-3) and np.allclose(views[inside][:, 4], 1.0, rtol=1e-3)


def test_further_away_never_below_the_smallest_bundle_and_off_by_default():
    maps = _filled_hexagon_survey(n=8, radius=8.0)
    views = _further(maps, redshift_scale=(0.1, 0.2), footprint_min_radius=6.25)
    kept = (views != 0).any(-1).sum(axis=(1, 2))
    area = 1.5 * np.sqrt(3) * 6.25**2
    assert np.all(kept >= 0.85 * area) and np.all(kept <= 1.15 * area)
    assert AugmentationSettings().p_redshift == 0  # the paper's augmentations by default
    half = _further(maps, seed=2, p_redshift=0.5, redshift_scale=(0.6, 0.8), footprint_min_radius=0.0)
    moved = np.any(half != maps, axis=(1, 2, 3))
    assert 0 < moved.sum() < len(maps)  # each view is moved or left with its own coin
