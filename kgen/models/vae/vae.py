"""Variational autoencoder (Kingma & Welling, 2014) on `tfp.distributions`, with beta and conditional variants.

https://arxiv.org/abs/1312.6114
"""

import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from kgen import distribute, priors
from kgen.models.core import Endpoint, EncoderDecoderConfig, GenerativeModel, SingleObjectiveSteps, TensorSpec
from kgen.models.vae import likelihoods
from kgen.networks import autoencoders as nets
from kgen.zoo import register_builder

tfd = tfp.distributions

_SCALES = ("softplus", "exp")


@keras.saving.register_keras_serializable(package="kgen")
class GaussianPosteriorParams(keras.layers.Layer):
    """Split encoder outputs `(N, 2d)` into the diagonal-Gaussian posterior's mean and scale.

    Args:
        latent_dim: d.
        scale_fn: "softplus" (scale = softplus(raw) + floor) or "exp" (raw is
            the log-variance: scale = exp(raw / 2) + floor).
        scale_floor: lower bound of the scale (keeps log q(z|x) finite).
    """

    def __init__(self, latent_dim, scale_fn="softplus", scale_floor=1e-4, **kwargs):
        super().__init__(**kwargs)
        if scale_fn not in _SCALES:
            raise ValueError(f"expected scale_fn in {_SCALES}. Received: scale_fn={scale_fn!r}")
        self.latent_dim = int(latent_dim)
        self.scale_fn = scale_fn
        self.scale_floor = float(scale_floor)

    def call(self, params):
        params = ops.cast(params, "float32")
        loc = params[:, :self.latent_dim]
        raw = params[:, self.latent_dim:]
        if self.scale_fn == "softplus":
            scale = ops.softplus(raw)
        else:
            scale = ops.exp(0.5 * ops.clip(raw, -30.0, 20.0))
        return [loc, scale + self.scale_floor]

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], self.latent_dim), (input_shape[0], self.latent_dim)]

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "scale_fn": self.scale_fn, "scale_floor": self.scale_floor}


def log_mean_exp(log_w, axis=0):
    """log(mean(exp(log_w))) along `axis`, computed stably."""
    k = tf.cast(tf.shape(log_w)[axis], log_w.dtype)
    return tf.reduce_logsumexp(log_w, axis=axis) - tf.math.log(k)


