"""Undercomplete autoencoder: encoder, decoder, reconstruction loss; the base of kgen's AE family."""

import keras
import numpy as np
from keras import ops

from kgen.models.core import Endpoint, EncoderDecoderConfig, GenerativeModel, SingleObjectiveSteps, TensorSpec
from kgen.networks.autoencoders import (build_conv_decoder, build_conv_encoder, build_dense_decoder,
                                        build_dense_encoder)
from kgen.zoo import register_builder

_RECONSTRUCTION = ("mse", "bce")


def reconstruction_error(x, x_hat, loss="mse"):
    """Per-example reconstruction error, summed over all non-batch axes.

    Args:
        x: targets `(N, ...)`.
        x_hat: reconstructions of the same shape (probabilities for "bce").
        loss: "mse" (squared error) or "bce" (binary cross-entropy; targets in [0, 1]).

    Returns:
        A float tensor `(N,)`.

    Example:
        >>> reconstruction_error(np.zeros((2, 3)), np.ones((2, 3)))  # [3., 3.]
    """
    x = ops.cast(x, "float32")
    x_hat = ops.cast(x_hat, "float32")
    if loss == "mse":
        err = ops.square(x - x_hat)
    elif loss == "bce":
        eps = 1e-6
        p = ops.clip(x_hat, eps, 1.0 - eps)
        err = -(x * ops.log(p) + (1.0 - x) * ops.log(1.0 - p))
    else:
        raise ValueError(f"expected reconstruction loss in {_RECONSTRUCTION}. Received: {loss!r}")
    return ops.sum(ops.reshape(err, (ops.shape(err)[0], -1)), axis=-1)


@keras.saving.register_keras_serializable(package="kgen")
class Autoencoder(SingleObjectiveSteps, EncoderDecoderConfig, GenerativeModel):
    """Deterministic autoencoder `x -> code -> x_hat` trained on reconstruction error.

    Losses are per-example sums over pixels, averaged over the batch.
    Subclasses add penalties by overriding `compute_penalty` and change the
    encoder input by overriding `corrupt` (denoising). A deterministic
    autoencoder has no prior (`self.prior` is empty): `latent_dim` is its
    code size, `generate` needs codes (from `encode`), and sample grids show
    reconstructions.

    Args:
        encoder: Keras model `images -> (N, code_dim)`.
        decoder: Keras model `(N, code_dim) -> images`.
        reconstruction_loss: "mse" or "bce" (decoder outputs in [0, 1]).
        seed: seed of the model's noise.

    Example:
        >>> ae = Autoencoder(build_dense_encoder((8, 8, 1), 4),
        ...                  build_dense_decoder(4, (8, 8, 1), output_activation="sigmoid"))
        >>> ae.compile(optimizer="adam")
        >>> ae.fit(kgen.data.load("digits", image_size=8, scale="sigmoid"), epochs=1)
        >>> codes = ae.encode(images)
    """

    def __init__(self, encoder, decoder, reconstruction_loss="mse", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if reconstruction_loss not in _RECONSTRUCTION:
            raise ValueError(
                f"expected reconstruction_loss in {_RECONSTRUCTION}. "
                f"Received: reconstruction_loss={reconstruction_loss!r}"
            )
        self.encoder = encoder
        self.decoder = decoder
        self.reconstruction_loss = reconstruction_loss
        self.built = True

    @property
    def latent_dim(self):
        """The code size (the decoder's input); an autoencoder has no prior over it."""
        return int(self.decoder.input_shape[-1])

    def metric_names(self):
        return ["loss", "reconstruction_loss", *self.penalty_names()]

    def penalty_names(self):
        """Names of the metrics `compute_penalty` reports."""
        return []

    # -- inference ------------------------------------------------------------
    def call(self, x, training=False):
        """Reconstruct `x`."""
        return self.decoder(self.encoder(x, training=training), training=training)

    def encode(self, x, training=False):
        """Embed inputs: the code `(N, code_dim)` (for VAEs: the posterior mean)."""
        return self.encoder(ops.convert_to_tensor(x, "float32"), training=training)

    def reconstruct(self, x, training=False):
        """Decode the code of `x`."""
        return self.decode_latent(self.encode(x, training=training), training=training)

    def decode_latent(self, z, labels=None, training=False):
        return ops.cast(self.decoder(z, training=training), "float32")

    def anomaly_score(self, x, batch_size=256):
        """Reconstruction error per example (higher = more anomalous).

        Args:
            x: array `(N, ...)` scaled like the training data.
            batch_size: examples per forward pass.

        Returns:
            numpy array `(N,)`.

        Example:
            >>> scores = ae.anomaly_score(test_images)
            >>> flagged = scores > np.quantile(ae.anomaly_score(train_images), 0.99)
        """
        out = []
        for i in range(0, len(x), batch_size):
            xb = ops.convert_to_tensor(np.asarray(x[i:i + batch_size]), "float32")
            out.append(ops.convert_to_numpy(
                reconstruction_error(xb, self.reconstruct(xb), self.reconstruction_loss)))
        return np.concatenate(out)

    # -- what to compute --------------------------------------------------------
    def corrupt(self, x):
        """The encoder's training input (identity; denoising AEs corrupt it)."""
        return x

    def compute_penalty(self, x, x_input, code, x_hat):
        """Regularizer added to the loss (zero here). Returns (scalar, dict of extra metrics)."""
        return ops.zeros((), "float32"), {}

    def compute_losses(self, x, training=True):
        """`{"loss": reconstruction + penalty, "reconstruction_loss": ..., **penalty metrics}` (local means)."""
        x_input = self.corrupt(x) if training else x
        code = self.encoder(x_input, training=training)
        x_hat = self.decoder(code, training=training)
        rec = ops.mean(reconstruction_error(x, x_hat, self.reconstruction_loss))
        penalty, extra = self.compute_penalty(x, x_input, code, x_hat)
        return {"loss": rec + penalty, "reconstruction_loss": rec, **extra}

    # -- export and config ------------------------------------------------------

    def _image_spec(self, network, name="images", role="image"):
        shape = tuple(network.output_shape[1:])
        return TensorSpec(name, shape, "float32", role, {"value_range": self._value_range()})

    def _value_range(self):
        return [0.0, 1.0] if self.reconstruction_loss == "bce" else None

    def export_endpoints(self):
        in_shape = tuple(self.encoder.input_shape[1:])
        code = TensorSpec("code", (self.latent_dim,), "float32", "code")
        return [
            Endpoint("decode", self.decoder,
                     [TensorSpec("latent", (self.latent_dim,), "float32", "code",
                                 {"note": "no prior: decode codes from encode"})],
                     [self._image_spec(self.decoder)]),
            Endpoint("encode", self.encoder,
                     [TensorSpec("images", in_shape, "float32", "image",
                                 {"value_range": self._value_range()})],
                     [code]),
        ]

    def get_config(self):
        return {
            **super().get_config(),
            **self.networks_config(),
            "reconstruction_loss": self.reconstruction_loss,
        }


def _compile(model, learning_rate, **compile_kwargs):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_kwargs)
    return model


