"""Sparse autoencoder: L1 or KL target-sparsity penalty on the code (Ng, 2011).

https://web.stanford.edu/class/cs294a/sparseAutoencoder.pdf
"""

import keras
from keras import ops

from kgen.models.autoencoders.autoencoder import Autoencoder, _compile, default_dense_pair
from kgen.models.core import cross_replica_mean
from kgen.zoo import register_builder

_PENALTIES = ("kl", "l1")


def kl_sparsity(mean_activation, rho):
    """sum_j KL(Bernoulli(rho) || Bernoulli(rho_hat_j)), Ng's target-sparsity penalty.

    Args:
        mean_activation: rho_hat `(code_dim,)`, each unit's mean activation in (0, 1).
        rho: target mean activation.

    Returns:
        A scalar.

    Example:
        >>> kl_sparsity(np.array([0.05, 0.05]), 0.05)  # 0.0
    """
    eps = 1e-6
    r = ops.clip(ops.cast(mean_activation, "float32"), eps, 1.0 - eps)
    return ops.sum(rho * ops.log(rho / r) + (1.0 - rho) * ops.log((1.0 - rho) / (1.0 - r)))


@keras.saving.register_keras_serializable(package="kgen")
class SparseAutoencoder(Autoencoder):
    """Autoencoder with a sparsity penalty on the code activations.

    "kl": sigmoid codes, penalty `weight * sum_j KL(rho || rho_hat_j)` with
    rho_hat_j the unit's mean activation over the batch (Ng's lecture notes,
    target rho=0.05). "l1": `weight * mean_n sum_j |h_j|`. The measured mean
    activation is the metric `mean_activation`.

    Args:
        encoder, decoder, reconstruction_loss: see `Autoencoder` (the encoder
            must end in a sigmoid for "kl").
        penalty: "kl" or "l1".
        weight: penalty weight (beta for "kl", lambda for "l1").
        rho: target mean activation for "kl".

    Example:
        >>> sae = build_sparse_autoencoder((16, 16, 1), rho=0.05)
    """

    def __init__(self, encoder, decoder, reconstruction_loss="mse", penalty="kl", weight=3.0,
                 rho=0.05, seed=None, **kwargs):
        super().__init__(encoder, decoder, reconstruction_loss, seed=seed, **kwargs)
        if penalty not in _PENALTIES:
            raise ValueError(f"expected penalty in {_PENALTIES}. Received: penalty={penalty!r}")
        if not 0.0 < float(rho) < 1.0:
            raise ValueError(f"expected 0 < rho < 1. Received: rho={rho}")
        self.penalty = penalty
        self.weight = float(weight)
        self.rho = float(rho)

    def penalty_names(self):
        return ["sparsity_penalty", "mean_activation"]

    def compute_penalty(self, x, x_input, code, x_hat):
        code = ops.cast(code, "float32")
        # rho_hat is the GLOBAL batch's mean activation: KL(rho || rho_hat) is
        # not linear in it, so averaging per-replica penalties would differ.
        rho_hat = cross_replica_mean(ops.mean(code, axis=0))
        if self.penalty == "kl":
            value = kl_sparsity(rho_hat, self.rho)
        else:
            value = ops.mean(ops.sum(ops.abs(code), axis=-1))
        penalty = self.weight * value
        return penalty, {"sparsity_penalty": penalty, "mean_activation": ops.mean(rho_hat)}

    def get_config(self):
        return {**super().get_config(), "penalty": self.penalty, "weight": self.weight,
                "rho": self.rho}


@register_builder("sparse_autoencoder", scale="sigmoid",
                  paper="Ng 2011, https://web.stanford.edu/class/cs294a/sparseAutoencoder.pdf")
def build_sparse_autoencoder(input_shape, num_classes=None, tiny=False, code_dim=None,
                             hidden_units=None, penalty="kl", weight=3.0, rho=0.05,
                             reconstruction_loss="mse", learning_rate=1e-3, seed=None,
                             latent_dim=None, **compile_kwargs):
    """Sparse autoencoder with a sigmoid code (Ng's KL penalty, rho=0.05, by default).

    Returns:
        A compiled `SparseAutoencoder`.
    """
    enc, dec = default_dense_pair(input_shape, code_dim, latent_dim, hidden_units, tiny, full_code_dim=64,
                                  tiny_code_dim=8, code_activation="sigmoid" if penalty == "kl" else "relu")
    model = SparseAutoencoder(enc, dec, reconstruction_loss, penalty, weight, rho, seed=seed)
    return _compile(model, learning_rate, **compile_kwargs)
