"""GAN layers: spectral normalization, minibatch discrimination/stddev, virtual batch norm, instance noise, projection."""

import os
import tempfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen.layers import (ClassProjection, InstanceNoise, MinibatchDiscrimination, MinibatchStdDev,
                         SpectralNormalization, VirtualBatchNormalization, WithReferenceBatch)


def _sigma_max(w):
    return np.linalg.svd(np.asarray(w).reshape(-1, np.asarray(w).shape[-1]), compute_uv=False)[0]


def test_spectral_norm_kernel_has_unit_spectral_norm_and_u_updates_only_in_training():
    keras.utils.set_random_seed(0)
    layer = SpectralNormalization(keras.layers.Dense(7), power_iterations=1)
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    layer(x)
    u0 = layer.u.numpy().copy()
    layer(x, training=False)
    np.testing.assert_array_equal(layer.u.numpy(), u0)
    for _ in range(50):
        layer(x, training=True)
    assert not np.allclose(layer.u.numpy(), u0)
    w_sn, sigma = layer.normalized_kernel()
    assert float(sigma) == pytest.approx(_sigma_max(layer.layer.kernel.numpy()), rel=1e-3)
    assert _sigma_max(w_sn) == pytest.approx(1.0, rel=1e-3)
    # The output is the inner layer's with W / sigma.
    expected = x @ np.asarray(w_sn) + layer.layer.bias.numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-4, atol=1e-5)


def test_spectral_norm_conv_gradient_reaches_raw_kernel_and_trains_in_fit():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              SpectralNormalization(keras.layers.Conv2D(4, 3, strides=2, padding="same")),
                              keras.layers.Flatten(),
                              SpectralNormalization(keras.layers.Dense(1))])
    kernel = model.layers[0].layer.kernel
    assert any(v is kernel for v in model.trainable_variables)
    assert not any(v is model.layers[0].u for v in model.trainable_variables)
    w0, u0 = kernel.numpy().copy(), model.layers[0].u.numpy().copy()
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    x = np.random.default_rng(0).normal(size=(16, 8, 8, 1)).astype("float32")
    model.fit(x, np.ones((16, 1)), epochs=3, batch_size=8, verbose=0)
    assert not np.allclose(kernel.numpy(), w0) and not np.allclose(model.layers[0].u.numpy(), u0)
    _, sigma = model.layers[0].normalized_kernel()
    assert float(sigma) <= _sigma_max(kernel.numpy()) * 1.001  # power iteration approaches from below
    for _ in range(30):
        model(x, training=True)
    _, sigma = model.layers[0].normalized_kernel()
    assert float(sigma) == pytest.approx(_sigma_max(kernel.numpy()), rel=1e-3)
    path = os.path.join(tempfile.mkdtemp(), "sn.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)


def test_minibatch_discrimination_closed_form():
    layer = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
    same = np.ones((4, 5), np.float32)
    out = layer(same).numpy()
    assert out.shape == (4, 8)
    np.testing.assert_allclose(out[:, 5:], 3.0, rtol=1e-6)  # N - 1 identical neighbours: exp(0) each
    np.testing.assert_allclose(out[:, :5], same)
    far = np.eye(4, 5, dtype=np.float32) * 1e4
    np.testing.assert_allclose(layer(far).numpy()[:, 5:], 0.0, atol=1e-6)
    mean = MinibatchDiscrimination(num_kernels=3, kernel_dim=2, reduction="mean")
    np.testing.assert_allclose(mean(same).numpy()[:, 5:], 1.0, rtol=1e-6)  # (N - 1) / (N - 1)


def test_minibatch_stddev_closed_form():
    x = np.array([[0.0, 0.0], [2.0, 4.0]], np.float32)  # std per feature: 1, 2 -> mean 1.5
    out = MinibatchStdDev(group_size=None, epsilon=0.0)(x).numpy()
    np.testing.assert_allclose(out[:, 2], 1.5, rtol=1e-6)
    img = np.stack([np.zeros((3, 3, 2)), np.ones((3, 3, 2)) * 2, np.zeros((3, 3, 2)), np.ones((3, 3, 2))]).astype("float32")
    out = MinibatchStdDev(group_size=2, epsilon=0.0)(img).numpy()
    assert out.shape == (4, 3, 3, 3)
    # Groups {0, 2} (std 0) and {1, 3} (std 0.5): row i belongs to group i mod 2.
    np.testing.assert_allclose(out[[0, 2], ..., 2], 0.0, atol=1e-6)
    np.testing.assert_allclose(out[[1, 3], ..., 2], 0.5, rtol=1e-6)
    with pytest.raises(ValueError, match="multiple"):
        MinibatchStdDev(group_size=3)(img)


def test_virtual_batch_norm_uses_reference_plus_self_only():
    rng = np.random.default_rng(0)
    ref = rng.normal(2.0, 3.0, size=(16, 3)).astype("float32")
    batch = rng.normal(size=(5, 3)).astype("float32")
    layer = VirtualBatchNormalization(reference_size=16, center=False, scale=False, epsilon=0.0)
    out = layer(np.concatenate([ref, batch])).numpy()
    np.testing.assert_allclose(out[:16].mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out[:16].std(0), 1.0, rtol=1e-4)
    # Example 0 normalized with the statistics of ref ∪ {x_0}.
    both = np.concatenate([ref, batch[:1]])
    np.testing.assert_allclose(out[16], (batch[0] - both.mean(0)) / both.std(0), rtol=1e-4)
    # Independent of the other examples of the minibatch.
    alone = layer(np.concatenate([ref, batch[:1]])).numpy()
    np.testing.assert_allclose(alone[16], out[16], rtol=1e-5)


def test_with_reference_batch_wrapper_roundtrip():
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    h = VirtualBatchNormalization(8)(keras.layers.Dense(6)(inp))
    net = keras.Model(inp, keras.layers.Dense(2)(h))
    ref = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    wrapped = WithReferenceBatch(net, ref)
    x = np.random.default_rng(2).normal(size=(3, 4)).astype("float32")
    out = wrapped(x).numpy()
    assert out.shape == (3, 2)
    np.testing.assert_allclose(wrapped(x[:1]).numpy(), out[:1], rtol=1e-5)
    path = os.path.join(tempfile.mkdtemp(), "vbn.keras")
    wrapped.save(path)
    np.testing.assert_allclose(keras.saving.load_model(path)(x).numpy(), out, rtol=1e-5)


def test_instance_noise_and_projection():
    layer = InstanceNoise(0.5, seed=0)
    x = np.zeros((4000, 2), np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert float(np.std(layer(x, training=True).numpy())) == pytest.approx(0.5, rel=0.05)
    layer.stddev.assign(0.0)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), x)
    proj = ClassProjection(3)
    feats = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    out = proj([feats, np.array([2, 0])]).numpy()
    emb = proj.embeddings.numpy()
    np.testing.assert_allclose(out[:, 0], [feats[0] @ emb[2], feats[1] @ emb[0]], rtol=1e-6)