@keras.saving.register_keras_serializable(package="kgen")
class VAE(SingleObjectiveSteps, EncoderDecoderConfig, GenerativeModel):
    """Variational autoencoder with a diagonal-Gaussian posterior and a standard-normal prior.

    The prior is the model's `kgen.priors.Normal` latent part: the KL term,
    `generate`, sample grids and the edge runner all use that one object
    (a conditional VAE's prior also draws uniform labels).

    The loss is the negative ELBO per example in nats,
    `-E_q[log p(x|z)] + beta_t * KL(q(z|x) || p(z))`, with one reparameterized
    sample `z = mu + sigma * eps`. The KL is analytic (tfp's registered
    Normal-Normal KL) or a Monte-Carlo estimate `log q(z|x) - log p(z)`.
    `beta_t` ramps linearly from 0 to `beta` over `kl_warmup_steps` optimizer
    steps (Bowman et al., 2016; Higgins et al., 2017 use a fixed beta > 1).
    All noise (posterior samples, dynamic binarization) comes from the
    model's seed generator, sliced per replica, so a step on N replicas
    equals a one-device step on the same global batch.

    Args:
        encoder: Keras model `images -> (N, 2*latent_dim)` (or `[images, labels]`).
        decoder: Keras model `latent -> likelihood parameters (N, H, W, C')`
            (or `[latent, labels]`); C' from `likelihoods.param_channels`.
        latent_dim: latent size.
        likelihood: "bernoulli", "gaussian", "gaussian_learned" or "logistic".
        num_classes: set for a conditional VAE (labels into both networks).
        beta: KL weight (beta-VAE for beta > 1).
        kl_warmup_steps: linear KL warm-up length in optimizer steps (0: none).
        posterior_scale: "softplus" or "exp" (log-variance parameterization).
        scale_floor: lower bound of the posterior scale.
        analytic_kl: use the closed-form KL where tfp has it, else Monte Carlo.
        binarize: "dynamic" (resample x ~ Bernoulli(x) every step, as in Burda
            et al.), or None (use the data as is).
        observation_scale: standard deviation of the "gaussian" likelihood.
        seed: seed of the model's noise.

    Example:
        >>> vae = build_vae((28, 28, 1), latent_dim=50)
        >>> vae.fit(kgen.data.load("npz:...", scale="sigmoid"), epochs=10)
        >>> vae.log_likelihood(x_test, k=5000)   # nats per example
    """

    def __init__(self, encoder, decoder, latent_dim, likelihood="bernoulli", num_classes=None,
                 beta=1.0, kl_warmup_steps=0, posterior_scale="softplus", scale_floor=1e-4,
                 analytic_kl=True, binarize=None, observation_scale=1.0, seed=None, **kwargs):
        if int(latent_dim) < 1:
            raise ValueError(f"expected latent_dim >= 1. Received: latent_dim={latent_dim}")
        prior = priors.Joint(latent=priors.Normal((int(latent_dim),)),
                             labels=priors.Categorical(num_classes) if num_classes else None)
        super().__init__(prior=prior, seed=seed, **kwargs)
        self.likelihood = likelihoods.check_likelihood(likelihood)
        if binarize not in (None, "dynamic"):
            raise ValueError(f"expected binarize in (None, 'dynamic'). Received: {binarize!r}")
        if binarize and likelihood != "bernoulli":
            raise ValueError(f"binarize='dynamic' needs likelihood='bernoulli'. Received: {likelihood!r}")
        if float(beta) < 0:
            raise ValueError(f"expected beta >= 0. Received: beta={beta}")
        out = int(encoder.output_shape[-1])
        if out != 2 * self.latent_dim:
            raise ValueError(
                f"the encoder must output 2*latent_dim={2 * self.latent_dim} values (mean and "
                f"raw scale). Received: encoder output size {out}"
            )
        self.encoder = encoder
        self.decoder = decoder
        self.beta = float(beta)
        self.kl_warmup_steps = int(kl_warmup_steps)
        self.posterior_scale = posterior_scale
        self.scale_floor = float(scale_floor)
        self.analytic_kl = bool(analytic_kl)
        self.binarize = binarize
        self.observation_scale = float(observation_scale)
        self.posterior_params = GaussianPosteriorParams(self.latent_dim, posterior_scale,
                                                        scale_floor, name="posterior_params")
        # Built now (it has no weights): under a distribution strategy Keras
        # otherwise builds the model by calling it on images alone, which a
        # conditional VAE cannot take.
        self.posterior_params.build((None, 2 * self.latent_dim))
        self.built = True

    def metric_names(self):
        return ["loss", "reconstruction_loss", "kl_loss"]

    # -- distributions ----------------------------------------------------------
    def _enc_inputs(self, x, labels):
        return [x, labels] if self.num_classes else x

    def _dec_inputs(self, z, labels):
        return [z, labels] if self.num_classes else z

    def posterior(self, x, labels=None, training=False):
        """q(z|x): a `tfd.Independent(tfd.Normal)` with batch shape `(N,)`, event `(latent_dim,)`."""
        loc, scale = self.posterior_params(self.encoder(self._enc_inputs(x, labels),
                                                        training=training))
        return tfd.Independent(tfd.Normal(loc, scale), reinterpreted_batch_ndims=1)

    def prior_distribution(self):
        """p(z) = N(0, I) as a tfp distribution (the model's latent prior part)."""
        return self.prior["latent"].distribution()

    def observation_log_prob(self, params, x):
        """log p(x|z) per example from decoder outputs `params`."""
        return likelihoods.log_prob(self.likelihood, params, x, self.observation_scale)

    def sample_noise(self, n, k=None):
        """Standard-normal reparameterization noise `(n, d)` or `(k, n, d)`, replica-sliced."""
        normal = lambda shape: keras.random.normal(shape, seed=self.seed_generator)  # noqa: E731
        if k is None:
            return distribute.draw_for_replica(normal, n, (self.latent_dim,))
        eps = distribute.draw_for_replica(normal, n, (k, self.latent_dim))
        return tf.transpose(eps, (1, 0, 2))

    def binarize_batch(self, x):
        """x ~ Bernoulli(x) with the model's noise (dynamic binarization)."""
        x = tf.clip_by_value(tf.cast(x, tf.float32), 0.0, 1.0)
        u = distribute.draw_for_replica(lambda shape: keras.random.uniform(shape, seed=self.seed_generator),
                                        tf.shape(x)[0], tuple(x.shape[1:]))
        return tf.cast(u < x, tf.float32)

    def kl_weight(self):
        """beta_t: beta times the linear warm-up factor at the current optimizer step."""
        if not self.kl_warmup_steps or self.optimizer is None:
            return tf.constant(self.beta, tf.float32)
        step = tf.cast(self.optimizer.iterations, tf.float32) + 1.0
        return self.beta * tf.minimum(1.0, step / float(self.kl_warmup_steps))

    # -- what to compute --------------------------------------------------------
    def kl_divergence(self, q, z=None):
        """KL(q || p) per example: analytic when tfp registers it, else MC with samples `z`."""
        if self.analytic_kl:
            try:
                return tfd.kl_divergence(q, self.prior_distribution())
            except NotImplementedError:
                pass
        if z is None:
            raise ValueError("Monte-Carlo KL needs posterior samples z.")
        return q.log_prob(z) - self.prior_distribution().log_prob(z)

    def elbo_terms(self, x, labels=None, training=False):
        """Negative log-likelihood `(N,)` and KL `(N,)` with one reparameterized sample."""
        q = self.posterior(x, labels, training)
        eps = self.sample_noise(tf.shape(x)[0])
        z = q.distribution.loc + q.distribution.scale * eps
        params = self.decoder(self._dec_inputs(z, labels), training=training)
        nll = -self.observation_log_prob(params, x)
        return nll, self.kl_divergence(q, z)

    def compute_losses(self, x, labels=None, training=True):
        """`{"loss": -ELBO (beta-weighted KL), "reconstruction_loss", "kl_loss"}` (local means)."""
        nll, kl = self.elbo_terms(x, labels, training)
        rec, kl = tf.reduce_mean(nll), tf.reduce_mean(kl)
        return {"loss": rec + self.kl_weight() * kl, "reconstruction_loss": rec, "kl_loss": kl}

    def log_weights(self, x, k, labels=None, training=False):
        """log p(x, z_i) - log q(z_i|x) for k posterior samples: `(k, N)`."""
        q = self.posterior(x, labels, training)
        n = tf.shape(x)[0]
        eps = self.sample_noise(n, k)
        loc, scale = q.distribution.loc, q.distribution.scale
        z = loc[None] + scale[None] * eps  # (k, N, d)
        flat_z = tf.reshape(z, (-1, self.latent_dim))
        flat_labels = None
        if self.num_classes:
            flat_labels = tf.reshape(tf.tile(labels[None], [k, 1]), (-1,))
        params = self.decoder(self._dec_inputs(flat_z, flat_labels), training=training)
        # (k*N, ...) -> (k, N, ...): x broadcasts over the k samples (no k-fold copy of x).
        params = tf.reshape(params, [k, -1, *params.shape[1:]])
        log_px_z = self.observation_log_prob(params, x)
        normal = tfd.Independent(tfd.Normal(loc, scale), reinterpreted_batch_ndims=1)
        return log_px_z + self.prior_distribution().log_prob(z) - normal.log_prob(z)

    def iwae_bound(self, x, k, labels=None, training=False):
        """The k-sample importance-weighted bound per example `(N,)` (Burda et al., 2016)."""
        return log_mean_exp(self.log_weights(x, k, labels, training), axis=0)

    def elbo(self, x, labels=None):
        """The ELBO per example `(N,)` (one sample; analytic KL when available)."""
        x = tf.convert_to_tensor(x, tf.float32)
        nll, kl = self.elbo_terms(x, labels, training=False)
        return -nll - kl

    def log_likelihood(self, x, k=5000, labels=None, batch_size=100, max_samples_per_pass=20000):
        """Estimate log p(x) in nats per example with k importance samples.

        The estimate `log (1/k) sum_i p(x, z_i) / q(z_i|x)` is the IWAE_k
        bound, a lower bound that tightens as k grows (k=5000 as in Burda et
        al.). Memory is bounded: examples go `batch_size` at a time and
        samples in chunks of at most `max_samples_per_pass` decoder inputs,
        merged with a running log-sum-exp. Bernoulli models need binary x.

        Args:
            x: array `(N, H, W, C)` scaled like the training data.
            k: importance samples per example.
            labels: `(N,)` for conditional models.
            batch_size: examples per pass.
            max_samples_per_pass: cap of `batch * chunk` decoder inputs per pass.

        Returns:
            numpy float64 `(N,)`; the test NLL is `-mean(...)`.

        Example:
            >>> nll = -vae.log_likelihood(x_test, k=5000).mean()
        """
        x = np.asarray(x, np.float32)
        if self.num_classes and labels is None:
            raise ValueError("this VAE is conditional: pass labels=")
        if self.likelihood == "bernoulli" and not np.isin(x, (0.0, 1.0)).all():
            # On grey levels the Bernoulli "log-prob" is a cross-entropy, not a
            # likelihood: the NLL would not be comparable to published figures.
            bad = x[~np.isin(x, (0.0, 1.0))]
            raise ValueError(
                "a Bernoulli VAE's log-likelihood needs binary x (0 or 1). Received: values in "
                f"[{x.min():g}, {x.max():g}] with {bad.size} non-binary entries, e.g. {bad[0]:g}. Binarize the "
                "test set once, e.g. x = (np.random.default_rng(0).random(x.shape) < x).astype('float32')."
            )
        chunk = max(1, min(int(k), int(max_samples_per_pass) // int(batch_size)))
        fn = self._log_weights_fn()
        out = []
        for i in range(0, len(x), batch_size):
            xb = tf.constant(x[i:i + batch_size])
            lb = None if labels is None else tf.constant(np.asarray(labels[i:i + batch_size], np.int32))
            parts = []
            done = 0
            while done < k:
                c = min(chunk, k - done)
                lw = fn(xb, c, lb).numpy().astype(np.float64)
                parts.append(np.logaddexp.reduce(lw, axis=0))
                done += c
            total = np.logaddexp.reduce(np.stack(parts), axis=0)
            out.append(total - math.log(k))
        return np.concatenate(out)

    def _log_weights_fn(self):
        if getattr(self, "_lw_fn", None) is None:
            # One trace per distinct chunk size (at most two per call).
            def fn(x, k, labels):
                return self.log_weights(x, k, labels, training=False)
            self._lw_fn = tf.function(fn, reduce_retracing=False)
        return self._lw_fn

    # -- how it runs (train/test steps: SingleObjectiveSteps) -------------------
    def batch_inputs(self, data):
        x, labels = self.unpack_batch(data)
        if self.num_classes and labels is None:
            raise ValueError(
                "this VAE is conditional (num_classes set): expected batches of (images, labels). "
                "Load data with kgen.data.load(..., labels=True)."
            )
        x = tf.cast(x, tf.float32)
        if self.binarize == "dynamic":
            x = self.binarize_batch(x)
        return x, labels

    # -- inference --------------------------------------------------------------
    def call(self, x, training=False):
        """Reconstruct x: the likelihood mean at the posterior mean."""
        return self.reconstruct(x, training=training)

    def encode(self, x, labels=None, training=False):
        """Posterior mean `(N, latent_dim)` (the embedding)."""
        loc, _ = self.posterior_params(self.encoder(self._enc_inputs(
            ops.convert_to_tensor(x, "float32"), labels), training=training))
        return loc

    def reconstruct(self, x, labels=None, training=False):
        return self.decode_latent(self.encode(x, labels, training), labels, training)

    def decoder_params(self, z, labels=None, training=False):
        return self.decoder(self._dec_inputs(z, labels), training=training)

    def decode_latent(self, z, labels=None, training=False, sample=False):
        """Mean image of p(x|z) (Bernoulli: pixel probabilities), or a sample of it with `sample=True`."""
        params = self.decoder_params(z, labels, training)
        if sample:
            u = keras.random.uniform(tf.shape(likelihoods.mean(self.likelihood, params)),
                                     seed=self.seed_generator)
            return likelihoods.sample(self.likelihood, params, u, self.observation_scale)
        return likelihoods.mean(self.likelihood, params)

    def generate(self, n_or_z=None, labels=None, training=False, sample=False):
        """Generate images from the prior: the likelihood's mean, or a sample of it with `sample=True`.

        Example:
            >>> vae.generate(16)                 # mean images
            >>> vae.generate(16, sample=True)    # binary images for Bernoulli
        """
        inputs = self.prior_inputs(n_or_z, labels)
        out = self.decode_latent(inputs["latent"], inputs.get("labels"), training=training, sample=sample)
        return ops.cast(out, "float32")

    # -- export and config ------------------------------------------------------
    def _value_range(self):
        return None if self.likelihood == "gaussian" else [0.0, 1.0]

    def decode_network(self):
        """Inference decoder `latent (, labels) -> mean image` (shares the decoder's weights)."""
        head = likelihoods.LikelihoodMean(self.likelihood, name="mean_image")
        return keras.Model(self.decoder.inputs, head(self.decoder.outputs[0]), name="decode")

    def encode_network(self):
        """Inference encoder `images (, labels) -> [mean, scale]` of q(z|x)."""
        params = GaussianPosteriorParams(self.latent_dim, self.posterior_scale, self.scale_floor,
                                         name="posterior")
        loc, scale = params(self.encoder.outputs[0])
        return keras.Model(self.encoder.inputs, [loc, scale], name="encode")

    def export_endpoints(self):
        specs = self.prior_specs()
        label = [spec for spec in specs if spec.role == "label"]
        image_shape = tuple(self.encoder.inputs[0].shape[1:])
        images = TensorSpec("images", image_shape, "float32", "image",
                            {"value_range": self._value_range()})
        return [
            Endpoint("decode", self.decode_network(), specs,
                     [TensorSpec("images", image_shape, "float32", "image",
                                 {"value_range": self._value_range(),
                                  "likelihood": self.likelihood, "statistic": "mean"})]),
            Endpoint("encode", self.encode_network(), [images] + label,
                     [TensorSpec("mean", (self.latent_dim,), "float32", "code"),
                      TensorSpec("scale", (self.latent_dim,), "float32", "code")]),
        ]

    def get_config(self):
        return {
            **super().get_config(),
            **self.networks_config(),
            "latent_dim": self.latent_dim,
            "num_classes": self.num_classes,
            "likelihood": self.likelihood,
            "beta": self.beta,
            "kl_warmup_steps": self.kl_warmup_steps,
            "posterior_scale": self.posterior_scale,
            "scale_floor": self.scale_floor,
            "analytic_kl": self.analytic_kl,
            "binarize": self.binarize,
            "observation_scale": self.observation_scale,
        }


def vae_networks(input_shape, latent_dim, likelihood="bernoulli", arch="dense", hidden_units=(200, 200),
                 filters=(32, 64), activation="tanh", upsample="transpose", num_classes=None,
                 encoder_units=None):
    """An encoder/decoder pair for a VAE: dense (MLP) or conv, sized for the likelihood."""
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3:
        raise ValueError(f"expected input_shape (H, W, C). Received: input_shape={shape}")
    out_ch = likelihoods.param_channels(likelihood, shape[-1])
    enc_units = encoder_units or 2 * latent_dim
    if arch == "dense":
        enc = nets.build_dense_encoder(shape, enc_units, hidden_units, activation,
                                       num_classes=num_classes)
        dec = nets.build_dense_decoder(latent_dim, shape, tuple(reversed(hidden_units)), activation,
                                       output_channels=out_ch, num_classes=num_classes)
    elif arch == "conv":
        enc = nets.build_conv_encoder(shape, enc_units, filters, activation, num_classes=num_classes)
        dec = nets.build_conv_decoder(latent_dim, shape, tuple(reversed(filters)), activation,
                                      upsample, output_channels=out_ch, num_classes=num_classes)
    else:
        raise ValueError(f"expected arch in ('dense', 'conv'). Received: arch={arch!r}")
    return enc, dec


def _build(cls, input_shape, num_classes, tiny, latent_dim, arch, hidden_units, filters,
           likelihood, learning_rate, compile_kwargs, upsample="transpose", **model_kwargs):
    latent_dim = latent_dim or (2 if tiny else 50)
    hidden_units = tuple(hidden_units or ((16,) if tiny else (200, 200)))
    filters = tuple(filters or ((4, 8) if tiny else (32, 64)))
    enc, dec = vae_networks(input_shape, latent_dim, likelihood, arch, hidden_units, filters,
                            upsample=upsample, num_classes=num_classes)
    model = cls(enc, dec, latent_dim, likelihood=likelihood, num_classes=num_classes, **model_kwargs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), **compile_kwargs)
    return model


@register_builder("vae", scale="sigmoid",
                  paper="Kingma & Welling 2014, https://arxiv.org/abs/1312.6114")
def build_vae(input_shape, num_classes=None, tiny=False, latent_dim=None, arch="dense",
              hidden_units=None, filters=None, likelihood="bernoulli", binarize="dynamic",
              beta=1.0, kl_warmup_steps=0, learning_rate=1e-3, seed=None, upsample="transpose",
              **compile_kwargs):
    """Kingma & Welling's VAE: 784-200-200-latent tanh MLPs, Bernoulli likelihood (default).

    Args:
        input_shape: `(H, W, C)` of [0, 1] images.
        num_classes: make it a conditional VAE.
        tiny: a few-thousand-parameter model for tests.
        latent_dim: 50 (Burda et al.'s one-layer model); 2 when tiny.
        arch: "dense" or "conv".
        likelihood: see `VAE`. `binarize` applies to Bernoulli only.

    Returns:
        A compiled `VAE`.
    """
    if likelihood != "bernoulli":
        binarize = None
    return _build(VAE, input_shape, num_classes, tiny, latent_dim, arch, hidden_units, filters,
                  likelihood, learning_rate, compile_kwargs, upsample=upsample, binarize=binarize,
                  beta=beta, kl_warmup_steps=kl_warmup_steps, seed=seed)


@register_builder("conv_vae", scale="sigmoid",
                  paper="Kingma & Welling 2014, https://arxiv.org/abs/1312.6114")
def build_conv_vae(input_shape, num_classes=None, tiny=False, **kwargs):
    """Convolutional VAE (strided-conv encoder, transposed/resize-conv decoder), Bernoulli."""
    kwargs.setdefault("arch", "conv")
    kwargs.setdefault("latent_dim", 2 if tiny else 16)
    return build_vae(input_shape, num_classes=num_classes, tiny=tiny, **kwargs)


@register_builder("beta_vae", scale="sigmoid",
                  paper="Higgins et al. 2017, https://openreview.net/forum?id=Sy2fzU9gl")
def build_beta_vae(input_shape, num_classes=None, tiny=False, beta=4.0, kl_warmup_steps=1000,
                   **kwargs):
    """beta-VAE (Higgins et al., 2017): KL weight beta (4 by default) with a KL warm-up."""
    kwargs.setdefault("arch", "conv")
    kwargs.setdefault("latent_dim", 2 if tiny else 10)
    return build_vae(input_shape, num_classes=num_classes, tiny=tiny, beta=beta,
                     kl_warmup_steps=kl_warmup_steps, **kwargs)


@register_builder("cvae", labels=True, scale="sigmoid",
                  paper="Sohn et al. 2015, https://papers.nips.cc/paper/5775")
def build_cvae(input_shape, num_classes=10, tiny=False, **kwargs):
    """Conditional VAE (Sohn et al., 2015): one-hot labels into encoder and decoder."""
    return build_vae(input_shape, num_classes=num_classes or 10, tiny=tiny, **kwargs)
