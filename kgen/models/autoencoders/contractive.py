"""Contractive autoencoder: Frobenius norm of the encoder's Jacobian as a penalty (Rifai et al., 2011).

https://icml.cc/2011/papers/455_icmlpaper.pdf
"""

import keras
import tensorflow as tf
from keras import ops

from kgen.models.autoencoders.autoencoder import Autoencoder, _compile, default_dense_pair
from kgen.zoo import register_builder


def jacobian_frobenius(encoder, x, training=True):
    """Per-example squared Frobenius norm ||d encoder(x) / dx||_F^2: `(N,)`.

    Exact (one backward pass per code unit, vectorized by `batch_jacobian`).
    """
    x = tf.cast(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        code = tf.cast(encoder(x, training=training), tf.float32)
    jac = tape.batch_jacobian(code, x)  # (N, code_dim, *x.shape[1:])
    return tf.reduce_sum(tf.reshape(tf.square(jac), (tf.shape(jac)[0], -1)), axis=-1)


@keras.saving.register_keras_serializable(package="kgen")
class ContractiveAutoencoder(Autoencoder):
    """Autoencoder penalized by `weight * mean_n ||J_f(x_n)||_F^2` (f the encoder).

    Args:
        encoder, decoder, reconstruction_loss: see `Autoencoder`.
        weight: lambda, the contraction weight.

    Example:
        >>> cae = build_contractive_autoencoder((16, 16, 1), weight=0.1)
    """

    def __init__(self, encoder, decoder, reconstruction_loss="mse", weight=0.1, seed=None,
                 **kwargs):
        super().__init__(encoder, decoder, reconstruction_loss, seed=seed, **kwargs)
        self.weight = float(weight)

    def penalty_names(self):
        return ["contraction"]

    def compute_penalty(self, x, x_input, code, x_hat):
        frob = ops.mean(jacobian_frobenius(self.encoder, x_input, training=True))
        return self.weight * frob, {"contraction": frob}

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


@register_builder("contractive_autoencoder", scale="sigmoid",
                  paper="Rifai et al. 2011, https://icml.cc/2011/papers/455_icmlpaper.pdf")
def build_contractive_autoencoder(input_shape, num_classes=None, tiny=False, code_dim=None,
                                  hidden_units=None, weight=0.1, reconstruction_loss="mse",
                                  learning_rate=1e-3, seed=None, latent_dim=None, **compile_kwargs):
    """Contractive autoencoder with a sigmoid code (as in Rifai et al.).

    Returns:
        A compiled `ContractiveAutoencoder`.
    """
    enc, dec = default_dense_pair(input_shape, code_dim, latent_dim, hidden_units, tiny, full_code_dim=32)
    model = ContractiveAutoencoder(enc, dec, reconstruction_loss, weight, seed=seed)
    return _compile(model, learning_rate, **compile_kwargs)
