"""Wasserstein GANs: weight clipping (Arjovsky et al., 2017) and gradient penalty (Gulrajani et al., 2017)."""

import keras
import tensorflow as tf
from keras import ops

from kgen import losses
from kgen.models.gan import GAN
from kgen.zoo import register_builder


@keras.saving.register_keras_serializable(package="kgen")
class WGAN(GAN):
    """WGAN with weight clipping: after every critic update each critic weight lies in `[-c, c]`.

    Defaults follow Arjovsky et al. (2017): Wasserstein losses, `n_critic=5`
    (`d_steps`: each batch holds 5 critic batches), `c=0.01`; compile with
    RMSProp(5e-5) (`build_wgan` does). https://arxiv.org/abs/1701.07875

    Args:
        generator, discriminator, latent_dim, num_classes, seed: as in `GAN`.
        d_steps: critic steps per generator step (n_critic).
        clip_value: c.
        **kwargs: passed to `GAN` (losses default to Wasserstein).

    Example:
        >>> wgan = WGAN(g, critic, latent_dim=64)
        >>> wgan.compile(keras.optimizers.RMSprop(5e-5), keras.optimizers.RMSprop(5e-5))
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes=None, d_steps=5,
                 clip_value=0.01, **kwargs):
        kwargs.setdefault("generator_loss", "wasserstein_generator")
        kwargs.setdefault("discriminator_loss", "wasserstein_discriminator")
        super().__init__(generator, discriminator, latent_dim, num_classes=num_classes,
                         d_steps=d_steps, **kwargs)
        if float(clip_value) <= 0:
            raise ValueError(f"expected clip_value > 0. Received: clip_value={clip_value}")
        self.clip_value = float(clip_value)

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configure the optimizers; each defaults to the paper's RMSProp(5e-5) (momentum-free, as
        Arjovsky et al. found momentum-based optimizers unstable with clipping).

        Args:
            d_optimizer, g_optimizer, **kwargs: as in `GAN.compile`.
        """
        super().compile(d_optimizer or keras.optimizers.RMSprop(5e-5),
                        g_optimizer or keras.optimizers.RMSprop(5e-5), **kwargs)

    def after_discriminator_step(self):
        c = self.clip_value
        variables = self.discriminator.trainable_variables

        def clip_all(strategy=None):
            for v in variables:
                if strategy is None:
                    v.assign(ops.clip(v, -c, c))
                else:
                    # Mirrored variables are updated from cross-replica context.
                    tf_var = v.value if isinstance(v, keras.Variable) else v  # the tf.Variable
                    strategy.extended.update(tf_var, lambda var: var.assign(tf.clip_by_value(var, -c, c)))

        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            ctx.merge_call(lambda strategy: clip_all(strategy))
        else:
            clip_all()

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value}


