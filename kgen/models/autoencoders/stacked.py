"""Stacked autoencoder: greedy layer-wise pretraining, then end-to-end fine-tuning.

Hinton & Salakhutdinov (2006) pretrain with RBMs; Bengio et al. (2007) show
the same greedy scheme with autoencoders, which is what this does.
https://www.science.org/doi/10.1126/science.1127647
https://papers.nips.cc/paper/3048-greedy-layer-wise-training-of-deep-networks
"""

import keras
import tensorflow as tf
from keras import layers

from kgen.models.autoencoders.autoencoder import Autoencoder, reconstruction_error
from kgen.zoo import register_builder


def build_stacked_networks(input_shape, layer_sizes, activation="sigmoid",
                           code_activation=None, output_activation="sigmoid"):
    """Encoder `Flatten -> Dense(s_1) -> ... -> Dense(s_L)` and its mirror decoder.

    Layers are named `enc{i}` / `dec{i}` so that `dec{i}` inverts `enc{i}`.

    Example:
        >>> enc, dec = build_stacked_networks((8, 8, 1), (32, 16, 4))
    """
    shape = tuple(int(v) for v in input_shape)
    sizes = [int(s) for s in layer_sizes]
    if not sizes:
        raise ValueError("expected at least one layer size. Received: layer_sizes=()")
    dim = 1
    for s in shape:
        dim *= s
    x = keras.Input(shape, name="images")
    h = layers.Flatten(name="flatten")(x)
    for i, s in enumerate(sizes):
        act = code_activation if i == len(sizes) - 1 else activation
        h = layers.Dense(s, activation=act, name=f"enc{i}")(h)
    encoder = keras.Model(x, h, name="encoder")
    z = keras.Input((sizes[-1],), name="latent")
    h = z
    widths = [dim] + sizes[:-1]
    for i in reversed(range(len(sizes))):
        act = output_activation if i == 0 else activation
        h = layers.Dense(widths[i], activation=act, dtype="float32" if i == 0 else None,
                         name=f"dec{i}")(h)
    out = layers.Reshape(shape, dtype="float32", name="image")(h)
    decoder = keras.Model(z, out, name="decoder")
    return encoder, decoder


@keras.saving.register_keras_serializable(package="kgen")
class StackedAutoencoder(Autoencoder):
    """Deep autoencoder of dense layers with greedy layer-wise pretraining.

    `pretrain(dataset)` trains, for i = 1..L, the shallow autoencoder
    `dec_i(enc_i(h_{i-1}))` on the codes h_{i-1} of the already-trained
    (frozen) lower layers; `fit` then fine-tunes the whole stack end to end.

    Args:
        encoder, decoder: from `build_stacked_networks` (layers `enc{i}` / `dec{i}`).
        reconstruction_loss: loss of the whole stack and of the first level;
            upper levels reconstruct real-valued codes with MSE.

    Example:
        >>> sae = build_stacked_autoencoder((16, 16, 1), layer_sizes=(128, 64, 16))
        >>> sae.pretrain(ds, epochs_per_layer=5)
        >>> sae.fit(ds, epochs=10)
    """

    def _levels(self):
        n = sum(1 for lay in self.encoder.layers if lay.name.startswith("enc"))
        return [(self.encoder.get_layer(f"enc{i}"), self.decoder.get_layer(f"dec{i}"))
                for i in range(n)]

    def pretrain(self, dataset, epochs_per_layer=1, learning_rate=1e-3, verbose=0):
        """Greedy layer-wise pretraining; returns the list of per-level loss histories."""
        levels = self._levels()
        histories = []
        flatten = self.encoder.get_layer("flatten")
        for i, (enc, dec) in enumerate(levels):
            lower = [e for e, _ in levels[:i]]

            def features(*data, lower=lower):
                # Batches may be images or (images, labels): tf.data passes tuples unpacked.
                x, _ = self.unpack_batch(data)
                h = flatten(tf.cast(x, tf.float32))
                for e in lower:
                    h = e(h)
                return h

            feats = dataset.map(features)
            inp = keras.Input((enc.kernel.shape[0],), name=f"level{i}_input")
            level = keras.Model(inp, dec(enc(inp)), name=f"level{i}")
            loss = self.reconstruction_loss if i == 0 else "mse"
            level.compile(optimizer=keras.optimizers.Adam(learning_rate),
                          loss=_LevelLoss(loss))
            hist = level.fit(feats.map(lambda h: (h, h)), epochs=epochs_per_layer, verbose=verbose)
            histories.append(hist.history["loss"])
        return histories


@keras.saving.register_keras_serializable(package="kgen")
class _LevelLoss(keras.losses.Loss):
    def __init__(self, kind="mse", **kwargs):
        super().__init__(**kwargs)
        self.kind = kind

    def call(self, y_true, y_pred):
        return reconstruction_error(y_true, y_pred, self.kind)

    def get_config(self):
        return {**super().get_config(), "kind": self.kind}


@register_builder("stacked_autoencoder", scale="sigmoid",
                  paper="Bengio et al. 2007, https://papers.nips.cc/paper/3048")
def build_stacked_autoencoder(input_shape, num_classes=None, tiny=False, layer_sizes=None,
                              activation="sigmoid", reconstruction_loss="bce", learning_rate=1e-3,
                              seed=None, latent_dim=None, **compile_kwargs):
    """Stacked autoencoder (Hinton & Salakhutdinov-style sizes, scaled to the input).

    Returns:
        A compiled `StackedAutoencoder` (call `pretrain` before `fit`).
    """
    sizes = tuple(layer_sizes or ((16, 4) if tiny else (256, 128, 32)))
    if latent_dim:  # the CLI's name for the code size: the last layer
        sizes = sizes[:-1] + (int(latent_dim),)
    enc, dec = build_stacked_networks(input_shape, sizes, activation)
    model = StackedAutoencoder(enc, dec, reconstruction_loss, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_kwargs)
    return model
