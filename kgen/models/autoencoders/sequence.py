"""Sequence (recurrent) autoencoder: LSTM sequence-to-vector encoder, vector-to-sequence decoder.

Srivastava, Mansimov & Salakhutdinov (2015), https://arxiv.org/abs/1502.04681.
Variable-length sequences are zero-padded at the end; padded steps (all
features exactly `mask_value`) are masked in the encoder and in the loss.
"""

import keras
import numpy as np
from keras import layers, ops

from kgen.models.autoencoders.autoencoder import Autoencoder
from kgen.models.core import Endpoint, TensorSpec
from kgen.zoo import register_builder


def build_sequence_networks(input_shape, code_dim, units=64, mask_value=0.0):
    """LSTM encoder `(N, T, F) -> (N, code_dim)` and decoder `(N, code_dim) -> (N, T, F)`.

    Example:
        >>> enc, dec = build_sequence_networks((20, 3), 8)
    """
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 2:
        raise ValueError(f"expected input_shape (T, F) for sequences. Received: input_shape={shape}")
    steps, features = shape
    seq = keras.Input(shape, name="sequences")
    h = layers.Masking(mask_value=mask_value, name="mask")(seq)
    h = layers.LSTM(units, name="lstm")(h)
    code = layers.Dense(code_dim, dtype="float32", name="code")(h)
    encoder = keras.Model(seq, code, name="encoder")
    z = keras.Input((code_dim,), name="latent")
    h = layers.RepeatVector(steps, name="repeat")(z)
    h = layers.LSTM(units, return_sequences=True, name="lstm")(h)
    out = layers.Dense(features, dtype="float32", name="step_output")(h)
    decoder = keras.Model(z, out, name="decoder")
    return encoder, decoder


def sequence_mask(x, mask_value=0.0):
    """1.0 for real steps, 0.0 for padding (all features == mask_value): `(N, T)`."""
    return ops.cast(ops.any(ops.not_equal(x, mask_value), axis=-1), "float32")


@keras.saving.register_keras_serializable(package="kgen")
class SequenceAutoencoder(Autoencoder):
    """Recurrent autoencoder for variable-length sequences `(N, T, F)`.

    The loss is the squared error summed over real (unmasked) steps and
    features, averaged over sequences.

    Args:
        encoder, decoder: from `build_sequence_networks`.
        mask_value: padding value (steps whose features all equal it are masked).

    Example:
        >>> sae = build_sequence_autoencoder((20, 3))
        >>> sae.fit(padded_sequences, epochs=5)
        >>> codes = sae.encode(padded_sequences)
    """

    def __init__(self, encoder, decoder, mask_value=0.0, seed=None, **kwargs):
        kwargs.pop("reconstruction_loss", None)
        super().__init__(encoder, decoder, "mse", seed=seed, **kwargs)
        self.mask_value = float(mask_value)

    def compute_losses(self, x, training=True):
        x = ops.cast(x, "float32")
        code = self.encoder(x, training=training)
        x_hat = self.decoder(code, training=training)
        mask = sequence_mask(x, self.mask_value)
        err = ops.sum(ops.square(x - x_hat), axis=-1) * mask
        rec = ops.mean(ops.sum(err, axis=-1))
        return {"loss": rec, "reconstruction_loss": rec}

    def anomaly_score(self, x, batch_size=256):
        out = []
        for i in range(0, len(x), batch_size):
            xb = ops.convert_to_tensor(np.asarray(x[i:i + batch_size]), "float32")
            mask = sequence_mask(xb, self.mask_value)
            err = ops.sum(ops.square(xb - self.reconstruct(xb)), axis=-1) * mask
            out.append(ops.convert_to_numpy(ops.sum(err, axis=-1)))
        return np.concatenate(out)

    def export_endpoints(self):
        shape = tuple(self.encoder.input_shape[1:])
        return [
            Endpoint("decode", self.decoder,
                     [TensorSpec("latent", (self.latent_dim,), "float32", "code",
                                 {"note": "no prior: decode codes from encode"})],
                     [TensorSpec("sequences", shape, "float32", "output",
                                 {"note": "reconstruction for every step; the caller truncates"})]),
            Endpoint("encode", self.encoder,
                     # role "image": the data input (a sequence here; see info).
                     [TensorSpec("sequences", shape, "float32", "image",
                                 {"kind": "sequence", "mask_value": self.mask_value})],
                     [TensorSpec("code", (self.latent_dim,), "float32", "code")]),
        ]

    def get_config(self):
        config = super().get_config()
        config.pop("reconstruction_loss", None)
        return {**config, "mask_value": self.mask_value}


@register_builder("sequence_autoencoder", data="sequences", scale="tanh",
                  paper="Srivastava et al. 2015, https://arxiv.org/abs/1502.04681")
def build_sequence_autoencoder(input_shape, num_classes=None, tiny=False, code_dim=None, units=None,
                               mask_value=0.0, learning_rate=1e-3, seed=None, latent_dim=None,
                               **compile_kwargs):
    """LSTM sequence autoencoder for `(T, F)` zero-padded sequences.

    Returns:
        A compiled `SequenceAutoencoder`.
    """
    code_dim = code_dim or latent_dim or (4 if tiny else 32)
    units = units or (8 if tiny else 64)
    enc, dec = build_sequence_networks(input_shape, code_dim, units, mask_value)
    model = SequenceAutoencoder(enc, dec, mask_value, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_kwargs)
    return model