@keras.saving.register_keras_serializable(package="kgen")
class WGANGP(GAN):
    """WGAN-GP: Wasserstein losses plus a gradient penalty on the critic (Gulrajani et al., 2017).

    Paper defaults: `lambda=10`, `n_critic=5`, Adam(1e-4, beta_1=0, beta_2=0.9)
    (`build_wgan_gp` does), and no batch norm in the critic (layer norm or
    none), since the penalty is per example. https://arxiv.org/abs/1704.00028

    Args:
        generator, discriminator, latent_dim, num_classes, seed: as in `GAN`.
        d_steps: critic steps per generator step.
        gradient_penalty_weight: lambda.
        one_sided: penalize only gradient norms above 1.
        **kwargs: passed to `GAN`.

    Example:
        >>> gan = WGANGP(g, critic, latent_dim=64)
        >>> gan.compile(keras.optimizers.Adam(1e-4, 0.0, 0.9), keras.optimizers.Adam(1e-4, 0.0, 0.9))
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes=None, d_steps=5,
                 gradient_penalty_weight=10.0, one_sided=False, **kwargs):
        kwargs.setdefault("generator_loss", "wasserstein_generator")
        kwargs.setdefault("discriminator_loss", "wasserstein_discriminator")
        super().__init__(generator, discriminator, latent_dim, num_classes=num_classes,
                         d_steps=d_steps, **kwargs)
        _reject_batch_norm(discriminator)
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        self.one_sided = bool(one_sided)
        self.gp_tracker = keras.metrics.Mean(name="gradient_penalty")

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configure the optimizers; each defaults to the paper's Adam(1e-4, beta_1=0, beta_2=0.9).

        Args:
            d_optimizer, g_optimizer, **kwargs: as in `GAN.compile`.
        """
        super().compile(d_optimizer or keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                        g_optimizer or keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9), **kwargs)

    @property
    def metrics(self):
        return [*super().metrics, self.gp_tracker]

    def compute_discriminator_loss(self, real, fake, real_outputs, fake_outputs, labels=None):
        loss = super().compute_discriminator_loss(real, fake, real_outputs, fake_outputs, labels)
        critic = lambda x: self.discriminator(self._d_inputs(x, labels), training=True)  # noqa: E731
        penalty = losses.wasserstein_gradient_penalty(
            real, fake, critic, gradient_penalty_weight=self.gradient_penalty_weight,
            one_sided=self.one_sided, seed=self.seed_generator)
        self.gp_tracker.update_state(penalty)
        return loss + penalty

    def get_config(self):
        return {**super().get_config(), "gradient_penalty_weight": self.gradient_penalty_weight,
                "one_sided": self.one_sided}


def _reject_batch_norm(network):
    for layer in network._flatten_layers(include_self=False):  # noqa: SLF001
        if isinstance(layer, keras.layers.BatchNormalization):
            raise ValueError(
                f"WGAN-GP's critic must not use batch norm (layer {layer.name!r}): the gradient "
                "penalty is per example. Build it with norm='layer' or norm=None."
            )


def _networks(input_shape, num_classes, tiny, latent_dim, norm):
    from kgen.networks import (build_dcgan_discriminator, build_dcgan_generator,
                               build_mlp_discriminator, build_mlp_generator)

    if len(input_shape) == 1:
        hidden = (16, 16) if tiny else (128, 128)
        return (build_mlp_generator(latent_dim, input_shape[0], hidden, num_classes=num_classes),
                build_mlp_discriminator(input_shape[0], hidden, norm=norm if norm != "batch" else None,
                                        num_classes=num_classes))
    base = 8 if tiny else 64
    return (build_dcgan_generator(latent_dim, input_shape, base, num_classes=num_classes),
            build_dcgan_discriminator(input_shape, base, norm=norm, num_classes=num_classes))


@register_builder("wgan")
def build_wgan(input_shape, num_classes=None, tiny=False, latent_dim=None, d_steps=5,
               clip_value=0.01, learning_rate=5e-5, seed=None, **compile_kwargs):
    """Build a WGAN with the paper's settings (RMSProp 5e-5, c=0.01, n_critic=5).

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
    gan = WGAN(g, d, latent_dim, num_classes=num_classes, d_steps=d_steps, clip_value=clip_value,
               seed=seed)
    gan.compile(d_optimizer=keras.optimizers.RMSprop(learning_rate),
                g_optimizer=keras.optimizers.RMSprop(learning_rate), **compile_kwargs)
    return gan


@register_builder("wgan_gp")
def build_wgan_gp(input_shape, num_classes=None, tiny=False, latent_dim=None, d_steps=5,
                  gradient_penalty_weight=10.0, learning_rate=1e-4, beta_1=0.0, beta_2=0.9,
                  d_learning_rate=None, seed=None, **compile_kwargs):
    """Build a WGAN-GP with the paper's settings (Adam 1e-4, betas (0, 0.9), lambda 10, n_critic 5).

    The critic uses layer norm instead of batch norm. `d_learning_rate`
    sets a separate critic rate (TTUR, Heusel et al., 2017).

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
