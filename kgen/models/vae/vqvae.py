"""VQ-VAE: nearest-codebook quantization with a straight-through gradient (van den Oord et al., 2017).

https://arxiv.org/abs/1711.00937
"""

import keras
import tensorflow as tf
from keras import layers, ops

from kgen import priors
from kgen.models.core import (Endpoint, EncoderDecoderConfig, GenerativeModel, SingleObjectiveSteps, TensorSpec,
                              cross_replica_mean, cross_replica_sum)
from kgen.networks.autoencoders import build_conv_feature_decoder, build_conv_feature_encoder
from kgen.zoo import register_builder


@keras.saving.register_keras_serializable(package="kgen")
class VectorQuantizer(keras.layers.Layer):
    """Replace each D-vector of the input by its nearest codebook entry.

    `call(z_e)` returns the quantized tensor (same shape)
    and `nearest(z_e)` also returns the code indices; `straight_through(z_e, z_q)` is
    `z_e + stop_gradient(z_q - z_e)`: forward value z_q, gradient copied to
    z_e unchanged.

    Args:
        num_embeddings: K, codebook size.
        embedding_dim: D.
        ema: if True, the codebook is not trained by gradients but updated by
            exponential moving averages of assigned encoder outputs
            (`ema_update`; van den Oord et al., appendix A.1).
        decay: EMA decay (0.99).
        epsilon: Laplace smoothing of EMA cluster sizes.
    """

    def __init__(self, num_embeddings, embedding_dim, ema=False, decay=0.99, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.ema = bool(ema)
        self.decay = float(decay)
        self.epsilon = float(epsilon)
        self.codebook = self.add_weight(
            shape=(self.num_embeddings, self.embedding_dim), name="codebook",
            initializer=keras.initializers.RandomUniform(-1.0 / self.num_embeddings,
                                                         1.0 / self.num_embeddings),
            trainable=not self.ema, aggregation="mean")
        if self.ema:
            self.cluster_size = self.add_weight(shape=(self.num_embeddings,), name="cluster_size",
                                                initializer="zeros", trainable=False,
                                                aggregation="mean")
            self.embed_sum = self.add_weight(shape=(self.num_embeddings, self.embedding_dim),
                                             name="embed_sum", initializer="zeros",
                                             trainable=False, aggregation="mean")

    def nearest(self, z_e):
        """Nearest codes: `(z_q, indices)` with indices of shape `z_e.shape[:-1]`."""
        z = tf.cast(z_e, tf.float32)
        flat = tf.reshape(z, (-1, self.embedding_dim))
        e = tf.convert_to_tensor(self.codebook)
        dist = (tf.reduce_sum(tf.square(flat), axis=1, keepdims=True)
                - 2.0 * tf.matmul(flat, e, transpose_b=True)
                + tf.reduce_sum(tf.square(e), axis=1)[None, :])
        idx = tf.argmin(dist, axis=1, output_type=tf.int32)
        z_q = tf.reshape(tf.gather(e, idx), tf.shape(z))
        return z_q, tf.reshape(idx, tf.shape(z)[:-1])

    def lookup(self, indices):
        """Codebook vectors of integer `indices`: shape `indices.shape + (D,)`."""
        return tf.gather(tf.convert_to_tensor(self.codebook), tf.cast(indices, tf.int32))

    @staticmethod
    def straight_through(z_e, z_q):
        return z_e + ops.stop_gradient(z_q - z_e)

    def call(self, z_e):
        return self.nearest(z_e)[0]

    def ema_update(self, z_e, indices):
        """One EMA step of cluster sizes, sums and the codebook from this batch's assignments."""
        flat = tf.reshape(tf.cast(z_e, tf.float32), (-1, self.embedding_dim))
        onehot = tf.one_hot(tf.reshape(indices, (-1,)), self.num_embeddings)
        # Statistics of the global batch, so every replica assigns the same
        # values (and a step on N replicas equals one on a single device).
        counts = cross_replica_sum(tf.reduce_sum(onehot, axis=0))
        sums = cross_replica_sum(tf.matmul(onehot, flat, transpose_a=True))
        d = self.decay
        size = self.cluster_size * d + (1.0 - d) * counts
        embed_sum = self.embed_sum * d + (1.0 - d) * sums
        n = tf.reduce_sum(size)
        smoothed = (size + self.epsilon) / (n + self.num_embeddings * self.epsilon) * n
        self.cluster_size.assign(size)
        self.embed_sum.assign(embed_sum)
        self.codebook.assign(embed_sum / smoothed[:, None])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_embeddings": self.num_embeddings,
                "embedding_dim": self.embedding_dim, "ema": self.ema, "decay": self.decay,
                "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="kgen")
class CodebookLookup(keras.layers.Layer):
    """Integer code indices `(N, ...)` to their codebook vectors `(N, ..., D)` (a frozen copy for export).

    Args:
        num_embeddings: K.
        embedding_dim: D (set the values with `set_weights([codebook])`).
    """

    def __init__(self, num_embeddings, embedding_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.codebook = self.add_weight(shape=(self.num_embeddings, self.embedding_dim), name="codebook",
                                        initializer="zeros", trainable=False)

    def call(self, indices):
        return ops.take(ops.convert_to_tensor(self.codebook), ops.cast(indices, "int32"), axis=0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.embedding_dim)

    def get_config(self):
        return {**super().get_config(), "num_embeddings": self.num_embeddings,
                "embedding_dim": self.embedding_dim}


@keras.saving.register_keras_serializable(package="kgen")
class VQVAE(SingleObjectiveSteps, EncoderDecoderConfig, GenerativeModel):
    """Vector-quantized autoencoder.

    Loss = reconstruction MSE (mean over pixels) + codebook loss
    `mean ||sg(z_e) - e||^2` (omitted with EMA updates) + commitment loss
    `beta * mean ||z_e - sg(e)||^2`. The decoder takes the flattened
    quantized map `(N, h*w*D)`. The model's prior is over code *indices*:
    `kgen.priors.Categorical(K, (h, w))`, uniform (no learned prior), and its
    generate/decode endpoint maps index maps to images (`latent_dim` is
    `h*w`, the number of indices).

    Args:
        encoder: `images -> (N, h, w, D)`.
        decoder: `(N, h*w*D) -> images`.
        num_embeddings: codebook size K.
        commitment_cost: beta (0.25).
        ema: EMA codebook updates instead of the codebook loss.
        decay: EMA decay.

    Example:
        >>> vq = build_vqvae((16, 16, 1), num_embeddings=64)
        >>> vq.fit(ds, epochs=10)
        >>> codes = vq.encode_indices(images)   # (N, h, w) ints
    """

    def __init__(self, encoder, decoder, num_embeddings=64, commitment_cost=0.25, ema=False,
                 decay=0.99, seed=None, **kwargs):
        latent_shape = tuple(int(v) for v in encoder.output_shape[1:])
        if len(latent_shape) != 3:
            raise ValueError(f"expected an encoder output (N, h, w, D). Received: {encoder.output_shape}")
        super().__init__(prior=priors.Categorical(num_embeddings, latent_shape[:2]), seed=seed, **kwargs)
        self.latent_shape = latent_shape
        self.code_size = latent_shape[0] * latent_shape[1] * latent_shape[2]
        if int(decoder.input_shape[-1]) != self.code_size:
            raise ValueError(f"the decoder must take flat latents of size h*w*D={self.code_size}. "
                             f"Received: decoder input {decoder.input_shape}")
        self.encoder = encoder
        self.decoder = decoder
        self.commitment_cost = float(commitment_cost)
        self.quantizer = VectorQuantizer(num_embeddings, self.latent_shape[-1], ema=ema, decay=decay,
                                         name="quantizer")
        self.built = True

    def metric_names(self):
        return ["loss", "reconstruction_loss", "vq_loss", "perplexity"]

    def compute_losses(self, x, training=True):
        x = tf.cast(x, tf.float32)
        z_e = tf.cast(self.encoder(x, training=training), tf.float32)
        z_q, idx = self.quantizer.nearest(z_e)
        commitment = self.commitment_cost * tf.reduce_mean(tf.square(z_e - tf.stop_gradient(z_q)))
        vq = commitment
        if not self.quantizer.ema:
            vq = vq + tf.reduce_mean(tf.square(tf.stop_gradient(z_e) - z_q))
        z_st = self.quantizer.straight_through(z_e, z_q)
        x_hat = self.decoder(tf.reshape(z_st, (-1, self.code_size)), training=training)
        rec = tf.reduce_mean(tf.square(x - tf.cast(x_hat, tf.float32)))
        usage = cross_replica_mean(
            tf.reduce_mean(tf.one_hot(tf.reshape(idx, (-1,)), self.quantizer.num_embeddings), 0))
        perplexity = tf.exp(-tf.reduce_sum(usage * tf.math.log(usage + 1e-10)))
        return {"loss": rec + vq, "reconstruction_loss": rec, "vq_loss": vq, "perplexity": perplexity,
                "encoder_outputs": z_e, "code_indices": idx}

    # Train/test steps: SingleObjectiveSteps; the EMA codebook update follows the optimizer step.
    def after_update(self, terms):
        if self.quantizer.ema:
            self.quantizer.ema_update(terms["encoder_outputs"], terms["code_indices"])

    # -- inference --------------------------------------------------------------
    def call(self, x, training=False):
        return self.reconstruct(x, training)

    def encode(self, x, training=False):
        """Flattened quantized maps `(N, h*w*D)` (the decoder's input)."""
        z_q = self.quantizer(self.encoder(ops.convert_to_tensor(x, "float32"), training=training))
        return ops.reshape(z_q, (-1, self.code_size))

    def encode_indices(self, x):
        """Code indices `(N, h, w)`."""
        return self.quantizer.nearest(self.encoder(ops.convert_to_tensor(x, "float32")))[1]

    def decode_indices(self, indices, training=False):
        """Images from code indices `(N, h, w)`."""
        z_q = self.quantizer.lookup(indices)
        return self.decoder(ops.reshape(z_q, (-1, self.code_size)), training=training)

    def reconstruct(self, x, training=False):
        return self.decoder(self.encode(x, training), training=training)

    def decode_latent(self, z, labels=None, training=False):
        """Images from the prior's latent: code index maps `(N, h, w)`."""
        return self.decode_indices(z, training=training)

    def export_endpoints(self):
        shape = tuple(self.encoder.inputs[0].shape[1:])
        q = VectorQuantizer.from_config(self.quantizer.get_config())
        q.build(None)
        q.set_weights(self.quantizer.get_weights())
        # A copy of the quantizer (same codebook values) keeps the export
        # graph free of the training model's variables.
        flat = layers.Reshape((self.code_size,), name="flat_latent")(q(self.encoder.outputs[0]))
        encode = keras.Model(self.encoder.inputs, flat, name="encode")
        lookup = CodebookLookup(self.quantizer.num_embeddings, self.latent_shape[-1], name="codebook")
        lookup.build(None)
        lookup.set_weights([self.quantizer.get_weights()[0]])
        indices = keras.Input(self.latent_shape[:2], dtype="int32", name="latent")
        codes = layers.Reshape((self.code_size,), name="flat_codes")(lookup(indices))
        decode = keras.Model(indices, self.decoder(codes), name="decode")
        return [
            Endpoint("decode", decode, self.prior_specs(),
                     [TensorSpec("images", tuple(self.decoder.output_shape[1:]), "float32", "image",
                                 {"value_range": [0.0, 1.0]})]),
            Endpoint("encode", encode,
                     [TensorSpec("images", shape, "float32", "image", {"value_range": [0.0, 1.0]})],
                     [TensorSpec("code", (self.code_size,), "float32", "code",
                                 {"quantized": True, "latent_shape": list(self.latent_shape)})]),
        ]

    def get_config(self):
        return {**super().get_config(),
                **self.networks_config(),
                "num_embeddings": self.quantizer.num_embeddings,
                "commitment_cost": self.commitment_cost, "ema": self.quantizer.ema,
                "decay": self.quantizer.decay}


@register_builder("vqvae", scale="sigmoid",
                  paper="van den Oord et al. 2017, https://arxiv.org/abs/1711.00937")
def build_vqvae(input_shape, num_classes=None, tiny=False, num_embeddings=None, embedding_dim=None,
                filters=None, commitment_cost=0.25, ema=False, upsample="transpose",
                learning_rate=2e-4, seed=None, latent_dim=None, **compile_kwargs):
    """VQ-VAE with a strided-conv encoder and a transposed/resize-conv decoder (sigmoid output).

    Returns:
        A compiled `VQVAE` (K=64, D=16 by default; K=8, D=2 tiny).
    """
    if latent_dim:
        raise ValueError("a VQ-VAE's latent size is set by embedding_dim and the encoder's "
                         f"downsampling, not latent_dim={latent_dim}; pass embedding_dim=.")
    k = num_embeddings or (8 if tiny else 64)
    d = embedding_dim or (2 if tiny else 16)
    filters = tuple(filters or ((4, 8) if tiny else (32, 64)))
    enc = build_conv_feature_encoder(input_shape, d, filters)
    latent_shape = tuple(enc.output_shape[1:])
    dec = build_conv_feature_decoder(latent_shape, input_shape, tuple(reversed(filters)),
                                     upsample=upsample, output_activation="sigmoid")
    model = VQVAE(enc, dec, k, commitment_cost, ema=ema, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_kwargs)
    return model