def dense_pair(input_shape, code_dim, hidden_units, activation="relu",
               code_activation=None, output_activation="sigmoid"):
    """An MLP encoder/decoder pair with mirrored hidden layers."""
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(f"expected input_shape (H, W, C). Received: input_shape={shape}")
    enc = build_dense_encoder(shape, code_dim, hidden_units, activation, code_activation)
    dec = build_dense_decoder(code_dim, shape, tuple(reversed(hidden_units)), activation,
                              output_activation=output_activation)
    return enc, dec


def default_dense_pair(input_shape, code_dim, latent_dim, hidden_units, tiny, full_code_dim, tiny_code_dim=4,
                       code_activation="sigmoid"):
    """`dense_pair` with the regularized autoencoders' defaults.

    The code size is `code_dim`, else `latent_dim` (the CLI's name), else
    `tiny_code_dim` / `full_code_dim`; `hidden_units=None` means one hidden
    layer of 256 (none when `tiny`).
    """
    code_dim = code_dim or latent_dim or (tiny_code_dim if tiny else full_code_dim)
    hidden_units = tuple(hidden_units if hidden_units is not None else (() if tiny else (256,)))
    return dense_pair(input_shape, code_dim, hidden_units, code_activation=code_activation)


@register_builder("autoencoder", scale="sigmoid",
                  paper="Hinton & Salakhutdinov 2006, https://doi.org/10.1126/science.1127647")
def build_autoencoder(input_shape, num_classes=None, tiny=False, code_dim=None, hidden_units=None,
                      reconstruction_loss="mse", learning_rate=1e-3, seed=None, latent_dim=None,
                      **compile_kwargs):
    """Dense undercomplete autoencoder on [0, 1] images (sigmoid output).

    Returns:
        A compiled `Autoencoder`.
    """
    code_dim = code_dim or latent_dim or (4 if tiny else 32)  # latent_dim: the CLI's name
    hidden_units = tuple(hidden_units or ((16,) if tiny else (256,)))
    enc, dec = dense_pair(input_shape, code_dim, hidden_units)
    return _compile(Autoencoder(enc, dec, reconstruction_loss, seed=seed), learning_rate,
                    **compile_kwargs)


@register_builder("conv_autoencoder", scale="sigmoid",
                  paper="Masci et al. 2011, https://doi.org/10.1007/978-3-642-21735-7_7")
def build_conv_autoencoder(input_shape, num_classes=None, tiny=False, code_dim=None, filters=None,
                           upsample="transpose", reconstruction_loss="bce", learning_rate=1e-3,
                           seed=None, latent_dim=None, **compile_kwargs):
    """Convolutional autoencoder: strided-conv encoder, transposed- or resize-conv decoder.

    Returns:
        A compiled `Autoencoder`.
    """
    code_dim = code_dim or latent_dim or (4 if tiny else 32)
    filters = tuple(filters or ((4, 8) if tiny else (32, 64)))
    enc = build_conv_encoder(input_shape, code_dim, filters)
    dec = build_conv_decoder(code_dim, input_shape, tuple(reversed(filters)), upsample=upsample,
                             output_activation="sigmoid")
    return _compile(Autoencoder(enc, dec, reconstruction_loss, seed=seed), learning_rate,
                    **compile_kwargs)
