"""Wasserstein GANs: weight clipping (Arjovsky et al., 2017) and gradient penalty (Gulrajani et al., 2017).

Both are the GAN engine with Wasserstein losses, five critic steps and one
penalty object: `WeightClipping` or `GradientPenalty`.
"""

import keras

from kgen.models.gan.engine import GAN
from kgen.models.gan.penalties import GradientPenalty, WeightClipping
from kgen.networks import (build_dcgan_discriminator, build_dcgan_generator, build_mlp_discriminator,
                           build_mlp_generator)
from kgen.zoo import register_builder


def _with(penalties, kind, make):
    """`penalties` plus `make()` unless one of type `kind` is already there."""
    penalties = list(penalties)
    if not any(isinstance(p, kind) or (isinstance(p, dict) and p.get("class_name") == kind.__name__)
               for p in penalties):
        penalties.insert(0, make())
    return penalties


@keras.saving.register_keras_serializable(package="kgen")
class WGAN(GAN):
    """WGAN with weight clipping: after every critic update each critic weight lies in `[-c, c]`.

    Defaults follow Arjovsky et al. (2017): Wasserstein losses, `n_critic=5`
    (`d_steps`: each batch holds 5 critic batches), `c=0.01`, RMSProp(5e-5)
    for both networks (momentum-free: the paper found momentum unstable with
    clipping). https://arxiv.org/abs/1701.07875

    Args:
        generator, discriminator, latent_dim, num_classes, seed: as in `GAN`.
        d_steps: critic steps per generator step (n_critic).
        clip_value: c (a `WeightClipping` penalty is added unless given).
        **kwargs: passed to `GAN` (losses default to Wasserstein).

    Example:
        >>> wgan = WGAN(g, critic, latent_dim=64)
        >>> wgan.compile()   # RMSProp(5e-5) for both
    """

    def __init__(self, generator, discriminator, latent_dim=None, num_classes=None, d_steps=5,
                 clip_value=0.01, penalties=(), **kwargs):
        kwargs.setdefault("generator_loss", "wasserstein_generator")
        kwargs.setdefault("discriminator_loss", "wasserstein_discriminator")
        penalties = _with(penalties, WeightClipping, lambda: WeightClipping(clip_value))
        super().__init__(generator, discriminator, latent_dim, num_classes=num_classes, d_steps=d_steps,
                         penalties=penalties, **kwargs)

    @property
    def clip_value(self):
        return next(p.clip_value for p in self.penalties if isinstance(p, WeightClipping))

    def default_optimizer(self, role):
        return keras.optimizers.RMSprop(5e-5)

    def get_config(self):
        # The clipping is `clip_value`; the other penalties stay in `penalties`.
        config = super().get_config()
        config["penalties"] = [keras.saving.serialize_keras_object(p) for p in self.penalties
                               if not isinstance(p, WeightClipping)]
        return {**config, "clip_value": self.clip_value}


@keras.saving.register_keras_serializable(package="kgen")
class WGANGP(GAN):
    """WGAN-GP: Wasserstein losses plus a gradient penalty on the critic (Gulrajani et al., 2017).

    Paper defaults: `lambda=10`, `n_critic=5`, Adam(1e-4, beta_1=0, beta_2=0.9),
    and no batch norm in the critic (layer norm or none), since the penalty
    is per example. https://arxiv.org/abs/1704.00028

    Args:
        generator, discriminator, latent_dim, num_classes, seed: as in `GAN`.
        d_steps: critic steps per generator step.
        gradient_penalty_weight: lambda (a `GradientPenalty` is added unless given).
        one_sided: penalize only gradient norms above 1.
        **kwargs: passed to `GAN`.

    Example:
        >>> gan = WGANGP(g, critic, latent_dim=64)
        >>> gan.compile()   # Adam(1e-4, 0, 0.9) for both
    """

    def __init__(self, generator, discriminator, latent_dim=None, num_classes=None, d_steps=5,
                 gradient_penalty_weight=10.0, one_sided=False, penalties=(), **kwargs):
        kwargs.setdefault("generator_loss", "wasserstein_generator")
        kwargs.setdefault("discriminator_loss", "wasserstein_discriminator")
        _reject_batch_norm(discriminator)
        penalties = _with(penalties, GradientPenalty,
                          lambda: GradientPenalty(gradient_penalty_weight, one_sided=one_sided))
        super().__init__(generator, discriminator, latent_dim, num_classes=num_classes, d_steps=d_steps,
                         penalties=penalties, **kwargs)

    @property
    def gradient_penalty(self):
        return next(p for p in self.penalties if isinstance(p, GradientPenalty))

    def default_optimizer(self, role):
        return keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9)

    def get_config(self):
        # The penalty is `gradient_penalty_weight` / `one_sided`; others stay in `penalties`.
        gp = self.gradient_penalty
        config = super().get_config()
        config["penalties"] = [keras.saving.serialize_keras_object(p) for p in self.penalties
                               if not isinstance(p, GradientPenalty)]
        return {**config, "gradient_penalty_weight": gp.weight, "one_sided": gp.one_sided}


