"""Gumbel-softmax (Concrete) VAE with categorical latents (Jang et al., 2017; Maddison et al., 2017).

https://arxiv.org/abs/1611.01144
"""

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from kgen import distribute, priors
from kgen.models.core import Endpoint, EncoderDecoderConfig, GenerativeModel, SingleObjectiveSteps, TensorSpec
from kgen.models.vae import likelihoods
from kgen.networks.autoencoders import build_dense_decoder, build_dense_encoder
from kgen.zoo import register_builder

tfd = tfp.distributions


def gumbel_softmax_sample(logits, uniform, temperature):
    """Reparameterized sample of RelaxedOneHotCategorical(temperature, logits) from uniform noise.

    `softmax((logits + g) / temperature)` with `g = -log(-log u)`: the same
    transformation `tfd.RelaxedOneHotCategorical` applies to its own uniform
    draws; taking `u` from the caller keeps noise under the model's seed.
    """
    u = tf.clip_by_value(tf.cast(uniform, tf.float32), 1e-20, 1.0 - 1e-7)
    gumbel = -tf.math.log(-tf.math.log(u))
    return tf.nn.softmax((tf.cast(logits, tf.float32) + gumbel) / temperature, axis=-1)


@keras.saving.register_keras_serializable(package="kgen")
class GroupSoftmax(keras.layers.Layer):
    """Softmax over groups of `num_categories` in a flat vector `(N, V*K) -> (N, V*K)`."""

    def __init__(self, num_categories, **kwargs):
        super().__init__(**kwargs)
        self.num_categories = int(num_categories)

    def call(self, logits):
        shape = ops.shape(logits)
        grouped = ops.reshape(ops.cast(logits, "float32"), (shape[0], -1, self.num_categories))
        return ops.reshape(ops.softmax(grouped, axis=-1), (shape[0], -1))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_categories": self.num_categories}


