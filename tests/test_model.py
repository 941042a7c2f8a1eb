"""The contrastive model (paper Section 3.1): architecture and equation (1)."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import ops  # noqa: E402

from manga_ssl.ssl.model import build_encoder, build_projection_head, nt_xent


def nt_xent_reference(z, t):
    """Equation (1) written term by term."""
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n2 = len(z)
    n = n2 // 2
    total = 0.0
    for i in range(n2):
        j = (i + n) % n2
        denom = sum(np.exp(z[i] @ z[k] / t) for k in range(n2) if k != i)
        total += -np.log(np.exp(z[i] @ z[j] / t) / denom)
    return total / n2


def test_loss_matches_equation_1():
    z = np.random.default_rng(0).normal(size=(12, 5)).astype(np.float32)
    for t in (0.5, 0.1, 1.0):
        assert np.isclose(float(nt_xent(z, t)), nt_xent_reference(z.astype(np.float64), t), rtol=1e-4)


def test_loss_known_answer_for_aligned_orthogonal_pairs():
    n, t = 4, 0.5
    e = np.eye(n, dtype=np.float32)
    z = np.concatenate([e, 3 * e])  # norms differ: z is L2-normalised first
    expected = -np.log(np.exp(1 / t) / (np.exp(1 / t) + 2 * n - 2))
    assert np.isclose(float(nt_xent(z, t)), expected, rtol=1e-5)
    # swapping the partners makes the loss larger
    assert float(nt_xent(np.concatenate([e, e[::-1]]), t)) > expected + 0.5


def test_paper_architecture():
    enc = build_encoder((32, 32, 5))
    convs = [layer for layer in enc.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [128, 256, 512, 1024]
    assert [c.kernel_size for c in convs] == [(5, 5), (3, 3), (3, 3), (3, 3)]
    assert sum(isinstance(layer, keras.layers.MaxPooling2D) for layer in enc.layers) == 3
    assert all(c.activation.__name__ == "elu" for c in convs)
    assert enc.output_shape == (None, 1024)
    head = build_projection_head(1024)
    assert [d.units for d in head.layers if isinstance(d, keras.layers.Dense)] == [512, 128, 64]
    h = enc(np.zeros((2, 32, 32, 5), np.float32))
    assert tuple(ops.shape(head(h))) == (2, 64)


def test_mismatched_widths_are_refused():
    with pytest.raises(ValueError, match="kernel_sizes"):
        build_encoder((32, 32, 5), (8, 16), (3,))


def test_masked_average_pooling_averages_over_the_footprint_only():
    from manga_ssl.ssl.model import MaskedAveragePooling

    maps = np.zeros((1, 8, 8, 2), np.float32)
    maps[0, :4, :4, 0] = 1.0  # footprint: the top-left 4x4 pixels -> the top-left 2x2 features
    features = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    h = np.asarray(MaskedAveragePooling(1)(features, maps))
    assert h[0, 0] == pytest.approx(np.mean([0, 1, 4, 5]))  # plain average pooling would give 7.5


def test_masked_average_encoder_ignores_how_much_padding_surrounds_the_footprint():
    # 1x1 kernels: a feature depends on its own pixel only, so for a constant galaxy the
    # features inside the (pool-aligned) footprint equal those of a full-frame galaxy, for any
    # weights; the masked mean is then exactly the full-frame h, the plain mean is not.
    keras.utils.set_random_seed(3)
    enc = build_encoder((16, 16, 1), (3, 3), (1, 1), global_pooling="masked_average")
    small = np.zeros((1, 16, 16, 1), np.float32)
    small[0, 4:12, 4:12] = 0.7
    full = np.full((1, 16, 16, 1), 0.7, np.float32)
    plain = build_encoder((16, 16, 1), (3, 3), (1, 1), global_pooling="average")
    plain.set_weights(enc.get_weights())
    np.testing.assert_allclose(np.asarray(enc(small)), np.asarray(enc(full)), rtol=1e-6)
    assert np.abs(np.asarray(plain(small)) - np.asarray(plain(full))).max() > 1e-3
    with pytest.raises(ValueError, match="masked_average"):
        build_encoder((16, 16, 1), (3,), (3,), global_pooling="median")


def test_dihedral_average_makes_h_exactly_invariant_to_rotations_and_flips():
    from manga_ssl.ssl.model import dihedral_transforms, embed

    keras.utils.set_random_seed(3)
    enc = build_encoder((8, 8, 3), conv_filters=(4, 6), kernel_sizes=(3, 3))
    maps = np.random.default_rng(0).normal(size=(5, 8, 8, 3)).astype(np.float32)
    images = dihedral_transforms(maps)
    assert len(images) == 8
    # the eight images are distinct: the group, not a repeat of some of its elements
    assert len({im.tobytes() for im in images}) == 8
    plain = [embed(enc, im) for im in images]
    # a plain encoder is not invariant, so the test below is not empty
    assert max(np.abs(p - plain[0]).max() for p in plain) > 1e-3
    averaged = embed(enc, maps, dihedral_average=True)
    assert np.allclose(averaged, np.mean(plain, axis=0), atol=1e-6)
    for im in (np.rot90(maps, 1, axes=(1, 2)), np.flip(maps, axis=1), np.swapaxes(maps, 1, 2)):
        assert np.allclose(embed(enc, im, dihedral_average=True), averaged, atol=1e-5)
    # batching does not change it
    assert np.allclose(embed(enc, maps, batch_size=2, dihedral_average=True), averaged, atol=1e-6)


def test_forward_pass_is_each_galaxys_own_output_in_batches_of_one_shape(caplog):
    """h of a galaxy is its own output whatever the batch and the padding of the last one, and
    embedding with many encoders, as placement does, logs no retracing warning."""
    from manga_ssl.ssl.model import forward_pass

    rng = np.random.default_rng(3)
    maps = rng.normal(size=(7, 16, 16, 2)).astype(np.float32)
    encoders = []
    for seed in range(6):
        keras.utils.set_random_seed(seed)
        encoders.append(build_encoder((16, 16, 2), conv_filters=(4, 6), kernel_sizes=(3, 3)))
    one_by_one = np.concatenate([np.asarray(encoders[0].predict_on_batch(m[None])) for m in maps])
    with caplog.at_level("WARNING"):
        for batch in (3, 7, 100):  # a padded last batch, one batch, a batch larger than the survey
            assert np.allclose(forward_pass(encoders[0], maps, batch), one_by_one, atol=1e-6)
        outputs = [forward_pass(enc, maps, 3) for enc in encoders]
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
    assert len({np.round(o[0, 0], 6) for o in outputs}) == 6  # each encoder's own h


def test_central_aperture_hides_everything_outside_the_same_circle_for_every_galaxy():
    from manga_ssl.ssl.model import aperture_mask, dihedral_transforms, embed

    mask = aperture_mask(32, 5.0)
    assert mask.sum() == 80 and mask[15, 15] and mask[16, 16] and not mask[15, 21] and not mask[9, 15]
    # a circle about the grid's centre: every rotation and flip leaves it as it is
    assert all(np.array_equal(m[0, :, :, 0], mask) for m in dihedral_transforms(mask[None, :, :, None]))
    keras.utils.set_random_seed(4)
    enc = build_encoder((32, 32, 2), conv_filters=(4, 6), kernel_sizes=(3, 3))
    rng = np.random.default_rng(1)
    small = rng.normal(size=(3, 32, 32, 2)).astype(np.float32) * mask[None, :, :, None]
    large = small + rng.normal(size=small.shape).astype(np.float32) * ~mask[None, :, :, None]  # a wider footprint
    assert np.abs(embed(enc, small) - embed(enc, large)).max() > 1e-3  # the plain h sees the difference
    assert np.array_equal(embed(enc, small, central_aperture=5.0), embed(enc, large, central_aperture=5.0))
    assert np.allclose(embed(enc, large, central_aperture=5.0), embed(enc, small), atol=1e-6)
    both = embed(enc, large, dihedral_average=True, central_aperture=5.0)
    assert np.allclose(both, embed(enc, np.rot90(small, 1, axes=(1, 2)), dihedral_average=True), atol=1e-5)


def test_augmented_views_average_h_over_copies_drawn_as_in_training():
    from dataclasses import replace

    from manga_ssl.ssl.augmentations import AugmentationSettings
    from manga_ssl.ssl.model import augmented_copies, embed

    keras.utils.set_random_seed(5)
    enc = build_encoder((16, 16, 2), conv_filters=(4, 6), kernel_sizes=(3, 3))
    rng = np.random.default_rng(2)
    maps = np.abs(rng.normal(size=(6, 16, 16, 2))).astype(np.float32)
    maps[:, :3], maps[:, -3:] = 0.0, 0.0  # a footprint, as the padding leaves it
    sigma = np.full_like(maps, 0.2)
    mv = (maps * 1.1).astype(np.float32)
    paper = AugmentationSettings()
    kw = dict(sigma=sigma, model_variation=mv, augmentations=paper, dihedral_average=True)
    h = embed(enc, maps, augmented_views=3, seed=7, **kw)
    # the copies come from the seed: the same seed, the same h; another seed, another h
    assert np.array_equal(h, embed(enc, maps, augmented_views=3, seed=7, **kw))
    assert np.abs(h - embed(enc, maps, augmented_views=3, seed=8, **kw)).max() > 1e-4
    # known answer: the mean of h over the copies themselves, each seen in its 8 rotations and flips
    copies = list(augmented_copies(maps, sigma, mv, paper, 3, 7, dihedral_average=True))
    assert len(copies) == 3 and not np.allclose(copies[0], copies[1])
    expected = np.mean([embed(enc, c, dihedral_average=True) for c in copies], axis=0)
    assert np.allclose(h, expected, atol=1e-5)
    # with every augmentation off, each copy is the maps: h is the dihedral average itself
    off = replace(paper, p_model_variation=0.0, p_noise=0.0, p_resize=0.0, p_blur=0.0)
    still = embed(enc, maps, augmented_views=2, seed=7, **{**kw, "augmentations": off})
    assert np.allclose(still, embed(enc, maps, dihedral_average=True), atol=1e-5)
    # batching does not change the draws
    assert np.allclose(embed(enc, maps, batch_size=4, augmented_views=3, seed=7, **kw), h, atol=1e-5)
    with pytest.raises(ValueError, match="model variation"):
        embed(enc, maps, augmented_views=2)


def test_conditional_negatives_are_the_strata_losses_weighted_by_their_sizes():
    """With strata, each view's denominator holds only its own stratum: the loss over the
    batch is the size-weighted mean of equation (1) over each stratum's galaxies alone, so
    one stratum's views cannot change another's loss."""
    rng = np.random.default_rng(1)
    n, t = 9, 0.5
    z = rng.normal(size=(2 * n, 6)).astype(np.float32)
    strata = np.array([0, 1, 0, 2, 1, 0, 2, 1, 0])
    expected = 0.0
    for s in np.unique(strata):
        rows = np.flatnonzero(strata == s)
        sub = np.concatenate([z[rows], z[rows + n]]).astype(np.float64)
        expected += len(rows) / n * nt_xent_reference(sub, t)
    assert np.isclose(float(nt_xent(z, t, strata.astype(np.float32))), expected, rtol=1e-4)
    # one stratum: the paper's loss; every galaxy alone: only its positive is left, loss 0
    assert np.isclose(float(nt_xent(z, t, np.zeros(n, np.float32))), float(nt_xent(z, t)), rtol=1e-6)
    assert abs(float(nt_xent(z, t, np.arange(n, dtype=np.float32)))) < 1e-6


def test_embed_replicas_writes_each_replicas_h_with_its_seed(tmp_path):
    """The embed_simclr job: one table per replica, each the h of its own encoder."""
    from manga_ssl.ssl.embedding import embed_replicas
    from manga_ssl.ssl.model import embed
    from manga_ssl.ssl.representations import read_representation

    rng = np.random.default_rng(0)
    n, channels = 6, ["flux_v", "age"]
    maps = rng.random((n, 16, 16, 3)).astype(np.float32)
    tensors = tmp_path / "relative.npz"
    np.savez(
        tensors,
        maps=maps,
        sigma=np.zeros_like(maps),
        model_variation=maps,
        channels=np.array(["flux_v", "vel", "age"]),
        plateifu=np.array([f"1-{k}" for k in range(n)]),
        normalisation=np.array("relative"),
    )
    encoders, outputs = [], []
    for seed in (3, 5):
        keras.utils.set_random_seed(seed)
        path = tmp_path / f"encoder{seed}.keras"
        build_encoder((16, 16, 2), (4, 8), (3, 3)).save(path)
        encoders.append(path)
        outputs.append(tmp_path / f"h-seed{seed}.parquet")
    embed_replicas(encoders, tensors, channels, outputs, [3, 5])

    for path, out, seed in zip(encoders, outputs, (3, 5)):
        ids, h, meta = read_representation(out)
        assert list(ids) == [f"1-{k}" for k in range(n)]
        expected = embed(keras.models.load_model(path, compile=False), maps[..., [0, 2]])
        np.testing.assert_allclose(h, expected, rtol=1e-5, atol=1e-6)
        assert meta["seed"] == seed and meta["channels"] == channels
    # two encoders, two different representations
    assert not np.allclose(read_representation(outputs[0])[1], read_representation(outputs[1])[1])
    with pytest.raises(ValueError, match="one of each per replica"):
        embed_replicas(encoders, tensors, channels, outputs[:1], [3, 5])
