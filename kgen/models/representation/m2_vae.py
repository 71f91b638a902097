"""The M2 semi-supervised VAE (Kingma et al., 2014): a VAE with a class latent, trained on mostly unlabelled data.

https://arxiv.org/abs/1406.5298
"""

import math

import keras
from keras import ops

from kgen import distribute, priors
from kgen.losses import representation as rep_losses
from kgen.models.core import Endpoint, GenerativeModel, SingleObjectiveSteps, TensorSpec
from kgen.models.representation.base import EncoderFeatures, _image_shape, compile_adam
from kgen.models.vae import likelihoods
from kgen.models.vae.vae import GaussianPosteriorParams
from kgen.networks.autoencoders import build_dense_decoder, build_dense_encoder
from kgen.networks.representation import build_head
from kgen.zoo import register_builder


def categorical_entropy(probs):
    """H(q) = -sum_y q(y) log q(y) per row `(N,)` (0 log 0 = 0)."""
    probs = ops.cast(probs, "float32")
    return -ops.sum(probs * ops.log(ops.maximum(probs, 1e-12)), axis=-1)


@keras.saving.register_keras_serializable(package="kgen")
class M2VAE(SingleObjectiveSteps, EncoderFeatures, GenerativeModel):
    """Kingma et al.'s M2: `p(x|y,z) p(y) p(z)` with `q(z|x,y) q(y|x)`, labelled and unlabelled ELBO terms.

    Batches are `(images, labels)` under kgen's masked-label convention:
    label -1 (`kgen.data.representation.UNLABELLED`) marks an unlabelled
    example. Per example (one reparameterized sample `z = mu + sigma * eps`,
    the same `eps` for every class):

    - labelled: `ELBO(x, y) = E_q(z|x,y)[log p(x|y,z)] + log p(y) - KL(q(z|x,y) || p(z))`
      (`-L(x, y)` in the paper), with `p(y)` uniform;
    - unlabelled: `U-bound(x) = sum_y q(y|x) ELBO(x, y) + H(q(y|x))` (`-U(x)`);
    - the loss is `-mean_batch(bound) + alpha * mean_labelled(-log q(y|x))`.
      The paper's `alpha = 0.1 N` multiplies a mean while `J` sums over the
      N examples; per example that is `alpha = 0.1` (the default here);
      larger values make the few labels count more.

    Under a strategy the labelled mean divides by the global count of
    labelled examples (`kgen.losses.representation.masked_mean`).

    **M1 + M2** (the paper's stacked model): with `m1_encoder` (a frozen
    network `images -> (N, d1)`, the posterior means of a trained VAE, "M1";
    `m1_networks(vae)` builds it) M2 models the M1 means instead of the pixels:
    every M2 network reads them as `(N, 1, 1, d1)` "images" (`m2_inputs`), so
    `labelled_bound`, `unlabelled_bound` and `classifier_logits` take M2
    inputs, while `compute_losses`, `classify`, `features` and `reconstruct`
    take images. `m1_decoder` (`(N, d1) -> images`, optional) maps M2's
    decoded M1 latents back to pixels for `reconstruct` and `generate`.

    Args:
        classifier_encoder: Keras network `images -> (N, h)` (the `encoder`: q(y|x)'s features).
        classifier_head: Keras network `(N, h) -> (N, K)` logits of q(y|x).
        z_encoder: Keras network `[images, labels] -> (N, 2 latent_dim)`.
        decoder: Keras network `[latent, labels] -> likelihood parameters`.
        latent_dim: size of z.
        num_classes: K.
        likelihood: "bernoulli" (images in [0, 1]), "gaussian", ...
        alpha: weight of the labelled classification loss.
        m1_encoder: optional frozen Keras network `images -> (N, d1)` (M1's posterior means); M2 then
            models its output and every M2 network takes `(N, 1, 1, d1)` inputs.
        m1_decoder: optional Keras network `(N, d1) -> images` (M1's mean image), for `reconstruct`/`generate`.
        seed: seed of the model's noise.

    Example:
        >>> m2 = kgen.zoo.build("m2_vae", (16, 16, 1), num_classes=10)
        >>> m2.fit(tf.data.Dataset.from_tensor_slices((x, masked_y)).batch(64), epochs=20)
        >>> m2.classify(x_test)   # q(y|x) probabilities
        >>> m1m2 = kgen.zoo.build("m2_vae", (16, 16, 1), num_classes=10, m1=trained_vae)   # M1 + M2
    """

    value_range = (0.0, 1.0)

    def __init__(self, classifier_encoder, classifier_head, z_encoder, decoder, latent_dim, num_classes,
                 likelihood="bernoulli", alpha=0.1, m1_encoder=None, m1_decoder=None, seed=None, **kwargs):
        if not num_classes or int(num_classes) < 2:
            raise ValueError(f"M2 needs num_classes >= 2 (the class latent). Received: num_classes={num_classes}")
        prior = priors.Joint(latent=priors.Normal((int(latent_dim),)), labels=priors.Categorical(int(num_classes)))
        super().__init__(prior=prior, seed=seed, **kwargs)
        self.likelihood = likelihoods.check_likelihood(likelihood)
        if float(alpha) < 0:
            raise ValueError(f"expected alpha >= 0. Received: alpha={alpha}")
        self.alpha = float(alpha)
        if int(z_encoder.output_shape[-1]) != 2 * self.latent_dim:
            raise ValueError(f"the z encoder must output 2*latent_dim={2 * self.latent_dim} values. "
                             f"Received: {z_encoder.output_shape[-1]}")
        if int(classifier_head.output_shape[-1]) != self.num_classes:
            raise ValueError(f"the classifier head must output num_classes={self.num_classes} logits. "
                             f"Received: {classifier_head.output_shape[-1]}")
        self.encoder = classifier_encoder
        self.classifier_head = classifier_head
        self.z_encoder = z_encoder
        self.decoder = decoder
        # The shape M2's networks read: the images, or (1, 1, d1) for M1's means.
        self.m2_shape = _image_shape(classifier_encoder.input_shape[1:], "the classifier encoder's input shape")
        self.m1_encoder = m1_encoder
        self.m1_decoder = m1_decoder
        if m1_encoder is not None:
            d1 = int(m1_encoder.output_shape[-1])
            if len(m1_encoder.output_shape) != 2 or self.m2_shape != (1, 1, d1):
                raise ValueError(f"M1 + M2: M2's networks must read the M1 means as (1, 1, d1) = (1, 1, {d1}). "
                                 f"Received: m1 output {m1_encoder.output_shape}, M2 input {self.m2_shape}; "
                                 "build it with zoo.build('m2_vae', image_shape, m1=vae).")
            # M1 is trained first and kept fixed (Kingma et al. 2014, Sec. 3.2).
            m1_encoder.trainable = False
            if m1_decoder is not None:
                m1_decoder.trainable = False
            self.image_shape = _image_shape(m1_encoder.input_shape[1:])
        elif m1_decoder is not None:
            raise ValueError("m1_decoder needs m1_encoder (M1 + M2); pass both, or neither for plain M2.")
        else:
            self.image_shape = self.m2_shape
        self.posterior_params = GaussianPosteriorParams(self.latent_dim, name="posterior_params")
        self.posterior_params.build((None, 2 * self.latent_dim))
        self.built = True

    def metric_names(self):
        return ["loss", "labelled_loss", "unlabelled_loss", "classification_loss", "accuracy"]

    def batch_inputs(self, data):
        x, y = self.unpack_batch(data)
        if y is None:
            raise ValueError("M2 trains on (images, labels) batches; mark unlabelled examples with label -1 "
                             "(kgen.data.representation.mask_labels).")
        return (x, y)

    # -- the model's distributions -----------------------------------------------
    def m2_inputs(self, x):
        """What M2 models: the images `x`, or (M1 + M2) M1's posterior means `(N, 1, 1, d1)` of them."""
        x = ops.convert_to_tensor(x, "float32")
        if self.m1_encoder is None:
            return x
        means = ops.stop_gradient(ops.cast(self.m1_encoder(x, training=False), "float32"))
        return ops.reshape(means, (-1,) + self.m2_shape)

    def feature_inputs(self, x):
        return self.m2_inputs(x)

    def classifier_logits(self, x, training=False):
        """Logits of q(y|x) `(N, K)` of M2 inputs (`m2_inputs(images)`)."""
        return ops.cast(self.classifier_head(self.encoder(x, training=training), training=training), "float32")

    def classify(self, x, training=False):
        """q(y|x) probabilities `(N, K)` of images."""
        return ops.softmax(self.classifier_logits(self.m2_inputs(x), training=training))

    def sample_noise(self, n):
        """Reparameterization noise `(n, latent_dim)`, drawn for the global batch and sliced per replica."""
        return distribute.draw_for_replica(lambda s: keras.random.normal(s, seed=self.seed_generator), n,
                                           (self.latent_dim,))

    def labelled_bound(self, x, labels, eps, training=False):
        """ELBO(x, y) per example `(N,)` with noise `eps` `(N, latent_dim)`."""
        x = ops.cast(x, "float32")
        labels = ops.cast(labels, "int32")
        loc, scale = self.posterior_params(self.z_encoder([x, labels], training=training))
        z = loc + scale * ops.cast(eps, "float32")
        log_px = likelihoods.log_prob(self.likelihood, self.decoder([z, labels], training=training), x)
        kl = 0.5 * ops.sum(ops.square(scale) + ops.square(loc) - 1.0 - 2.0 * ops.log(scale), axis=-1)
        return log_px - math.log(self.num_classes) - kl

    def unlabelled_bound(self, x, eps, training=False):
        """`sum_y q(y|x) ELBO(x, y) + H(q(y|x))` per example `(N,)` (the same `eps` for every y)."""
        x = ops.cast(x, "float32")
        n = ops.shape(x)[0]
        k = self.num_classes
        xs = ops.tile(x, (k, 1, 1, 1))  # M2 inputs are rank 4: images or (N, 1, 1, d1)
        ys = ops.repeat(ops.arange(k, dtype="int32"), n)
        bounds = ops.transpose(ops.reshape(self.labelled_bound(xs, ys, ops.tile(eps, (k, 1)), training), (k, n)))
        q = ops.softmax(self.classifier_logits(x, training=training))
        return ops.sum(q * bounds, axis=-1) + categorical_entropy(q)

    def compute_losses(self, x, labels, training=True, eps=None):
        """The M2 objective per example of the batch and its parts (local means; labelled ones masked)."""
        x = self.m2_inputs(x)
        labels = ops.cast(labels, "int32")
        eps = self.sample_noise(ops.shape(x)[0]) if eps is None else ops.cast(eps, "float32")
        mask = rep_losses.labelled_mask(labels)
        safe = ops.maximum(labels, 0)
        lab = self.labelled_bound(x, safe, eps, training)
        unl = self.unlabelled_bound(x, eps, training)
        bound = mask * lab + (1.0 - mask) * unl
        logits = self.classifier_logits(x, training=training)
        ce = rep_losses.masked_sparse_categorical_crossentropy(labels, logits)
        loss = -ops.mean(bound) + self.alpha * ce
        unl_mask = 1.0 - mask
        return {"loss": loss,
                "labelled_loss": -ops.sum(mask * lab) / ops.maximum(ops.sum(mask), 1.0),
                "unlabelled_loss": -ops.sum(unl_mask * unl) / ops.maximum(ops.sum(unl_mask), 1.0),
                "classification_loss": ce,
                "accuracy": rep_losses.masked_accuracy(labels, logits)}

    # -- sampling and inference ------------------------------------------------
    def call(self, x, training=False):
        return self.classify(x, training=training)

    def _to_images(self, m2_mean):
        """M2's decoded mean as images: itself, or (M1 + M2) M1's decoding of the decoded M1 latents."""
        if self.m1_encoder is None:
            return m2_mean
        if self.m1_decoder is None:
            raise ValueError("this M1 + M2 model has no m1_decoder to turn M1 latents into images; build it with "
                             "m1=vae (or pass m1_decoder=...), or use classify/features.")
        return ops.cast(self.m1_decoder(ops.reshape(m2_mean, (-1, self.m2_shape[-1])), training=False), "float32")

    def decode_latent(self, z, labels=None, training=False):
        if labels is None:
            raise ValueError("M2 decodes a latent together with a class: pass labels (N,).")
        # Keras refuses a list mixing arrays and tensors: a numpy z beside the cast labels.
        z = ops.convert_to_tensor(z, "float32")
        mean = likelihoods.mean(self.likelihood, self.decoder([z, ops.cast(labels, "int32")], training=training))
        return self._to_images(mean)

    def reconstruct(self, x, training=False):
        """Decode the posterior mean of z under the most likely class."""
        x = self.m2_inputs(x)
        y = ops.cast(ops.argmax(self.classifier_logits(x, training=training), -1), "int32")
        loc, _ = self.posterior_params(self.z_encoder([x, y], training=training))
        return self.decode_latent(loc, y, training=training)

    def export_endpoints(self):
        info = {"value_range": list(self.value_range)}
        classify_call = lambda network, images: ops.softmax(  # noqa: E731
            ops.cast(network(self.encoder(self.m2_inputs(images), training=False)), "float32"))
        classify = Endpoint("classify", self.classifier_head,
                            [TensorSpec("images", self.image_shape, "float32", "image", info)],
                            [TensorSpec("probabilities", (self.num_classes,), "float32", "output")],
                            call=classify_call)
        if self.m1_encoder is not None and self.m1_decoder is None:
            return [self.features_endpoint(), classify]
        generate = Endpoint("generate", self.decoder, self.prior_specs(),
                            [TensorSpec("images", self.image_shape, "float32", "image", info)],
                            call=lambda network, z, y: self._to_images(likelihoods.mean(self.likelihood,
                                                                                        network([z, y]))))
        return [generate, self.features_endpoint(), classify]

    def get_config(self):
        ser = keras.saving.serialize_keras_object
        return {**super().get_config(), "classifier_encoder": ser(self.encoder),
                "classifier_head": ser(self.classifier_head), "z_encoder": ser(self.z_encoder),
                "decoder": ser(self.decoder), "latent_dim": self.latent_dim, "num_classes": self.num_classes,
                "likelihood": self.likelihood, "alpha": self.alpha,
                "m1_encoder": None if self.m1_encoder is None else ser(self.m1_encoder),
                "m1_decoder": None if self.m1_decoder is None else ser(self.m1_decoder)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("classifier_encoder", "classifier_head", "z_encoder", "decoder", "m1_encoder", "m1_decoder"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _copy_network(network):
    copy = keras.models.clone_model(network)
    copy.set_weights(network.get_weights())
    return copy


def m1_networks(vae):
    """M1's networks for M1 + M2 from a trained kgen `VAE`: `images -> posterior means`, `means -> mean images`.

    Args:
        vae: a trained unconditional `kgen.models.vae.VAE` (e.g. `zoo.build("vae", ...)` after `fit`).

    Returns:
        `(m1_encoder, m1_decoder)`, functional Keras models holding copies of the VAE's networks and weights.

    Example:
        >>> enc, dec = m1_networks(vae)
        >>> enc(x)   # == vae.encode(x)
    """
    if getattr(vae, "num_classes", None):
        raise ValueError(f"M1 is an unconditional VAE. Received: a VAE with num_classes={vae.num_classes}")
    for attr in ("encoder", "decoder", "posterior_params", "likelihood", "latent_dim"):
        if not hasattr(vae, attr):
            raise ValueError(f"m1 must be a kgen VAE (it has no {attr!r}). Received: {type(vae).__name__}")
    # Copies, so that freezing M1 inside M1 + M2 leaves the caller's VAE trainable.
    vae_encoder, vae_decoder = (_copy_network(net) for net in (vae.encoder, vae.decoder))
    images = keras.Input(tuple(vae.encoder.input_shape[1:]), name="images")
    params = vae_encoder(images)
    loc = GaussianPosteriorParams(vae.latent_dim, vae.posterior_params.scale_fn,
                                  vae.posterior_params.scale_floor, name="m1_posterior")(params)[0]
    encoder = keras.Model(images, loc, name="m1_encoder")
    z = keras.Input((vae.latent_dim,), name="m1_latent")
    decoder = keras.Model(z, likelihoods.LikelihoodMean(vae.likelihood, name="m1_mean")(vae_decoder(z)),
                          name="m1_decoder")
    return encoder, decoder


@register_builder("m2_vae", labels=True, scale="sigmoid", paper="Kingma et al. 2014, https://arxiv.org/abs/1406.5298")
def build_m2_vae(input_shape, num_classes=None, tiny=False, seed=None, latent_dim=None, hidden_units=None,
                 alpha=0.1, likelihood=None, learning_rate=3e-4, m1=None, **compile_kwargs):
    """M2 semi-supervised VAE: MLPs for q(y|x), q(z|x,y), p(x|y,z); labels -1 mark unlabelled examples.

    Args:
        input_shape: `(H, W, C)` of the images.
        m1: a trained kgen `VAE` (M1): build M1 + M2, M2 on M1's posterior means (Gaussian likelihood by
            default), M1 frozen.
        likelihood: M2's likelihood ("bernoulli" on pixels, "gaussian" on M1 means by default).

    Returns:
        A compiled `M2VAE`.
    """
    if not num_classes:
        raise ValueError("m2_vae needs num_classes (the number of classes of the labelled examples).")
    shape = tuple(input_shape)
    m1_encoder = m1_decoder = None
    if m1 is not None:
        m1_encoder, m1_decoder = m1_networks(m1)
        if tuple(m1_encoder.input_shape[1:]) != shape:
            raise ValueError(f"M1 reads images of shape {tuple(m1_encoder.input_shape[1:])}; M2 was asked for "
                             f"{shape}. Pass the VAE trained on these images.")
        shape = (1, 1, int(m1_encoder.output_shape[-1]))
    likelihood = likelihood or ("bernoulli" if m1 is None else "gaussian")
    latent_dim = int(latent_dim or (2 if tiny else 50))
    hidden = tuple(hidden_units or ((8,) if tiny else (500,)))
    channels = likelihoods.param_channels(likelihood, shape[-1])
    encoder = build_dense_encoder(shape, hidden[-1], hidden[:-1], output_activation="relu",
                                  name="classifier_encoder")
    head = build_head(hidden[-1], num_classes, name="classifier_head")
    z_encoder = build_dense_encoder(shape, 2 * latent_dim, hidden, num_classes=num_classes, name="z_encoder")
    decoder = build_dense_decoder(latent_dim, shape, hidden, output_channels=channels, num_classes=num_classes)
    model = M2VAE(encoder, head, z_encoder, decoder, latent_dim, num_classes, likelihood=likelihood, alpha=alpha,
                  m1_encoder=m1_encoder, m1_decoder=m1_decoder, seed=seed)
    return compile_adam(model, learning_rate, **compile_kwargs)
