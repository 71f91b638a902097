"""Image-to-image networks: shapes, the PatchGAN's stated receptive field, U-Net norms, reflect padding, shuffle."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.networks.translation import (InferenceDropout, ReflectionPadding2D, SubPixelUpsampling,
                                       build_patchgan_discriminator, build_resnet_generator,
                                       build_sr_discriminator, build_srresnet, build_unet_generator,
                                       patchgan_receptive_field)


@pytest.mark.parametrize("size", [2, 8, 16, 32])
def test_unet_any_power_of_two_size_and_channels(size):
    g = build_unet_generator((size, size, 1), out_channels=3, base_filters=4)
    assert g.output_shape == (None, size, size, 3)
    y = np.asarray(g(np.random.default_rng(0).uniform(-1, 1, (2, size, size, 1)).astype("float32")))
    assert y.shape == (2, size, size, 3) and np.abs(y).max() <= 1.0


def test_unet_has_no_norm_on_first_and_innermost_blocks_and_dropout_in_first_three_decoders():
    g = build_unet_generator((32, 32, 3), base_filters=4)  # depth 5: down0..down4
    names = {layer.name for layer in g.layers}
    assert "down0_norm" not in names and "down4_norm" not in names
    assert {"down1_norm", "down2_norm", "down3_norm"} <= names
    assert sorted(n for n in names if n.endswith("_dropout")) == ["up0_dropout", "up1_dropout", "up2_dropout"]
    assert g.get_layer("down4_conv").output.shape[1:3] == (1, 1)
    # Why the innermost block has none: per-image normalisation of a 1x1 map is zero.
    one_by_one = np.random.default_rng(0).normal(size=(2, 1, 1, 8)).astype("float32")
    norm = keras.layers.GroupNormalization(groups=-1)
    assert np.abs(np.asarray(norm(one_by_one))).max() < 1e-5


def test_unet_skips_carry_the_input():
    # Gradient of the output w.r.t. the input reaches it through the outermost skip too.
    g = build_unet_generator((8, 8, 1), base_filters=4)
    x = tf.constant(np.random.default_rng(1).uniform(-1, 1, (1, 8, 8, 1)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = g(x)[0, 4, 4, 0]
    assert float(tf.reduce_sum(tf.abs(tape.gradient(y, x)))) > 0
    assert isinstance(g.get_layer("up0_skip"), keras.layers.Concatenate)


def test_inference_dropout_is_off_by_default_and_can_stay_on():
    layer = InferenceDropout(0.5, seed=0)
    x = np.ones((4, 16), "float32")
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    layer.active = True
    y = np.asarray(layer(x))
    assert set(np.unique(y)) == {0.0, 2.0}


def _empirical_receptive_field(d, size, channels, conditional):
    """Extent (pixels) of the input that the central output logit depends on."""
    for layer in d.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel, bias = layer.get_weights()
            layer.set_weights([np.abs(kernel) + 0.01, bias])  # no cancellation
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (1, size, size, channels)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = d([x, x] if conditional else x, training=False)
        c = out.shape[1] // 2
        y = out[0, c, c, 0]
    g = np.abs(np.asarray(tape.gradient(y, x)))[0].sum(-1)
    rows = np.where(g.sum(1) > 0)[0]
    cols = np.where(g.sum(0) > 0)[0]
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize("n_layers,expected", [(3, 70), (2, 34), (1, 16)])
def test_patchgan_receptive_field_is_the_stated_one(n_layers, expected):
    assert patchgan_receptive_field(n_layers) == expected
    size = 128 if n_layers == 3 else 64
    d = build_patchgan_discriminator((size, size, 1), n_layers=n_layers, base_filters=2, max_filters=4)
    assert d.output_shape == (None, size // 2 ** n_layers, size // 2 ** n_layers, 1)
    assert _empirical_receptive_field(d, size, 1, True) == (expected, expected)


def test_patchgan_conditional_concatenates_the_input_and_unconditional_takes_images_only():
    d = build_patchgan_discriminator((16, 16, 3), condition_shape=(16, 16, 1), n_layers=1, base_filters=4)
    assert [tuple(i.shape[1:]) for i in d.inputs] == [(16, 16, 3), (16, 16, 1)]
    assert d.get_layer("block0_conv").kernel.shape[2] == 4
    u = build_patchgan_discriminator((16, 16, 3), n_layers=2, base_filters=4, conditional=False, norm="instance")
    assert len(u.inputs) == 1 and u.output_shape == (None, 4, 4, 1)


def test_reflection_padding_matches_numpy_reflect():
    x = np.arange(2 * 5 * 4 * 3, dtype="float32").reshape(2, 5, 4, 3)
    got = np.asarray(ReflectionPadding2D(2)(x))
    np.testing.assert_array_equal(got, np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="reflect"))


@pytest.mark.parametrize("n_blocks", [6, 9])
def test_resnet_generator_blocks_reflect_padding_and_instance_norm(n_blocks):
    g = build_resnet_generator((16, 16, 3), base_filters=4, n_blocks=n_blocks)
    assert g.output_shape == (None, 16, 16, 3)
    assert sum(n.name.endswith("_add") for n in g.layers) == n_blocks
    pads = [layer for layer in g.layers if isinstance(layer, ReflectionPadding2D)]
    assert len(pads) == 2 * n_blocks + 2
    norms = [layer for layer in g.layers if isinstance(layer, keras.layers.GroupNormalization)]
    assert norms and all(layer.groups == layer.gamma.shape[0] for layer in norms)  # one group per channel
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in g.layers)


def test_sub_pixel_upsampling_is_depth_to_space():
    x = np.random.default_rng(0).normal(size=(1, 2, 3, 8)).astype("float32")
    y = np.asarray(SubPixelUpsampling(2)(x))
    assert y.shape == (1, 4, 6, 2)
    # out[i*r + a, j*r + b, c] = in[i, j, (a*r + b)*C + c]
    for a in range(2):
        for b in range(2):
            np.testing.assert_array_equal(y[0, a::2, b::2, :], x[0, :, :, (a * 2 + b) * 2:(a * 2 + b + 1) * 2])


@pytest.mark.parametrize("scale", [2, 4])
def test_srresnet_upsamples_by_scale(scale):
    g = build_srresnet((4, 6, 3), scale=scale, filters=8, n_blocks=2)
    assert g.output_shape == (None, 4 * scale, 6 * scale, 3)
    assert sum(isinstance(layer, SubPixelUpsampling) for layer in g.layers) == int(np.log2(scale))
    with pytest.raises(ValueError, match="power-of-two scale"):
        build_srresnet((4, 4, 1), scale=3)


def test_sr_discriminator_follows_the_paper_layout():
    d = build_sr_discriminator((96, 96, 3))
    convs = [layer for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c.strides[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert d.get_layer("dense").units == 1024 and d.output_shape == (None, 1)
