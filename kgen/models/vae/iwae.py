"""Importance-weighted autoencoder (Burda, Grosse & Salakhutdinov, 2016).

https://arxiv.org/abs/1509.00519
"""

import keras
import tensorflow as tf

from kgen.models.vae.vae import VAE, _build
from kgen.zoo import register_builder


@keras.saving.register_keras_serializable(package="kgen")
class IWAE(VAE):
    """A VAE trained on the k-sample importance-weighted bound.

    The loss is `-log (1/k) sum_i p(x, z_i) / q(z_i|x)` per example (nats),
    with k reparameterized posterior samples; k=1 is the VAE's ELBO with a
    Monte-Carlo KL. The evaluator `log_likelihood(x, k=5000)` is inherited.

    Args:
        num_samples: k, importance samples per example during training.
        **kwargs: see `VAE` (beta and KL warm-up do not apply).

    Example:
        >>> iwae = build_iwae((28, 28, 1), num_samples=50)
    """

    def __init__(self, encoder, decoder, latent_dim, num_samples=5, **kwargs):
        super().__init__(encoder, decoder, latent_dim, **kwargs)
        if int(num_samples) < 1:
            raise ValueError(f"expected num_samples >= 1. Received: num_samples={num_samples}")
        self.num_samples = int(num_samples)

    def metric_names(self):
        return ["loss"]

    def compute_losses(self, x, labels=None, training=True):
        bound = self.iwae_bound(x, self.num_samples, labels, training)
        return {"loss": -tf.reduce_mean(bound)}

    def get_config(self):
        return {**super().get_config(), "num_samples": self.num_samples}


@register_builder("iwae", scale="sigmoid",
                  paper="Burda et al. 2016, https://arxiv.org/abs/1509.00519")
def build_iwae(input_shape, num_classes=None, tiny=False, latent_dim=None, arch="dense",
               hidden_units=None, filters=None, num_samples=None, likelihood="bernoulli",
               binarize="dynamic", learning_rate=1e-3, seed=None, **compile_kwargs):
    """Burda et al.'s one-stochastic-layer IWAE (784-200-200-50 tanh MLPs, Bernoulli).

    Returns:
        A compiled `IWAE` (k=5 by default; 2 when tiny).
    """
    if likelihood != "bernoulli":
        binarize = None
    num_samples = num_samples or (2 if tiny else 5)
    return _build(IWAE, input_shape, num_classes, tiny, latent_dim, arch, hidden_units, filters,
                  likelihood, learning_rate, compile_kwargs, num_samples=num_samples,
                  binarize=binarize, seed=seed)