def _reject_batch_norm(network):
    for layer in network._flatten_layers(include_self=False):  # noqa: SLF001
        if isinstance(layer, keras.layers.BatchNormalization):
            raise ValueError(
                f"WGAN-GP's critic must not use batch norm (layer {layer.name!r}): the gradient "
                "penalty is per example. Build it with norm='layer' or norm=None."
            )


def _networks(input_shape, num_classes, tiny, latent_dim, norm):
    if len(input_shape) == 1:
        hidden = (16, 16) if tiny else (128, 128)
        return (build_mlp_generator(latent_dim, input_shape[0], hidden, num_classes=num_classes),
                build_mlp_discriminator(input_shape[0], hidden, norm=norm if norm != "batch" else None,
                                        num_classes=num_classes))
    base = 8 if tiny else 64
    return (build_dcgan_generator(latent_dim, input_shape, base, num_classes=num_classes),
            build_dcgan_discriminator(input_shape, base, norm=norm, num_classes=num_classes))


@register_builder("wgan", paper="Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875")
def build_wgan(input_shape, num_classes=None, tiny=False, latent_dim=None, d_steps=5,
               clip_value=0.01, learning_rate=5e-5, seed=None, **compile_kwargs):
    """WGAN with weight clipping: the paper's RMSProp 5e-5, c=0.01, n_critic=5 on DCGAN or MLP networks.

    Args:
        input_shape: `(H, W, C)` images (DCGAN networks) or `(D,)` points (MLPs).
        num_classes: conditional networks.
        tiny: small networks for tests.
        latent_dim: latent size (100; 8 when tiny).
        d_steps, clip_value, learning_rate: as in the paper.
        seed: noise seed.

    Returns:
        A compiled `WGAN` (feed batches of `d_steps * critic_batch`).
    """
    latent_dim = latent_dim or (8 if tiny else 100)
    # The WGAN paper's DCGAN critic keeps batch norm (weight clipping does not need per-example outputs).
    g, d = _networks(tuple(input_shape), num_classes, tiny, latent_dim, "batch")
    gan = WGAN(g, d, latent_dim, num_classes=num_classes, d_steps=d_steps, clip_value=clip_value, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.RMSprop(learning_rate),
                g_optimizer=keras.optimizers.RMSprop(learning_rate), **compile_kwargs)
    return gan


@register_builder("wgan_gp", paper="Gulrajani et al. 2017, https://arxiv.org/abs/1704.00028")
def build_wgan_gp(input_shape, num_classes=None, tiny=False, latent_dim=None, d_steps=5,
                  gradient_penalty_weight=10.0, learning_rate=1e-4, beta_1=0.0, beta_2=0.9,
                  d_learning_rate=None, seed=None, **compile_kwargs):
    """WGAN-GP: the paper's Adam 1e-4 (0, 0.9), lambda 10, n_critic 5; layer-norm critic.

    `d_learning_rate` sets a separate critic rate (TTUR, Heusel et al., 2017).

    Returns:
        A compiled `WGANGP`.
    """
    latent_dim = latent_dim or (8 if tiny else 100)
    g, d = _networks(tuple(input_shape), num_classes, tiny, latent_dim, "layer")
    gan = WGANGP(g, d, latent_dim, num_classes=num_classes, d_steps=d_steps,
                 gradient_penalty_weight=gradient_penalty_weight, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_learning_rate or learning_rate, beta_1, beta_2),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1, beta_2), **compile_kwargs)
    return gan