@keras.saving.register_keras_serializable(package="kgen")
class GumbelSoftmaxVAE(SingleObjectiveSteps, EncoderDecoderConfig, GenerativeModel):
    """VAE with `num_variables` categorical latents of `num_categories` classes each.

    Training samples the relaxed posterior RelaxedOneHotCategorical(tau, logits)
    (reparameterized); the KL is the analytic KL of the discrete posterior
    OneHotCategorical(logits) from the uniform prior, as in Jang et al. The
    temperature anneals as `tau_t = max(min_temperature, temperature *
    exp(-anneal_rate * step))`. Latents are flat `(N, V*K)` vectors of
    concatenated (relaxed) one-hots; the model's prior is
    `kgen.priors.OneHotCategorical(V, K)`: the KL term, `generate(n)`,
    sample grids and the edge runner decode exact one-hots drawn from it.

    Args:
        encoder: `images -> (N, V*K)` logits.
        decoder: `(N, V*K) -> Bernoulli logits (N, H, W, C)`.
        num_variables: V.
        num_categories: K.
        temperature: initial tau (1.0 in the paper).
        min_temperature: floor of tau (0.5 in the paper).
        anneal_rate: per-step exponential annealing rate (paper: 3e-5).
        binarize: "dynamic" or None.
        seed: seed of the model's noise.

    Example:
        >>> vae = build_gumbel_vae((28, 28, 1))   # 30 variables x 10 categories
    """

    def __init__(self, encoder, decoder, num_variables, num_categories, temperature=1.0,
                 min_temperature=0.5, anneal_rate=3e-5, binarize="dynamic", seed=None, **kwargs):
        self.num_variables = int(num_variables)
        self.num_categories = int(num_categories)
        super().__init__(prior=priors.OneHotCategorical(self.num_variables, self.num_categories), seed=seed,
                         **kwargs)
        if int(encoder.output_shape[-1]) != self.latent_dim:
            raise ValueError(
                f"the encoder must output num_variables*num_categories={self.latent_dim} logits. "
                f"Received: {encoder.output_shape[-1]}")
        if binarize not in (None, "dynamic"):
            raise ValueError(f"expected binarize in (None, 'dynamic'). Received: {binarize!r}")
        self.encoder = encoder
        self.decoder = decoder
        self.temperature = float(temperature)
        self.min_temperature = float(min_temperature)
        self.anneal_rate = float(anneal_rate)
        self.binarize = binarize
        self.built = True

    def metric_names(self):
        return ["loss", "reconstruction_loss", "kl_loss", "temperature"]

    def current_temperature(self):
        """tau at the current optimizer step."""
        if self.optimizer is None:
            return tf.constant(self.temperature, tf.float32)
        step = tf.cast(self.optimizer.iterations, tf.float32)
        return tf.maximum(self.min_temperature, self.temperature * tf.exp(-self.anneal_rate * step))

    def posterior_logits(self, x, training=False):
        logits = tf.cast(self.encoder(x, training=training), tf.float32)
        return tf.reshape(logits, (-1, self.num_variables, self.num_categories))

    def posterior(self, x, temperature=None, training=False):
        """The relaxed posterior `tfd.RelaxedOneHotCategorical` with batch shape `(N, V)`."""
        tau = self.current_temperature() if temperature is None else temperature
        return tfd.RelaxedOneHotCategorical(tau, logits=self.posterior_logits(x, training))

    def kl_divergence(self, logits):
        """KL(OneHotCategorical(logits) || the uniform prior) summed over variables: `(N,)`."""
        q = tfd.Independent(tfd.OneHotCategorical(logits=logits, dtype=tf.float32), reinterpreted_batch_ndims=1)
        return tfd.kl_divergence(q, self.prior["latent"].distribution())

    def compute_losses(self, x, training=True):
        logits = self.posterior_logits(x, training)
        n = tf.shape(x)[0]
        u = distribute.draw_for_replica(lambda shape: keras.random.uniform(shape, seed=self.seed_generator),
                                        n, (self.num_variables, self.num_categories))
        tau = self.current_temperature()
        z = tf.reshape(gumbel_softmax_sample(logits, u, tau), (-1, self.latent_dim))
        params = self.decoder(z, training=training)
        rec = -tf.reduce_mean(likelihoods.log_prob("bernoulli", params, x))
        kl = tf.reduce_mean(self.kl_divergence(logits))
        return {"loss": rec + kl, "reconstruction_loss": rec, "kl_loss": kl, "temperature": tau}

    def batch_inputs(self, data):
        x, _ = self.unpack_batch(data)
        x = tf.clip_by_value(tf.cast(x, tf.float32), 0.0, 1.0)
        if self.binarize == "dynamic":
            u = distribute.draw_for_replica(lambda shape: keras.random.uniform(shape, seed=self.seed_generator),
                                            tf.shape(x)[0], tuple(x.shape[1:]))
            x = tf.cast(u < x, tf.float32)
        return (x,)

    def call(self, x, training=False):
        return self.reconstruct(x, training)

    def encode(self, x, training=False):
        """Posterior class probabilities, flattened `(N, V*K)`."""
        return GroupSoftmax(self.num_categories)(self.encoder(ops.convert_to_tensor(x, "float32"),
                                                              training=training))

    def reconstruct(self, x, training=False):
        """Decode the most probable category of each variable."""
        logits = self.posterior_logits(ops.convert_to_tensor(x, "float32"), training)
        z = tf.reshape(tf.one_hot(tf.argmax(logits, -1), self.num_categories), (-1, self.latent_dim))
        return self.decode_latent(z, training=training)

    def decode_latent(self, z, labels=None, training=False):
        return tf.sigmoid(tf.cast(self.decoder(z, training=training), tf.float32))

    def export_endpoints(self):
        head = likelihoods.LikelihoodMean("bernoulli", name="mean_image")
        decode = keras.Model(self.decoder.inputs, head(self.decoder.outputs[0]), name="decode")
        probs = GroupSoftmax(self.num_categories, name="posterior_probs")
        encode = keras.Model(self.encoder.inputs, probs(self.encoder.outputs[0]), name="encode")
        shape = tuple(self.encoder.inputs[0].shape[1:])
        return [
            Endpoint("decode", decode, self.prior_specs(),
                     [TensorSpec("images", shape, "float32", "image",
                                 {"value_range": [0.0, 1.0], "statistic": "mean"})]),
            Endpoint("encode", encode,
                     [TensorSpec("images", shape, "float32", "image", {"value_range": [0.0, 1.0]})],
                     [TensorSpec("probs", (self.latent_dim,), "float32", "code",
                                 {"num_categories": self.num_categories})]),
        ]

    def get_config(self):
        return {**super().get_config(),
                **self.networks_config(),
                "num_variables": self.num_variables, "num_categories": self.num_categories,
                "temperature": self.temperature, "min_temperature": self.min_temperature,
                "anneal_rate": self.anneal_rate, "binarize": self.binarize}


@register_builder("gumbel_vae", scale="sigmoid",
                  paper="Jang et al. 2017, https://arxiv.org/abs/1611.01144")
def build_gumbel_vae(input_shape, num_classes=None, tiny=False, num_variables=None,
                     num_categories=None, hidden_units=None, temperature=1.0, min_temperature=0.5,
                     anneal_rate=3e-5, learning_rate=1e-3, seed=None, latent_dim=None, **compile_kwargs):
    """Jang et al.'s categorical VAE: 30 x 10-way latents, 512-256 ReLU MLPs, Bernoulli.

    Returns:
        A compiled `GumbelSoftmaxVAE`.
    """
    k = num_categories or (3 if tiny else 10)
    if latent_dim and int(latent_dim) % k:
        raise ValueError(f"latent_dim={latent_dim} must be num_variables * num_categories "
                         f"(a multiple of {k}); or pass num_variables= and num_categories=.")
    v = num_variables or (int(latent_dim) // k if latent_dim else (2 if tiny else 30))
    hidden = tuple(hidden_units or ((16,) if tiny else (512, 256)))
    enc = build_dense_encoder(input_shape, v * k, hidden, "relu")
    dec = build_dense_decoder(v * k, input_shape, tuple(reversed(hidden)), "relu")
    model = GumbelSoftmaxVAE(enc, dec, v, k, temperature, min_temperature, anneal_rate, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_kwargs)
    return model
