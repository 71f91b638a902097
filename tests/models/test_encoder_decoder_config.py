"""AE/VAE family: get_config round-trips every hyperparameter (non-default values) through Keras."""

import keras
import pytest

from kgen.models.autoencoders.autoencoder import build_autoencoder, build_conv_autoencoder
from kgen.models.autoencoders.contractive import build_contractive_autoencoder
from kgen.models.autoencoders.denoising import build_denoising_autoencoder
from kgen.models.vae.gumbel import build_gumbel_vae
from kgen.models.vae.iwae import build_iwae
from kgen.models.autoencoders.sequence import build_sequence_autoencoder
from kgen.models.autoencoders.sparse import build_sparse_autoencoder
from kgen.models.autoencoders.stacked import build_stacked_autoencoder
from kgen.models.vae.vae import VAE, build_cvae, vae_networks
from kgen.models.vae.vqvae import build_vqvae

SHAPE = (8, 8, 1)


def _vae():
    enc, dec = vae_networks(SHAPE, 3, "logistic", hidden_units=(8,))
    return VAE(enc, dec, 3, likelihood="logistic", beta=2.5, kl_warmup_steps=7, posterior_scale="exp",
               scale_floor=1e-3, analytic_kl=False, observation_scale=0.3, seed=5)


# Each case: a builder call with values other than the defaults, and the config entries they set.
CASES = {
    "autoencoder": (lambda: build_autoencoder(SHAPE, tiny=True, reconstruction_loss="bce", seed=5),
                    {"reconstruction_loss": "bce", "seed": 5}),
    "conv_autoencoder": (lambda: build_conv_autoencoder(SHAPE, tiny=True, reconstruction_loss="mse"),
                         {"reconstruction_loss": "mse"}),
    "sparse_autoencoder": (lambda: build_sparse_autoencoder(SHAPE, tiny=True, penalty="l1", weight=0.7,
                                                            rho=0.1),
                           {"penalty": "l1", "weight": 0.7, "rho": 0.1}),
    "denoising_autoencoder": (lambda: build_denoising_autoencoder(
        SHAPE, tiny=True, corruption="salt_and_pepper", corruption_kwargs={"rate": 0.3, "high": 0.9}),
        {}),
    "contractive_autoencoder": (lambda: build_contractive_autoencoder(SHAPE, tiny=True, weight=0.3),
                                {"weight": 0.3}),
    "stacked_autoencoder": (lambda: build_stacked_autoencoder(SHAPE, tiny=True, reconstruction_loss="mse"),
                            {"reconstruction_loss": "mse"}),
    "sequence_autoencoder": (lambda: build_sequence_autoencoder((6, 3), tiny=True, mask_value=-1.0),
                             {"mask_value": -1.0}),
    "vae": (_vae, {"likelihood": "logistic", "beta": 2.5, "kl_warmup_steps": 7, "posterior_scale": "exp",
                   "scale_floor": 1e-3, "analytic_kl": False, "observation_scale": 0.3, "seed": 5}),
    "cvae": (lambda: build_cvae(SHAPE, num_classes=4, tiny=True), {"num_classes": 4, "binarize": "dynamic"}),
    "iwae": (lambda: build_iwae(SHAPE, tiny=True, num_samples=7), {"num_samples": 7}),
    "gumbel_vae": (lambda: build_gumbel_vae(SHAPE, tiny=True, temperature=2.0, min_temperature=0.3,
                                            anneal_rate=1e-3),
                   {"temperature": 2.0, "min_temperature": 0.3, "anneal_rate": 1e-3}),
    "vqvae": (lambda: build_vqvae(SHAPE, tiny=True, num_embeddings=5, commitment_cost=0.4, ema=True),
              {"num_embeddings": 5, "commitment_cost": 0.4, "ema": True}),
}


def _hyperparameters(config):
    return {k: v for k, v in config.items() if k not in ("encoder", "decoder", "name")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_round_trips_non_default_values(case):
    build, expected = CASES[case]
    keras.utils.set_random_seed(0)
    model = build()
    config = model.get_config()
    for key, value in expected.items():
        assert config[key] == value, (case, key, config[key])
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert type(clone) is type(model)
    assert _hyperparameters(clone.get_config()) == _hyperparameters(config)
    if case == "denoising_autoencoder":
        c = clone.corruption
        assert (type(c).__name__, c.rate, c.high) == ("SaltAndPepperCorruption", 0.3, 0.9)
    # The networks come back with the same architecture (weights are the archive's job).
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
