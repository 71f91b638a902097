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

    Args:
        classifier_encoder: Keras network `images -> (N, h)` (the `encoder`: q(y|x)'s features).
        classifier_head: Keras network `(N, h) -> (N, K)` logits of q(y|x).
        z_encoder: Keras network `[images, labels] -> (N, 2 latent_dim)`.
        decoder: Keras network `[latent, labels] -> likelihood parameters`.
        latent_dim: size of z.
        num_classes: K.
        likelihood: "bernoulli" (images in [0, 1]), "gaussian", ...
        alpha: weight of the labelled classification loss.
        seed: seed of the model's noise.

    Example:
        >>> m2 = kgen.zoo.build("m2_vae", (16, 16, 1), num_classes=10)
        >>> m2.fit(tf.data.Dataset.from_tensor_slices((x, masked_y)).batch(64), epochs=20)
        >>> m2.classify(x_test)   # q(y|x) probabilities
    """

    value_range = (0.0, 1.0)

    def __init__(self, classifier_encoder, classifier_head, z_encoder, decoder, latent_dim, num_classes,
                 likelihood="bernoulli", alpha=0.1, seed=None, **kwargs):
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
        self.image_shape = _image_shape(classifier_encoder.input_shape[1:])
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
    def classifier_logits(self, x, training=False):
        """Logits of q(y|x) `(N, K)`."""
        return ops.cast(self.classifier_head(self.encoder(x, training=training), training=training), "float32")

    def classify(self, x, training=False):
        """q(y|x) probabilities `(N, K)`."""
        return ops.softmax(self.classifier_logits(ops.convert_to_tensor(x, "float32"), training=training))

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
        xs = ops.tile(x, (k, 1, 1, 1))
        ys = ops.repeat(ops.arange(k, dtype="int32"), n)
        bounds = ops.transpose(ops.reshape(self.labelled_bound(xs, ys, ops.tile(eps, (k, 1)), training), (k, n)))
        q = ops.softmax(self.classifier_logits(x, training=training))
        return ops.sum(q * bounds, axis=-1) + categorical_entropy(q)

    def compute_losses(self, x, labels, training=True, eps=None):
        """The M2 objective per example of the batch and its parts (local means; labelled ones masked)."""
        x = ops.cast(x, "float32")
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

    def decode_latent(self, z, labels=None, training=False):
        if labels is None:
            raise ValueError("M2 decodes a latent together with a class: pass labels (N,).")
        return likelihoods.mean(self.likelihood, self.decoder([z, ops.cast(labels, "int32")], training=training))

    def reconstruct(self, x, training=False):
        """Decode the posterior mean of z under the most likely class."""
        x = ops.convert_to_tensor(x, "float32")
        y = ops.cast(ops.argmax(self.classifier_logits(x, training=training), -1), "int32")
        loc, _ = self.posterior_params(self.z_encoder([x, y], training=training))
        return self.decode_latent(loc, y, training=training)

    def export_endpoints(self):
        info = {"value_range": list(self.value_range)}
        generate = Endpoint("generate", self.decoder, self.prior_specs(),
                            [TensorSpec("images", self.image_shape, "float32", "image", info)],
                            call=lambda network, z, y: likelihoods.mean(self.likelihood, network([z, y])))
        classify = Endpoint("classify", self.classifier_head,
                            [TensorSpec("images", self.image_shape, "float32", "image", info)],
                            [TensorSpec("probabilities", (self.num_classes,), "float32", "output")],
                            call=lambda network, images: ops.softmax(
                                ops.cast(network(self.encoder(images, training=False)), "float32")))
        return [generate, self.features_endpoint(), classify]

    def get_config(self):
        ser = keras.saving.serialize_keras_object
        return {**super().get_config(), "classifier_encoder": ser(self.encoder),
                "classifier_head": ser(self.classifier_head), "z_encoder": ser(self.z_encoder),
                "decoder": ser(self.decoder), "latent_dim": self.latent_dim, "num_classes": self.num_classes,
                "likelihood": self.likelihood, "alpha": self.alpha}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("classifier_encoder", "classifier_head", "z_encoder", "decoder"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


@register_builder("m2_vae", labels=True, scale="sigmoid", paper="Kingma et al. 2014, https://arxiv.org/abs/1406.5298")
def build_m2_vae(input_shape, num_classes=None, tiny=False, seed=None, latent_dim=None, hidden_units=None,
                 alpha=0.1, likelihood="bernoulli", learning_rate=3e-4, **compile_kwargs):
    """M2 semi-supervised VAE: MLPs for q(y|x), q(z|x,y), p(x|y,z); labels -1 mark unlabelled examples.

    Returns:
        A compiled `M2VAE`.
    """
    if not num_classes:
        raise ValueError("m2_vae needs num_classes (the number of classes of the labelled examples).")
    shape = tuple(input_shape)
    latent_dim = int(latent_dim or (2 if tiny else 50))
    hidden = tuple(hidden_units or ((8,) if tiny else (500,)))
    channels = likelihoods.param_channels(likelihood, shape[-1])
    encoder = build_dense_encoder(shape, hidden[-1], hidden[:-1], output_activation="relu",
                                  name="classifier_encoder")
    head = build_head(hidden[-1], num_classes, name="classifier_head")
    z_encoder = build_dense_encoder(shape, 2 * latent_dim, hidden, num_classes=num_classes, name="z_encoder")
    decoder = build_dense_decoder(latent_dim, shape, hidden, output_channels=channels, num_classes=num_classes)
    model = M2VAE(encoder, head, z_encoder, decoder, latent_dim, num_classes, likelihood=likelihood, alpha=alpha,
                  seed=seed)
    return compile_adam(model, learning_rate, **compile_kwargs)
