"""InfoGAN (Chen et al., 2016): interpretable codes by maximizing a mutual-information lower bound."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from kgen import distribute, losses
from kgen.models.base import Endpoint, TensorSpec
from kgen.models.gan import GAN
from kgen.zoo import register_builder


@keras.saving.register_keras_serializable(package="kgen")
class InfoGAN(GAN):
    """GAN with categorical and continuous codes recovered by a Q head on the discriminator's trunk.

    The generator input is one vector `[z (noise_dim), one-hot c_cat
    (sum(categorical_dims)), c_cont (continuous_dim)]` with `z ~ N(0, 1)`,
    `c_cat` uniform and `c_cont ~ U(-1, 1)`; `latent_dim` is its total size
    (so `generate` and export work as for any GAN). The discriminator returns
    `[logits, features]`; `q_network` maps the shared features to
    `[categorical logits (sum(categorical_dims)), continuous means
    (continuous_dim)]`. The mutual-information term
    `L_MI = -E log Q(c | G(z, c))` (`kgen.losses.mutual_information_penalty`;
    Gaussian Q with unit std for the continuous codes, as in the paper's
    "factored Gaussian") is added, times `info_weight`, to both the
    discriminator+Q loss and the generator loss. `I(c; G) >= H(c) - L_MI`.
    https://arxiv.org/abs/1606.03657

    Args:
        generator: model `latent (latent_dim) -> sample`.
        discriminator: model `sample -> [logits, features]`.
        q_network: model `features -> [categorical logits, continuous means]`
            (the continuous output omitted when `continuous_dim=0`).
        noise_dim: size of the incompressible noise z.
        categorical_dims: sizes of the categorical codes (e.g. `(10,)`).
        continuous_dim: number of continuous codes.
        info_weight: lambda (1 in the paper for discrete codes).
        **kwargs: passed to `GAN`.

    Example:
        >>> gan = kgen.zoo.build("infogan", (8, 8, 1))
        >>> images = gan.generate(gan.make_latent(10, categorical=[np.arange(10)]))
    """

    def __init__(self, generator, discriminator, q_network, noise_dim, categorical_dims=(10,),
                 continuous_dim=2, info_weight=1.0, **kwargs):
        self.noise_dim = int(noise_dim)
        self.categorical_dims = tuple(int(k) for k in categorical_dims)
        self.continuous_dim = int(continuous_dim)
        kwargs.pop("latent_dim", None)
        kwargs.pop("num_classes", None)
        latent_dim = self.noise_dim + sum(self.categorical_dims) + self.continuous_dim
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.q_network = q_network
        self.info_weight = float(info_weight)
        self.info_tracker = keras.metrics.Mean(name="info_loss")

    @property
    def metrics(self):
        return [*super().metrics, self.info_tracker]

    def build(self, input_shape=None):
        if self.d_optimizer is not None and not self.d_optimizer.built:
            self.d_optimizer.build(self._dq_variables())
        super().build(input_shape)

    def _dq_variables(self):
        return self.discriminator.trainable_variables + self.q_network.trainable_variables

    # -- latents ---------------------------------------------------------------
    def latent_distribution(self):
        return {"type": "infogan", "noise_dim": self.noise_dim,
                "categorical_dims": list(self.categorical_dims), "continuous_dim": self.continuous_dim,
                "layout": "[normal noise, one-hot categorical codes, uniform(-1, 1) continuous codes]"}

    def sample_codes(self, n):
        """Draw `(noise, [categorical ids], continuous)` for `n` samples."""
        noise = self._draw(lambda s: keras.random.normal(s, seed=self.seed_generator), n, (self.noise_dim,))
        cats = [self._draw(lambda s, k=k: keras.random.randint(s, 0, k, seed=self.seed_generator, dtype="int32"),
                           n, ()) for k in self.categorical_dims]
        cont = self._draw(lambda s: keras.random.uniform(s, -1.0, 1.0, seed=self.seed_generator), n,
                          (self.continuous_dim,))
        return noise, cats, cont

    def make_latent(self, n=None, noise=None, categorical=None, continuous=None):
        """Assemble generator inputs from codes (random where not given).

        Args:
            n: number of latents (inferred from given codes otherwise).
            noise: `(n, noise_dim)` or None.
            categorical: list of `(n,)` class ids, one per categorical code, or None.
            continuous: `(n, continuous_dim)` or None.

        Returns:
            A float tensor `(n, latent_dim)`.

        Example:
            >>> z = gan.make_latent(categorical=[np.arange(10)])  # one sample per category
        """
        if n is None:
            for given in (noise, continuous, *(categorical or [])):
                if given is not None:
                    n = int(ops.shape(given)[0])
                    break
        if n is None:
            raise ValueError("make_latent needs n or at least one code.")
        r_noise, r_cats, r_cont = self.sample_codes(n)
        noise = r_noise if noise is None else ops.convert_to_tensor(noise, "float32")
        cats = r_cats if categorical is None else [ops.convert_to_tensor(c, "int32") for c in categorical]
        cont = r_cont if continuous is None else ops.convert_to_tensor(continuous, "float32")
        return self._assemble(noise, cats, cont)

    def _assemble(self, noise, cats, cont):
        parts = [noise] + [ops.one_hot(c, k) for c, k in zip(cats, self.categorical_dims)]
        if self.continuous_dim:
            parts.append(cont)
        return ops.concatenate([ops.cast(p, "float32") for p in parts], axis=-1)

    def sample_latent(self, n):
        return self._assemble(*self.sample_codes(n))

    # -- what to compute -------------------------------------------------------------
    def q_distributions(self, features):
        """The Q head's posteriors over the codes, as `tfp.distributions`."""
        out = self.q_network(features, training=True)
        out = out if isinstance(out, (list, tuple)) else [out]
        cat_logits = ops.cast(out[0], "float32")
        dists, start = [], 0
        for k in self.categorical_dims:
            dists.append(tfp.distributions.Categorical(logits=cat_logits[:, start:start + k]))
            start += k
        if self.continuous_dim:
            dists.append(tfp.distributions.Normal(ops.cast(out[-1], "float32"), 1.0))
        return dists

    def compute_info_loss(self, codes, features):
        """`info_weight * -E log Q(c | G(z, c))` (local mean)."""
        _, cats, cont = codes
        structured = list(cats) + ([cont] if self.continuous_dim else [])
        return losses.mutual_information_penalty(structured, self.q_distributions(features),
                                                 weights=self.info_weight)

    # -- how it runs ---------------------------------------------------------------------
    def discriminator_step(self, real, labels=None):
        n = ops.shape(real)[0]
        codes = self.sample_codes(n)
        fake = self.generator(self._assemble(*codes), training=True)
        # Experience replay (`discriminator_fakes`) swaps part of the GAN
        # loss's fakes for past ones; Q still learns on the current fakes,
        # whose codes are known.
        replayed, _ = self.discriminator_fakes(fake)
        variables = self._dq_variables()
        with tf.GradientTape() as tape:
            real_out, _ = self.discriminator(real, training=True)
            fake_out, fake_features = self.discriminator(fake, training=True)
            if replayed is not fake:
                fake_out, _ = self.discriminator(replayed, training=True)
            gan_loss = self.compute_discriminator_loss(real, replayed, real_out, fake_out)
            info = self.compute_info_loss(codes, fake_features)
            loss = gan_loss + info
            scaled = self.d_optimizer.scale_loss(distribute.scale_loss(loss))
        grads = tape.gradient(scaled, variables)
        self.d_optimizer.apply_gradients(zip(grads, variables))
        self.after_discriminator_step()
        return gan_loss

    def generator_step(self, n, labels=None):
        codes = self.sample_codes(n)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator(self._assemble(*codes), training=True)
            fake_out, fake_features = self.discriminator(fake, training=True)
            gan_loss = self.compute_generator_loss(fake, fake_out)
            info = self.compute_info_loss(codes, fake_features)
            scaled = self.g_optimizer.scale_loss(distribute.scale_loss(gan_loss + info))
        grads = tape.gradient(scaled, variables)
        self.g_optimizer.apply_gradients(zip(grads, variables))
        self.info_tracker.update_state(info)
        return gan_loss

    def test_step(self, data):
        real, _ = self._unpack(data)
        n = ops.shape(real)[0]
        codes = self.sample_codes(n)
        fake = self.generator(self._assemble(*codes), training=False)
        real_out, _ = self.discriminator(real, training=False)
        fake_out, features = self.discriminator(fake, training=False)
        self.d_loss_tracker.update_state(self.compute_discriminator_loss(real, fake, real_out, fake_out))
        self.g_loss_tracker.update_state(self.compute_generator_loss(fake, fake_out))
        self.info_tracker.update_state(self.compute_info_loss(codes, features))
        return {m.name: m.result() for m in self.metrics}

    def export_endpoints(self):
        (endpoint,) = super().export_endpoints()
        return [Endpoint("generate", self.generator,
                         [TensorSpec("latent", (self.latent_dim,), "float32", "latent",
                                     {"distribution": self.latent_distribution()})],
                         endpoint.outputs)]

    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "num_classes"):
            config.pop(key, None)
        return {**config, "q_network": keras.saving.serialize_keras_object(self.q_network),
                "noise_dim": self.noise_dim, "categorical_dims": list(self.categorical_dims),
                "continuous_dim": self.continuous_dim, "info_weight": self.info_weight}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator", "q_network"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def build_q_network(feature_dim, categorical_dims=(10,), continuous_dim=2, hidden=128, name="q_network"):
    """Q head: `features -> [categorical logits, continuous means]` (Dense + LeakyReLU trunk).

    Example:
        >>> q = build_q_network(128, (10,), 2)
    """
    from keras import layers

    features = keras.Input((feature_dim,), name="features")
    h = layers.LeakyReLU(0.2, name="q_lrelu")(layers.Dense(hidden, name="q_dense")(features))
    outputs = [layers.Dense(sum(categorical_dims), dtype="float32", name="categorical_logits")(h)]
    if continuous_dim:
        outputs.append(layers.Dense(continuous_dim, dtype="float32", name="continuous_means")(h))
    return keras.Model(features, outputs, name=name)


