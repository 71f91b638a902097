"""pix2pix, CycleGAN, SRResNet and SRGAN: their losses in closed form, what trains, pools, schedules, errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import losses
from kgen.models.translation import (SRGAN, CycleGAN, HistoryPool, LinearDecay, PerceptualLoss, Pix2Pix, SRResNet,
                                     build_cyclegan, build_pix2pix, build_srgan, build_srresnet_model, downsample)
from kgen.networks.translation import build_patchgan_discriminator, build_unet_generator

RNG = np.random.default_rng(0)


def _img(n, size=16, c=1):
    return RNG.uniform(-1, 1, (n, size, size, c)).astype("float32")


def _t(n, size=16, c=1):
    return tf.constant(_img(n, size, c))


def _sigmoid_ce(logits, target):
    return np.mean(np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits))))


def test_pix2pix_generator_loss_is_cgan_plus_100_l1_and_d_loss_is_halved():
    keras.utils.set_random_seed(0)
    model = build_pix2pix((16, 16, 1), tiny=True, seed=0)
    src, tgt = _t(4), _t(4)
    fakes = model.make_fakes(tgt, src, training=False, replay=False)
    fake = np.asarray(fakes.generated)
    g_out = model.forward("generator", tgt, src, fakes, training=False)
    terms = model.compute_generator_loss(g_out)
    logits_fake = np.asarray(g_out.fake_outputs)
    adv = _sigmoid_ce(logits_fake, 1.0)  # non-saturating: -log D(G(x))
    l1 = np.mean(np.abs(fake - np.asarray(tgt)))
    np.testing.assert_allclose(float(terms["reconstruction_loss"]), 100 * l1, rtol=1e-5)
    np.testing.assert_allclose(float(terms["loss"]), adv + 100 * l1, rtol=1e-5)
    np.testing.assert_allclose(float(terms["l1"]), l1, rtol=1e-5)
    d_out = model.forward("discriminator", tgt, src, fakes, training=False)
    d = model.compute_discriminator_loss(d_out)
    expected = 0.5 * (_sigmoid_ce(np.asarray(d_out.real_outputs), 1.0) + _sigmoid_ce(np.asarray(d_out.fake_outputs), 0.0))
    np.testing.assert_allclose(float(d["loss"]), expected, rtol=1e-5)


def test_pix2pix_ablations_l1_only_and_cgan_only():
    src, tgt = _t(4), _t(4)
    l1_only = build_pix2pix((16, 16, 1), tiny=True, adversarial_weight=0.0, seed=0)
    out = l1_only.forward("generator", tgt, src, l1_only.make_fakes(tgt, src, training=False), training=False)
    terms = l1_only.compute_generator_loss(out)
    np.testing.assert_allclose(float(terms["loss"]), float(terms["reconstruction_loss"]), rtol=1e-6)
    cgan_only = build_pix2pix((16, 16, 1), tiny=True, l1_weight=0.0, seed=0)
    assert "reconstruction_loss" not in cgan_only.metric_names() and "l1" in cgan_only.metric_names()
    logs = cgan_only.train_on_batch(src, tgt, return_dict=True)
    assert set(logs) == {"d_loss", "g_loss", "l1"}


def test_pix2pix_learns_a_paired_translation_and_keeps_dropout_on_request():
    keras.utils.set_random_seed(1)
    g = build_unet_generator((8, 8, 1), base_filters=8, dropout=0.5)
    d = build_patchgan_discriminator((8, 8, 1), n_layers=1, base_filters=8)
    model = Pix2Pix(g, d, seed=0)
    model.compile(keras.optimizers.Adam(2e-3, 0.5), keras.optimizers.Adam(2e-3, 0.5))
    src = _img(32, 8)
    tgt = -src
    before = float(np.mean(np.abs(np.asarray(model.translate(src)) - tgt)))
    model.fit(tf.data.Dataset.from_tensor_slices((src, tgt)).batch(8).repeat(), steps_per_epoch=150, epochs=1,
              verbose=0)
    after = float(np.mean(np.abs(np.asarray(model.translate(src)) - tgt)))
    assert after < 0.6 * before, (before, after)
    a, b = np.asarray(model.translate(src)), np.asarray(model.translate(src))
    np.testing.assert_array_equal(a, b)  # dropout off by default: deterministic
    c, e = np.asarray(model.translate(src, keep_dropout=True)), np.asarray(model.translate(src, keep_dropout=True))
    assert np.abs(c - e).max() > 1e-4
    np.testing.assert_array_equal(np.asarray(model.translate(src)), a)  # switched back off
    with pytest.raises(ValueError, match="translate"):
        model.generate(4)


def test_pix2pix_builder_uses_the_patch_size_for_the_image_size():
    assert build_pix2pix((16, 16, 1), tiny=True).discriminator.output_shape == (None, 8, 8, 1)
    assert build_pix2pix((32, 32, 3), tiny=True).discriminator.output_shape == (None, 8, 8, 1)
    with pytest.raises(ValueError, match="labels"):
        build_pix2pix((16, 16, 1), num_classes=10)


def test_cyclegan_losses_in_closed_form():
    keras.utils.set_random_seed(0)
    model = build_cyclegan((16, 16, 1), tiny=True, pool_size=0, seed=0)
    a, b = _t(4), _t(4)
    fakes = model.make_fakes(b, a, training=False, replay=False)
    out = model.forward("generator", b, a, fakes, training=False)
    terms = model.compute_generator_loss(out)
    G, F = model.generator, model.generator_ba
    fb, fa = np.asarray(G(a)), np.asarray(F(b))
    adv = np.mean((np.asarray(model.discriminator(fb)) - 1) ** 2) + np.mean((np.asarray(model.discriminator_a(fa)) - 1) ** 2)
    an, bn = np.asarray(a), np.asarray(b)
    cyc = np.mean(np.abs(np.asarray(F(fb)) - an)) + np.mean(np.abs(np.asarray(G(fa)) - bn))
    idt = np.mean(np.abs(np.asarray(G(b)) - bn)) + np.mean(np.abs(np.asarray(F(a)) - an))
    np.testing.assert_allclose(float(terms["g_adversarial_loss"]), adv, rtol=1e-4)
    np.testing.assert_allclose(float(terms["cycle_loss"]), cyc, rtol=1e-4)
    np.testing.assert_allclose(float(terms["identity_loss"]), idt, rtol=1e-4)
    np.testing.assert_allclose(float(terms["loss"]), adv + 10 * cyc + 5 * idt, rtol=1e-4)
    d_out = model.forward("discriminator", b, a, fakes, training=False)
    d = model.compute_discriminator_loss(d_out)
    d_b = 0.5 * np.mean((np.asarray(model.discriminator(b)) - 1) ** 2) + 0.5 * np.mean(np.asarray(model.discriminator(fb)) ** 2)
    d_a = 0.5 * np.mean((np.asarray(model.discriminator_a(a)) - 1) ** 2) + 0.5 * np.mean(np.asarray(model.discriminator_a(fa)) ** 2)
    np.testing.assert_allclose([float(d["d_b_loss"]), float(d["d_a_loss"]), float(d["loss"])], [d_b, d_a, d_a + d_b],
                               rtol=1e-4)


def test_cyclegan_one_step_moves_all_four_networks_and_translates_both_ways():
    keras.utils.set_random_seed(0)
    model = build_cyclegan((16, 16, 1), tiny=True, seed=0)
    nets = [model.generator, model.generator_ba, model.discriminator, model.discriminator_a]
    ids = [{id(v) for v in n.trainable_variables} for n in nets]
    assert {id(v) for v in model.variables_for("generator")} == ids[0] | ids[1]
    assert {id(v) for v in model.variables_for("discriminator")} == ids[2] | ids[3]
    before = [[w.copy() for w in n.get_weights()] for n in nets]
    a, b = _img(2), _img(2)
    model.train_on_batch(a, b)
    for net, old in zip(nets, before):
        assert any(np.abs(x - y).max() > 0 for x, y in zip(net.get_weights(), old)), net.name
    assert int(model.pool_a.count.numpy()) == 2 and int(model.pool_b.count.numpy()) == 2
    np.testing.assert_allclose(np.asarray(model.translate(a, direction="b2a")), np.asarray(model.generator_ba(a)),
                               atol=1e-6)
    assert [e.name for e in model.export_endpoints()] == ["translate", "translate_b2a"]
    with pytest.raises(ValueError, match="direction"):
        model.translate(a, direction="ab")


def test_history_pool_is_cyclegans_image_pool():
    pool = HistoryPool(pool_size=4, seed=0)
    pool.build_pool((1,))
    first = np.arange(4, dtype="float32")[:, None]
    out, _ = pool.mix(tf.constant(first))
    np.testing.assert_array_equal(np.asarray(out), first)  # filling: passed on and stored
    np.testing.assert_array_equal(np.sort(np.asarray(pool.pool.value)[:, 0]), [0, 1, 2, 3])
    returned = []
    for step in range(200):  # batch size 1, as in the paper
        out, _ = pool.mix(tf.constant([[100.0 + step]]))
        returned.append(float(np.asarray(out)[0, 0]))
    returned = np.array(returned)
    new = returned == 100.0 + np.arange(200)
    assert 0.35 < new.mean() < 0.65  # one coin per image
    stored = set(np.asarray(pool.pool.value)[:, 0])
    # A replayed image was in the pool, and is no longer there after it was handed out.
    assert all(v < 100 + i for i, v in enumerate(returned) if not new[i])
    assert len(stored) == 4


def test_linear_decay_holds_then_reaches_zero():
    s = LinearDecay(2e-4, 100, 100)
    np.testing.assert_allclose([float(s(t)) for t in (0, 100, 150, 200, 300)], [2e-4, 2e-4, 1e-4, 0, 0], atol=1e-12)
    model = build_cyclegan((16, 16, 1), tiny=True, total_steps=10)
    rate = model.g_optimizer.learning_rate
    assert isinstance(model.g_optimizer._learning_rate, LinearDecay) and float(rate) == pytest.approx(2e-4)
    assert keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(s)).get_config() == s.get_config()


def _smallest_map(network):
    return min(int(layer.output.shape[1]) for layer in network.layers if len(layer.output.shape) == 4)


def test_cyclegan_generators_keep_an_8x8_bottleneck_at_16_px_and_the_papers_two_downsamplings_from_32():
    # Two stride-2 convolutions leave 16 px digits a 4x4 bottleneck (no skip); digits2inverted then
    # never kept its labels (README benchmark), so below 32 px the builder downsamples once.
    small = build_cyclegan((16, 16, 1), tiny=True)
    assert _smallest_map(small.generator) == 8 and _smallest_map(small.generator_ba) == 8
    assert _smallest_map(build_cyclegan((16, 16, 1), tiny=True, n_downsampling=2).generator) == 4
    assert _smallest_map(build_cyclegan((32, 32, 1), tiny=True).generator) == 8
    with pytest.raises(ValueError, match="n_downsampling=5"):
        build_cyclegan((16, 16, 1), tiny=True, n_downsampling=5)


def test_srresnet_mse_and_perceptual_losses_in_closed_form():
    keras.utils.set_random_seed(0)
    model = build_srresnet_model((16, 16, 1), tiny=True)
    lr, hr = _img(3, 4), _img(3, 16)
    sr = np.asarray(model.generator(lr))
    terms = model.compute_losses(lr, hr, training=False)
    np.testing.assert_allclose(float(terms["loss"]), np.mean((sr - hr) ** 2), rtol=1e-5)
    # A perceptual loss through a given linear feature network: the closed form of its features.
    inp = keras.Input((16, 16, 1))
    feat = keras.Model(inp, keras.layers.Conv2D(2, 1, use_bias=False, name="lin")(inp))
    w = feat.get_layer("lin").get_weights()[0][0, 0]  # (1, 2)
    perceptual = PerceptualLoss(2.0, feat)
    p_model = SRResNet(model.generator, (4, 4, 1), 4, content_loss=perceptual)
    p = p_model.compute_losses(lr, hr, training=False)
    np.testing.assert_allclose(float(p["loss"]), 2.0 * np.mean(((sr - hr) @ w) ** 2), rtol=1e-4)
    np.testing.assert_allclose(float(p["mse"]), float(terms["mse"]), rtol=1e-6)
    rebuilt = SRResNet.from_config(p_model.get_config())
    assert isinstance(rebuilt.content, PerceptualLoss) and rebuilt.content.weight == 2.0


def test_sr_reconstruct_is_translate_of_the_downsampled_images_and_exports_at_the_input_size():
    model = build_srresnet_model((16, 16, 1), tiny=True)
    hr = _img(2, 16)
    np.testing.assert_allclose(np.asarray(model.reconstruct(hr)), np.asarray(model.translate(downsample(hr, 4))),
                               atol=1e-6)
    (ep,) = model.export_endpoints()
    assert ep.name == "translate" and ep.inputs[0].shape == (4, 4, 1) and ep.outputs[0].shape == (16, 16, 1)


def test_srgan_generator_loss_is_content_plus_1e3_adversarial_and_starts_from_srresnet():
    keras.utils.set_random_seed(0)
    sr = build_srresnet_model((16, 16, 1), tiny=True)
    sr.fit(_img(8, 4), _img(8, 16), batch_size=4, epochs=1, verbose=0)
    gan = build_srgan((16, 16, 1), tiny=True, content_loss="mse", srresnet=sr)
    for a, b in zip(gan.generator.get_weights(), sr.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    lr, hr = _t(4, 4), _t(4, 16)
    fakes = gan.make_fakes(hr, lr, training=False)
    out = gan.forward("generator", hr, lr, fakes, training=False)
    terms = gan.compute_generator_loss(out)
    fake = np.asarray(fakes.generated)
    adv = _sigmoid_ce(np.asarray(gan.discriminator(fake)), 1.0)
    mse = np.mean((fake - np.asarray(hr)) ** 2)
    np.testing.assert_allclose(float(terms["loss"]), mse + 1e-3 * adv, rtol=1e-5)
    assert len(gan.discriminator.inputs) == 1  # D sees the high-res image only
    copy = SRGAN.from_srresnet(sr, gan.discriminator, content_loss="mse")
    assert copy.generator is not sr.generator and copy.lr_shape == (4, 4, 1)


def test_vgg_perceptual_loss_names_the_missing_weights_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        PerceptualLoss(1.0, "vgg19", weights_file=str(tmp_path / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"))


def test_vgg_inputs_are_preprocessed_as_keras_does(tmp_path):
    path = tmp_path / "vgg16_random.weights.h5"  # a local weights file (random here: no download)
    keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3)).save_weights(str(path))
    loss = PerceptualLoss(1.0, "vgg16", layers=["block1_conv2"], weights_file=str(path))
    x = _img(2, 8, 3)
    expected = keras.applications.vgg16.preprocess_input((x + 1.0) * 127.5)
    np.testing.assert_allclose(np.asarray(loss.prepare(x)), expected, atol=1e-3)
    grey = _img(1, 8, 1)
    assert tuple(loss.prepare(grey).shape) == (1, 8, 8, 3)


def test_losses_compare_with_tfgan_forms():
    # CycleGAN's sums are twice TF-GAN's means (least squares generator loss, cycle loss).
    x = np.array([[0.2, -0.4]], "float32")
    assert float(losses.least_squares_generator_loss(x)) * 2 == pytest.approx(np.mean((x - 1) ** 2))
