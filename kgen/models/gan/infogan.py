"""InfoGAN (Chen et al., 2016): interpretable codes by maximizing a mutual-information lower bound."""

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import layers, ops

from kgen import losses, priors
from kgen.models.core import from_config_with_networks
from kgen.models.gan.engine import GAN
from kgen.networks import build_dcgan_discriminator, build_dcgan_generator, build_mlp_discriminator, build_mlp_generator
from kgen.zoo import register_builder


@keras.saving.register_keras_serializable(package="kgen")
class InfoGAN(GAN):
    """GAN with categorical and continuous codes recovered by a Q head on the discriminator's trunk.

    The generator input is one vector `[z (noise_dim), one-hot c_cat
    (sum(categorical_dims)), c_cont (continuous_dim)]`: the model's latent
    prior is `kgen.priors.Concatenate([Normal(noise_dim), OneHotCategorical
    per code, Uniform(-1, 1)])`, so `generate`, sample grids and the edge
    runner all draw InfoGAN codes. The discriminator returns `[logits,
    features]`; `q_network` maps the shared features of the generated
    samples to `[categorical logits (sum(categorical_dims)), continuous means
    (continuous_dim)]`. The mutual-information term
    `L_MI = -E log Q(c | G(z, c))` summed over codes (`kgen.losses.summed_mutual_information_penalty`;
    Gaussian Q with unit std for the continuous codes, as in the paper's
    "factored Gaussian") is added, times `info_weight`, to both the
    discriminator+Q loss and the generator loss (metric `info_loss`).
    `I(c; G) >= H(c) - L_MI`. https://arxiv.org/abs/1606.03657

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
        for key in ("latent_dim", "num_classes", "prior", "condition"):
            if kwargs.pop(key, None) not in (None, 0, noise_dim + sum(categorical_dims) + continuous_dim):
                raise ValueError(f"InfoGAN sets its {key} from noise_dim, categorical_dims and continuous_dim.")
        self.noise_dim = int(noise_dim)
        self.categorical_dims = tuple(int(k) for k in categorical_dims)
        self.continuous_dim = int(continuous_dim)
        parts = [priors.Normal((self.noise_dim,))]
        parts += [priors.OneHotCategorical(1, k) for k in self.categorical_dims]
        if self.continuous_dim:
            parts.append(priors.Uniform((self.continuous_dim,), -1.0, 1.0))
        self.q_network = q_network
        super().__init__(generator, discriminator, prior=priors.Concatenate(parts), **kwargs)
        self.info_weight = float(info_weight)

    def metric_names(self):
        return [*super().metric_names(), "info_loss"]

    def variables_for(self, role):
        if role == "discriminator":
            return self.discriminator.trainable_variables + self.q_network.trainable_variables
        return super().variables_for(role)

    # -- codes ---------------------------------------------------------------------
    def split_codes(self, z):
        """`(noise, [categorical ids], continuous or None)` of latents `z`."""
        pieces = self.prior["latent"].split(ops.cast(z, "float32"))
        cats = [tf.argmax(p, axis=-1, output_type=tf.int32) for p in pieces[1:1 + len(self.categorical_dims)]]
        cont = pieces[-1] if self.continuous_dim else None
        return pieces[0], cats, cont

    def make_latent(self, n=None, noise=None, categorical=None, continuous=None):
        """Assemble generator inputs from codes (drawn from the prior where not given).

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
        r_noise, r_cats, r_cont = self.split_codes(self.sample_latent(n))
        noise = r_noise if noise is None else ops.convert_to_tensor(noise, "float32")
        cats = r_cats if categorical is None else [ops.convert_to_tensor(np.asarray(c), "int32") for c in categorical]
        cont = r_cont if continuous is None else ops.convert_to_tensor(continuous, "float32")
        parts = [noise] + [ops.one_hot(c, k) for c, k in zip(cats, self.categorical_dims)]
        if self.continuous_dim:
            parts.append(cont)
        return ops.concatenate([ops.cast(p, "float32") for p in parts], axis=-1)

    # -- what to compute -------------------------------------------------------------
    def q_distributions(self, features, training=True):
        """The Q head's posteriors over the codes, as `tfp.distributions`."""
        out = self.q_network(features, training=training)
        out = out if isinstance(out, (list, tuple)) else [out]
        cat_logits = ops.cast(out[0], "float32")
        dists, start = [], 0
        for k in self.categorical_dims:
            dists.append(tfp.distributions.Categorical(logits=cat_logits[:, start:start + k]))
            start += k
        if self.continuous_dim:
            dists.append(tfp.distributions.Normal(ops.cast(out[-1], "float32"), 1.0))
        return dists

    def forward(self, role, real, condition, fakes, training=True):
        outputs = super().forward(role, real, condition, fakes, training)
        features = outputs.fake_features
        if fakes.fake is not fakes.generated:
            # Experience replay mixed past fakes into the GAN loss's batch; Q
            # learns on the current fakes, whose codes are known.
            _, features = self.discriminate(fakes.generated, None, training)
        outputs.extras["q_distributions"] = self.q_distributions(features, training)
        return outputs

    def info_loss(self, outputs):
        """`info_weight * -E log Q(c | G(z, c))` (local mean)."""
        _, cats, cont = self.split_codes(outputs.fakes.inputs["latent"])
        structured = list(cats) + ([cont] if self.continuous_dim else [])
        return losses.summed_mutual_information_penalty(structured, outputs.extras["q_distributions"],
                                                 weights=self.info_weight)

    def _with_info(self, terms, outputs):
        info = self.info_loss(outputs)
        return {**terms, "loss": terms["loss"] + info, "info_loss": info}

    def compute_discriminator_loss(self, outputs):
        return self._with_info(super().compute_discriminator_loss(outputs), outputs)

    def compute_generator_loss(self, outputs):
        return self._with_info(super().compute_generator_loss(outputs), outputs)

    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "num_classes", "prior", "condition"):
            config.pop(key, None)
        return {**config, "q_network": keras.saving.serialize_keras_object(self.q_network),
                "noise_dim": self.noise_dim, "categorical_dims": list(self.categorical_dims),
                "continuous_dim": self.continuous_dim, "info_weight": self.info_weight}

    @classmethod
    def from_config(cls, config):
        return from_config_with_networks(cls, config, ("generator", "discriminator", "q_network"))


def build_q_network(feature_dim, categorical_dims=(10,), continuous_dim=2, hidden=128, name="q_network"):
    """Q head: `features -> [categorical logits, continuous means]` (Dense + LeakyReLU trunk).

    Example:
        >>> q = build_q_network(128, (10,), 2)
    """
    features = keras.Input((feature_dim,), name="features")
    h = layers.LeakyReLU(0.2, name="q_lrelu")(layers.Dense(hidden, name="q_dense")(features))
    outputs = [layers.Dense(sum(categorical_dims), dtype="float32", name="categorical_logits")(h)]
    if continuous_dim:
        outputs.append(layers.Dense(continuous_dim, dtype="float32", name="continuous_means")(h))
    return keras.Model(features, outputs, name=name)


@register_builder("infogan", paper="Chen et al. 2016, https://arxiv.org/abs/1606.03657")
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
