"""Pretext tasks: closed forms of the batches they build (rotations, jigsaw tiles, context patches, colours, masks)."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import zoo
from kgen.models.representation import (NEIGHBOURS, Colorization, ab_bin_centres, lab_to_rgb,
                                        maximal_hamming_permutations,
                                        min_hamming_distance, patch_positions, rebalancing_weights, rgb_to_lab,
                                        rotation_batch)

RNG = np.random.default_rng(0)
X = RNG.uniform(-1, 1, (5, 16, 16, 1)).astype("float32")


def test_rotation_batch_holds_all_four_rotations_of_every_image_with_their_labels():
    xr, labels = rotation_batch(tf.constant(X))
    xr, labels = xr.numpy(), labels.numpy()
    n = len(X)
    assert xr.shape == (4 * n, 16, 16, 1)
    np.testing.assert_array_equal(labels, np.repeat(np.arange(4), n))
    for k in range(4):
        for i in range(n):
            np.testing.assert_array_equal(xr[k * n + i], np.rot90(X[i], k, axes=(0, 1)))
    with pytest.raises(ValueError, match="square"):
        rotation_batch(tf.zeros((2, 8, 6, 1)))


def test_rotnet_reconstruct_turns_images_upright_by_the_predicted_rotation():
    model = zoo.build("rotnet", (16, 16, 1), tiny=True, seed=0)
    xr, _ = rotation_batch(tf.constant(X))
    k = model.predict_rotation(xr).numpy()
    out = model.reconstruct(xr).numpy()
    for row in range(len(xr)):
        np.testing.assert_array_equal(out[row], np.rot90(xr.numpy()[row], -k[row], axes=(0, 1)))


def _brute_force_max_min_distance(n_tiles, size):
    perms = np.array(list(itertools.permutations(range(n_tiles))))
    return max(min_hamming_distance(perms[list(c)]) for c in itertools.combinations(range(len(perms)), size))


def test_jigsaw_permutation_set_has_maximal_minimal_hamming_distance():
    small = maximal_hamming_permutations(4, num_tiles=4, seed=0)
    assert min_hamming_distance(small) == _brute_force_max_min_distance(4, 4) == 4
    nine = maximal_hamming_permutations(9, seed=0)
    assert min_hamming_distance(nine) == 9  # the upper bound: every position differs
    hundred = maximal_hamming_permutations(100, seed=0)
    assert len({tuple(p) for p in hundred}) == 100
    assert min_hamming_distance(hundred) >= 6
    for p in hundred:
        assert sorted(p) == list(range(9))
    with pytest.raises(ValueError, match="num_permutations"):
        maximal_hamming_permutations(1)


def test_jigsaw_tiles_are_the_permuted_cells_each_normalised_on_its_own():
    model = zoo.build("jigsaw", (16, 16, 1), tiny=True, seed=0)
    cell, t = model.cell, model.tile_size
    assert (cell, t) == (5, 4)
    perm = np.array([0, 1, 2, 3, 0], np.int32)
    offsets = RNG.integers(0, model.max_offset + 1, (5, 9, 2)).astype("int32")
    x = X * 3.0 + 1.5
    tiles = model.make_tiles(tf.constant(x), tf.constant(perm), tf.constant(offsets)).numpy()
    assert tiles.shape == (5, 9, t, t, 1)
    for n in range(5):
        for i in range(9):
            c = model.permutations[perm[n], i]
            r0, c0 = (c // 3) * cell + offsets[n, i, 0], (c % 3) * cell + offsets[n, i, 1]
            crop = x[n, r0:r0 + t, c0:c0 + t]
            want = (crop - crop.mean()) / np.sqrt(crop.var() + 1e-5)
            np.testing.assert_allclose(tiles[n, i], want, atol=1e-4)
            assert abs(tiles[n, i].mean()) < 1e-5 and abs(tiles[n, i].std() - 1) < 1e-3


def test_jigsaw_reconstruct_restores_the_image_when_the_permutation_is_recognised():
    model = zoo.build("jigsaw", (15, 15, 1), tiny=True, seed=0)
    x = tf.constant(RNG.uniform(-1, 1, (4, 15, 15, 1)).astype("float32"))
    # Force the head to answer "permutation i mod P" for row i by reading the true ids back.
    guess = (np.arange(4) % model.num_permutations).astype("int32")
    model.pretext_logits = lambda tiles, training=False: tf.one_hot(guess, model.num_permutations)
    np.testing.assert_allclose(model.reconstruct(x).numpy(), x.numpy())
    wrong = (guess + 1) % model.num_permutations
    model.pretext_logits = lambda tiles, training=False: tf.one_hot(wrong, model.num_permutations)
    assert not np.allclose(model.reconstruct(x).numpy(), x.numpy())


def test_context_patch_positions_have_gaps_and_jitter():
    size, p, gap = (32, 32), 8, 3
    labels = np.arange(8, dtype="int32")
    zero = np.zeros((8, 2, 2), "int32")
    tops, lefts = (a.numpy() for a in patch_positions(labels, zero, size, p, gap))
    origin = (32 - 3 * p - 2 * gap) // 2
    stride = p + gap
    for k, (dr, dc) in enumerate(NEIGHBOURS):
        assert (tops[k, 0], lefts[k, 0]) == (origin + stride, origin + stride)
        assert (tops[k, 1], lefts[k, 1]) == (origin + stride * (1 + dr), origin + stride * (1 + dc))
    jit = RNG.integers(-1, 2, (8, 2, 2)).astype("int32")
    jt, jl = (a.numpy() for a in patch_positions(labels, jit, size, p, gap))
    np.testing.assert_array_equal(jt - tops, jit[:, :, 0])
    np.testing.assert_array_equal(jl - lefts, jit[:, :, 1])
    # Patches never touch: along the axis they are neighbours on, at least gap - 2 * jitter pixels apart.
    for k, (dr, dc) in enumerate(NEIGHBOURS):
        sep_r = abs(jt[k, 1] - jt[k, 0]) - p if dr else p
        sep_c = abs(jl[k, 1] - jl[k, 0]) - p if dc else p
        assert max(sep_r, sep_c) >= gap - 2 > 0
    assert (jt >= 0).all() and (jt + p <= 32).all() and (jl >= 0).all() and (jl + p <= 32).all()


def test_context_prediction_batches_crop_the_drawn_pair_and_reject_touching_patches():
    model = zoo.build("context_prediction", (32, 32, 1), tiny=True, seed=0)
    assert (model.patch_size, model.gap, model.jitter) == (8, 3, 1)
    x = tf.constant(RNG.uniform(-1, 1, (6, 32, 32, 1)).astype("float32"))
    pairs, labels = model.pretext_batch(x)
    labels = labels.numpy()
    assert pairs.shape == (6, 2, 8, 8, 1) and labels.min() >= 0 and labels.max() < 8
    labels2 = np.array([0, 7, 3, 4, 1, 6], "int32")
    jit = RNG.integers(-1, 2, (6, 2, 2)).astype("int32")
    got = model.pair(x, labels2, jit).numpy()
    tops, lefts = (a.numpy() for a in model.positions(labels2, jit))
    for n in range(6):
        for j in range(2):
            np.testing.assert_array_equal(got[n, j], x.numpy()[n, tops[n, j]:tops[n, j] + 8, lefts[n, j]:lefts[n, j] + 8])
    with pytest.raises(ValueError, match="gap > 2"):
        zoo.build("context_prediction", (32, 32, 1), tiny=True, gap=2, jitter=1)


def test_lab_conversion_closed_forms():
    rgb = RNG.uniform(0, 1, (200, 3)).astype("float32")
    np.testing.assert_allclose(lab_to_rgb(rgb_to_lab(rgb)).numpy(), rgb, atol=1e-4)
    np.testing.assert_allclose(rgb_to_lab(np.array([[1.0, 1.0, 1.0]], "float32")).numpy(), [[100, 0, 0]], atol=1e-3)
    np.testing.assert_allclose(rgb_to_lab(np.array([[1.0, 0.0, 0.0]], "float32")).numpy(), [[53.24, 80.09, 67.20]],
                               atol=0.05)


def test_rebalancing_weights_closed_form():
    centres = ab_bin_centres(20.0)
    counts = RNG.integers(0, 50, len(centres)).astype(float)
    w = rebalancing_weights(counts, centres, lam=0.5, sigma=10.0)
    p = counts / counts.sum()
    d2 = ((centres[:, None] - centres[None]) ** 2).sum(-1)
    smooth = np.exp(-d2 / 200.0) @ p
    smooth /= smooth.sum()
    assert (smooth * w).sum() == pytest.approx(1.0, rel=1e-5)
    ratio = w * (0.5 * smooth + 0.5 / len(centres))
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-5)
    np.testing.assert_allclose(rebalancing_weights(counts, centres, lam=1.0), 1.0, rtol=1e-5)


def test_colorization_soft_targets_and_loss_weights():
    model = zoo.build("colorization", (8, 8, 3), tiny=True, seed=0, bin_size=20.0, gamut="square")
    x = RNG.uniform(-1, 1, (4, 8, 8, 3)).astype("float32")
    ab = model.lab(x)[..., 1:]
    z = model.soft_encode(ab).numpy()
    np.testing.assert_allclose(z.sum(-1), 1.0, atol=1e-5)
    assert ((z > 0).sum(-1) <= 5).all()
    np.testing.assert_array_equal(z.argmax(-1), model.nearest_bins(ab).numpy())
    weights = model.fit_class_weights(x)
    losses = model.compute_losses(tf.constant(x), training=False)
    logp = tf.nn.log_softmax(model.logits(x)).numpy()
    pix_w = weights[model.nearest_bins(ab).numpy()]
    want = np.mean(-(z * logp).sum(-1) * pix_w)
    assert float(losses["loss"]) == pytest.approx(want, rel=1e-4)
    out = model.reconstruct(x).numpy()
    np.testing.assert_allclose(model.lab(out)[..., 0].numpy(), model.lab(x)[..., 0].numpy(), atol=1.0)


def test_context_encoder_fakes_differ_only_inside_the_mask_and_l2_weighs_999():
    model = zoo.build("context_encoder", (16, 16, 1), tiny=True, seed=0)
    x = tf.constant(X)
    real, condition = model.unpack(x)
    mask = model.mask().numpy()
    assert mask.sum() == 64 and mask[0, 4:12, 4:12, 0].all()
    np.testing.assert_array_equal(condition.numpy() * (1 - mask), X * (1 - mask))
    np.testing.assert_array_equal(condition.numpy() * mask, 0.0)
    fakes = model.make_fakes(real, condition)
    np.testing.assert_array_equal(fakes.generated.numpy() * (1 - mask), X * (1 - mask))
    out = model.forward("generator", real, condition, fakes)
    terms = model.compute_generator_loss(out)
    err = ((fakes.generated.numpy() - X) ** 2)
    assert float(terms["reconstruction_loss"]) == pytest.approx(999.0 * err.mean(), rel=1e-5)
    assert float(terms["loss"]) == pytest.approx(
        float(terms["reconstruction_loss"]) + float(model.generator_adversarial_loss(out)), rel=1e-5)
    np.testing.assert_array_equal((model.reconstruct(X).numpy() - X) * (1 - mask), 0.0)


@pytest.mark.parametrize("name,shape", [("rotnet", (16, 16, 1)), ("jigsaw", (16, 16, 1)),
                                        ("context_prediction", (16, 16, 1)), ("colorization", (16, 16, 3)),
                                        ("context_encoder", (16, 16, 1))])
def test_every_pretext_model_exposes_encoder_and_features(name, shape):
    model = zoo.build(name, shape, tiny=True, seed=0)
    x = RNG.uniform(-1, 1, (3, *shape)).astype("float32")
    feats = np.asarray(model.features(x))
    assert feats.shape == (3, model.feature_dim)
    np.testing.assert_allclose(feats, np.asarray(model.encoder(x if name != "colorization" else x)), atol=1e-6)
    assert model.export_endpoints()[0].name == "features"
    with pytest.raises(ValueError, match="no prior"):
        model.generate(2)
    assert isinstance(model.encoder, keras.Model)


def test_context_colour_dropping_keeps_one_channel_per_patch_and_fills_the_others_with_faint_noise():
    from kgen.models.representation.context_prediction import drop_colours

    patches = RNG.uniform(-1, 1, (3, 2, 5, 5, 3)).astype("float32")
    keep = np.array([[0, 2], [1, 1], [2, 0]], "int32")
    noise = RNG.normal(size=patches.shape).astype("float32")
    got = drop_colours(patches, keep, noise, noise_scale=0.01).numpy()
    for n in range(3):
        for j in range(2):
            k = keep[n, j]
            np.testing.assert_array_equal(got[n, j, ..., k], patches[n, j, ..., k])
            for c in {0, 1, 2} - {k}:
                np.testing.assert_allclose(got[n, j, ..., c], 0.01 * patches[n, j, ..., k].std() * noise[n, j, ..., c],
                                           rtol=1e-4, atol=1e-7)
    # In the model: training pairs of RGB images keep exactly one channel of the crop per patch.
    model = zoo.build("context_prediction", (32, 32, 3), tiny=True, seed=0, colour_dropping=True)
    x = tf.constant(RNG.uniform(-1, 1, (4, 32, 32, 3)).astype("float32"))
    pairs, _ = model.pretext_batch(x, training=True)
    assert pairs.shape == (4, 2, 8, 8, 3)
    std = pairs.numpy().reshape(8, 64, 3).std(1)
    assert ((std > 0.3).sum(1) == 1).all() and ((std < 0.02).sum(1) == 2).all()
    assert model.get_config()["colour_dropping"] is True
    with pytest.raises(ValueError, match="colour_dropping"):
        zoo.build("context_prediction", (32, 32, 1), tiny=True, colour_dropping=True)


def test_colorization_classes_are_the_papers_313_in_gamut_bins():
    from kgen.models.representation import srgb_gamut_bins, zhang_gamut_bins

    paper = zhang_gamut_bins()
    assert paper.shape == (313, 2) and len(np.unique(paper, axis=0)) == 313
    assert not (paper % 10).any() and paper[:, 0].min() == -90 and paper[:, 1].min() == -110
    # The sRGB gamut computed with the Lab code: every cell it reaches is one of the 313, and every one of
    # the 313 is at most one bin from such a cell (the paper's set is the gamut and a one-bin rim).
    srgb = srgb_gamut_bins(10.0)
    assert 255 <= len(srgb) <= 270
    assert {tuple(v) for v in srgb} <= {tuple(v) for v in paper}
    assert np.abs(paper[:, None] - srgb[None]).max(-1).min(1).max() == 10.0
    # Every 8-bit colour's nearest bin centre lies inside its own bin (|da|, |db| <= 5): no colour is lost.
    lv = np.linspace(0, 1, 18)
    rgb = np.stack(np.meshgrid(lv, lv, lv, indexing="ij"), -1).reshape(-1, 3).astype("float32")
    ab = rgb_to_lab(rgb).numpy()[:, 1:]
    nearest = paper[((ab[:, None] - paper[None]) ** 2).sum(-1).argmin(1)]
    assert np.abs(nearest - ab).max() <= 5.0 + 1e-3
    model = zoo.build("colorization", (8, 8, 3), filters=(4,), seed=0)
    assert model.num_bins == 313 and model.head.output_shape[-1] == 313 and model.gamut == "zhang"
    assert Colorization.from_config(model.get_config()).num_bins == 313
    with pytest.raises(ValueError, match="grid size 10"):
        zoo.build("colorization", (8, 8, 3), tiny=True, bin_size=20.0, gamut="zhang")
