"""Autoencoder family: PCA equivalence, sparsity, corruption, contraction, stacking, sequences."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.linalg import subspace_angles
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from kgen.models.autoencoders.autoencoder import Autoencoder, build_autoencoder, reconstruction_error
from kgen.models.autoencoders.contractive import build_contractive_autoencoder, jacobian_frobenius
from kgen.models.autoencoders.denoising import (
    GaussianCorruption,
    MaskingCorruption,
    SaltAndPepperCorruption,
    build_denoising_autoencoder,
    get_corruption,
)
from kgen.models.autoencoders.sequence import build_sequence_autoencoder, build_sequence_networks
from kgen.models.autoencoders.sparse import build_sparse_autoencoder, kl_sparsity
from kgen.models.autoencoders.stacked import build_stacked_autoencoder
from kgen.networks.autoencoders import build_dense_decoder, build_dense_encoder


@pytest.fixture(scope="module")
def digits():
    x = load_digits().images.astype("float32") / 16.0
    return x[..., None]  # (1797, 8, 8, 1) in [0, 1]


def test_linear_autoencoder_learns_the_pca_subspace(digits):
    k = 4
    keras.utils.set_random_seed(0)
    enc = build_dense_encoder((8, 8, 1), k, hidden_units=())
    dec = build_dense_decoder(k, (8, 8, 1), hidden_units=())
    ae = Autoencoder(enc, dec, "mse")
    ae.compile(optimizer=keras.optimizers.Adam(0.01))
    # 2,000 full-batch steps in one epoch (per-epoch overhead dominates otherwise).
    ae.fit(tf.data.Dataset.from_tensors(digits).repeat(), epochs=1, steps_per_epoch=2000, verbose=0)
    w = dec.get_layer("pixels").kernel.numpy()  # (k, 64): rows span the decoder's column space
    pca = PCA(k).fit(digits.reshape(len(digits), -1))
    angles = np.degrees(subspace_angles(w.T, pca.components_.T))
    # Baldi & Hornik (1989): the global optimum spans the top-k principal
    # subspace. Bound: every principal angle below 2 degrees (measured:
    # 0.11 degrees at most; 52 degrees after 500 steps).
    assert angles.max() < 2.0, angles


def test_sparse_kl_penalty_drives_mean_activation_to_rho(digits):
    keras.utils.set_random_seed(0)
    sae = build_sparse_autoencoder((8, 8, 1), code_dim=16, hidden_units=(), weight=3.0, rho=0.05,
                                   learning_rate=0.01)
    hist = sae.fit(digits, epochs=40, batch_size=128, verbose=0).history
    assert hist["mean_activation"][0] > 0.15
    assert abs(hist["mean_activation"][-1] - 0.05) < 0.02, hist["mean_activation"][-1]
    assert float(kl_sparsity(np.full(4, 0.05), 0.05)) == pytest.approx(0.0, abs=1e-6)
    assert float(kl_sparsity(np.full(4, 0.5), 0.05)) == pytest.approx(
        4 * (0.05 * np.log(0.1) + 0.95 * np.log(1.9)), rel=1e-5)


def test_sparse_l1_penalty_value_and_effect(digits):
    x = tf.constant(digits[:64])
    means = {}
    for weight in (0.0, 0.1):
        keras.utils.set_random_seed(0)
        sae = build_sparse_autoencoder((8, 8, 1), code_dim=16, hidden_units=(), penalty="l1",
                                       weight=weight, learning_rate=0.01)
        # The penalty is weight * mean_n sum_j |h_j| on the (ReLU) code.
        codes = sae.encode(x).numpy()
        extra = sae.compute_losses(x, training=False)
        total, rec = extra["loss"], extra["reconstruction_loss"]
        expected = weight * np.abs(codes).sum(1).mean()
        assert float(extra["sparsity_penalty"]) == pytest.approx(expected, rel=1e-5, abs=1e-7)
        assert float(total) == pytest.approx(float(rec) + expected, rel=1e-5)
        assert float(extra["mean_activation"]) == pytest.approx(codes.mean(), rel=1e-5)
        hist = sae.fit(digits, epochs=10, batch_size=128, verbose=0).history
        means[weight] = hist["mean_activation"][-1]
    # Measured: 1.98 unpenalized, 0.40 with weight 0.1.
    assert means[0.1] < 0.5 * means[0.0], means


def _draw_from(seed):
    gen = keras.random.SeedGenerator(seed)

    def draw(kind, x):
        fn = keras.random.uniform if kind == "uniform" else keras.random.normal
        return fn(tuple(x.shape), seed=gen)
    return draw


def test_corruptions_have_the_stated_statistics():
    x = tf.fill((200, 8, 8, 1), 0.5)
    masked = MaskingCorruption(rate=0.3)(x, _draw_from(0)).numpy()
    assert set(np.unique(masked)) == {0.0, 0.5}
    assert abs((masked == 0).mean() - 0.3) < 0.02
    sp = SaltAndPepperCorruption(rate=0.2)(x, _draw_from(1)).numpy()
    assert abs((sp == 1.0).mean() - 0.1) < 0.015 and abs((sp == 0.0).mean() - 0.1) < 0.015
    assert abs((sp == 0.5).mean() - 0.8) < 0.02
    g = GaussianCorruption(0.2)(x, _draw_from(2)).numpy() - 0.5
    assert abs(g.std() - 0.2) < 0.01 and abs(g.mean()) < 0.01
    with pytest.raises(ValueError, match="unknown corruption"):
        get_corruption("blur")


def test_denoising_corrupts_in_training_only_and_samples_a_chain(digits):
    dae = build_denoising_autoencoder((8, 8, 1), code_dim=8, hidden_units=(), corruption="masking",
                                      corruption_kwargs={"rate": 0.5}, seed=0)
    x = tf.constant(digits[:32])
    rec_eval = dae.compute_losses(x, training=False)["reconstruction_loss"]
    clean = np.mean(reconstruction_error(x, dae.reconstruct(x), "bce").numpy())
    assert float(rec_eval) == pytest.approx(clean, rel=1e-5)
    loss_train = dae.compute_losses(x, training=True)["loss"]
    assert abs(float(loss_train) - clean) > 1e-3  # the encoder saw corrupted inputs
    dae.fit(digits, epochs=3, batch_size=64, verbose=0)
    chain = dae.sample_chain(4, steps=3)
    assert chain.shape == (4, 4, 8, 8, 1) and chain.min() >= 0 and chain.max() <= 1
    assert np.abs(chain[1] - chain[0]).max() > 0
    start = dae.sample_chain(digits[:2], steps=1)
    np.testing.assert_allclose(start[0], digits[:2])


def test_contractive_penalty_matches_closed_form():
    keras.utils.set_random_seed(0)
    cae = build_contractive_autoencoder((4, 4, 1), code_dim=3, hidden_units=(), weight=0.5)
    x = np.random.default_rng(0).random((5, 4, 4, 1)).astype("float32")
    layer = cae.encoder.get_layer("code")
    w, b = layer.kernel.numpy(), layer.bias.numpy()
    h = 1 / (1 + np.exp(-(x.reshape(5, -1) @ w + b)))
    # Sigmoid code: ||J||_F^2 = sum_j (h_j (1 - h_j))^2 ||W_:j||^2  (Rifai et al., eq. 5)
    expected = ((h * (1 - h)) ** 2 * (w**2).sum(0)).sum(1)
    np.testing.assert_allclose(jacobian_frobenius(cae.encoder, x).numpy(), expected, rtol=1e-4)
    terms = cae.compute_losses(tf.constant(x), training=False)
    total, rec = terms["loss"], terms["reconstruction_loss"]
    assert float(total) == pytest.approx(float(rec) + 0.5 * expected.mean(), rel=1e-4)
    hist = cae.fit(x, epochs=2, batch_size=5, verbose=0).history
    assert "contraction" in hist


def test_stacked_pretraining_then_fine_tuning(digits):
    keras.utils.set_random_seed(0)
    sae = build_stacked_autoencoder((8, 8, 1), layer_sizes=(32, 8), learning_rate=3e-3)
    ds = tf.data.Dataset.from_tensor_slices(digits).batch(128)
    before = float(sae.evaluate(ds, verbose=0, return_dict=True)["reconstruction_loss"])
    histories = sae.pretrain(ds, epochs_per_layer=8, learning_rate=3e-3)
    assert len(histories) == 2
    assert all(h[-1] < h[0] for h in histories)
    after_pretrain = float(sae.evaluate(ds, verbose=0, return_dict=True)["reconstruction_loss"])
    assert after_pretrain < before - 1.0
    sae.fit(ds, epochs=5, verbose=0)
    after_finetune = float(sae.evaluate(ds, verbose=0, return_dict=True)["reconstruction_loss"])
    assert after_finetune < after_pretrain
    # Labelled batches (kgen.data.load(..., labels=True)) pretrain on the images alone.
    labelled = tf.data.Dataset.from_tensor_slices((digits[:64], np.zeros(64, "int32"))).batch(32)
    assert len(sae.pretrain(labelled, epochs_per_layer=1)) == 2


def test_sequence_autoencoder_masks_padding():
    keras.utils.set_random_seed(0)
    model = build_sequence_autoencoder((10, 3), tiny=True)
    rng = np.random.default_rng(0)
    seq = rng.normal(size=(2, 5, 3)).astype("float32")
    padded = np.zeros((2, 10, 3), "float32")
    padded[:, :5] = seq
    # The code of a padded sequence is the code of the unpadded one.
    enc5, _ = build_sequence_networks((5, 3), model.latent_dim, units=8)
    enc5.set_weights(model.encoder.get_weights())
    np.testing.assert_allclose(model.encode(padded).numpy(), enc5(seq).numpy(), atol=1e-5)
    # Padded steps do not count in the loss.
    recon = model.reconstruct(padded).numpy()
    expected = ((padded[:, :5] - recon[:, :5]) ** 2).sum((1, 2)).mean()
    loss = model.compute_losses(tf.constant(padded), training=False)["loss"]
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(model.anomaly_score(padded), ((padded[:, :5] - recon[:, :5]) ** 2).sum((1, 2)),
                               rtol=1e-5)
    lengths = rng.integers(3, 11, 64)
    data = rng.normal(size=(64, 10, 3)).astype("float32") * (np.arange(10)[None, :, None] < lengths[:, None, None])
    hist = model.fit(data, epochs=3, batch_size=16, verbose=0).history["loss"]
    assert hist[-1] < hist[0]


def test_anomaly_score_flags_noise(digits):
    keras.utils.set_random_seed(0)
    ae = build_autoencoder((8, 8, 1), code_dim=8, hidden_units=(32,), learning_rate=3e-3)
    ae.fit(digits[:1500], epochs=15, batch_size=64, verbose=0)
    normal = ae.anomaly_score(digits[1500:])
    noise = ae.anomaly_score(np.random.default_rng(0).random((50, 8, 8, 1)).astype("float32"))
    assert np.median(noise) > np.quantile(normal, 0.99)
    codes = ae.encode(digits[:3]).numpy()
    assert codes.shape == (3, 8)