@register_builder("infogan")
def build_infogan(input_shape, num_classes=None, tiny=False, noise_dim=None, categorical_dims=(10,),
                  continuous_dim=2, info_weight=1.0, seed=None, d_learning_rate=2e-4,
                  g_learning_rate=1e-3, **compile_kwargs):
    """Build an InfoGAN with Chen et al.'s MNIST settings (Adam: D 2e-4, G 1e-3, beta_1 0.5; 1 ten-way + 2 continuous codes).

    Images get a DCGAN generator and a DCGAN trunk (returning its flattened
    features for Q); `(D,)` vectors get MLPs.

    Args:
        input_shape: `(H, W, C)` or `(D,)`.
        num_classes: ignored (InfoGAN is unsupervised).
        tiny: small networks for tests.
        noise_dim: noise size (62 in the paper; 4 when tiny).
        categorical_dims, continuous_dim, info_weight: the codes and lambda.

    Returns:
        A compiled `InfoGAN`.
    """
    from kgen.networks import build_dcgan_discriminator, build_dcgan_generator, build_mlp_discriminator, build_mlp_generator

    noise_dim = noise_dim or (4 if tiny else 62)
    latent_dim = noise_dim + sum(categorical_dims) + continuous_dim
    input_shape = tuple(input_shape)
    if len(input_shape) == 1:
        hidden = (16, 16) if tiny else (256, 256)
        g = build_mlp_generator(latent_dim, input_shape[0], hidden, output_activation="tanh")
        d = build_mlp_discriminator(input_shape[0], hidden, return_features=True)
        feature_dim = hidden[-1]
    else:
        base = 8 if tiny else 64
        g = build_dcgan_generator(latent_dim, input_shape, base)
        trunk = build_dcgan_discriminator(input_shape, base)
        features = trunk.get_layer("flatten").output
        d = keras.Model(trunk.inputs, [trunk.outputs[0], features], name="discriminator")
        feature_dim = int(features.shape[-1])
    q = build_q_network(feature_dim, categorical_dims, continuous_dim, hidden=16 if tiny else 128)
    gan = InfoGAN(g, d, q, noise_dim, categorical_dims, continuous_dim, info_weight, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_learning_rate, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(g_learning_rate, beta_1=0.5), **compile_kwargs)
    return gan
