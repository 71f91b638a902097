"""Salimans et al. (2016) "Improved techniques": a feature-matching GAN with minibatch discrimination."""

import keras
from keras import layers, ops

from kgen import losses
from kgen.layers.minibatch import MinibatchDiscrimination
from kgen.models.core import cross_replica_mean
from kgen.models.gan.engine import GAN
from kgen.models.gan.penalties import HistoricalAveraging
from kgen.networks import build_dcgan_discriminator, build_dcgan_generator
from kgen.zoo import register_builder


@keras.saving.register_keras_serializable(package="kgen")
class FeatureMatchingGAN(GAN):
    """GAN whose generator matches the mean discriminator features of real data.

    The discriminator returns `[logits, features]` (an intermediate layer);
    the discriminator loss is the usual one on the logits (with one-sided
    label smoothing if set); the generator's adversarial loss is
    `||E f(x) - E f(G(z))||^2` (`kgen.losses.feature_matching_generator_loss`)
    on the step's last real critic batch, optionally plus
    `adversarial_weight` times the usual generator loss (generator
    penalties such as `HistoricalAveraging` are added by the engine as for
    any GAN); under a distribution strategy the mean features are
    all-reduced first, so the loss is that of the global batch. https://arxiv.org/abs/1606.03498

    Args:
        generator, discriminator, latent_dim, num_classes, seed: as in `GAN`
            (the discriminator with two outputs).
        adversarial_weight: weight of the ordinary generator loss added to
            feature matching (0 in the paper).
        **kwargs: passed to `GAN` (e.g. `label_smoothing=0.1`).

    Example:
        >>> gan = kgen.zoo.build("improved_gan", (16, 16, 1))
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes=None, adversarial_weight=0.0,
                 **kwargs):
        super().__init__(generator, discriminator, latent_dim, num_classes=num_classes, **kwargs)
        if len(discriminator.outputs) != 2:
            raise ValueError(
                "FeatureMatchingGAN needs a discriminator returning [logits, features]. "
                f"Received {len(discriminator.outputs)} output(s); build it with return_features=True."
            )
        self.adversarial_weight = float(adversarial_weight)

    def generator_needs_real_outputs(self):
        # Feature matching compares with the features of real data.
        return True

    def generator_adversarial_loss(self, outputs):
        """Feature matching on the global batch's mean features, plus `adversarial_weight` times the GAN loss."""
        # ||mean f(x) - mean f(G(z))||^2 is not a per-example mean: all-reduce
        # the means so every replica computes the global batch's loss.
        real_mean = cross_replica_mean(ops.mean(ops.cast(outputs.real_features, "float32"), axis=0, keepdims=True))
        fake_mean = cross_replica_mean(ops.mean(ops.cast(outputs.fake_features, "float32"), axis=0, keepdims=True))
        loss = losses.feature_matching_generator_loss(ops.stop_gradient(real_mean), fake_mean)
        if self.adversarial_weight:
            loss = loss + self.adversarial_weight * self.generator_loss_fn(outputs.fake_outputs)
        return loss

    def get_config(self):
        return {**super().get_config(), "adversarial_weight": self.adversarial_weight}


def build_improved_discriminator(image_shape, base_filters=64, minibatch_kernels=(100, 5), dropout=0.0,
                                 name="discriminator"):
    """DCGAN conv trunk (no batch norm) -> features -> minibatch discrimination -> logit; outputs `[logits, features]`.

    Example:
        >>> d = build_improved_discriminator((16, 16, 1), 32, minibatch_kernels=(50, 5))
    """
    trunk = build_dcgan_discriminator(image_shape, base_filters, norm=None, dropout=dropout,
                                      name=f"{name}_trunk")
    features = trunk.get_layer("flatten").output
    h = features
    if minibatch_kernels:
        h = MinibatchDiscrimination(*minibatch_kernels, name="minibatch_discrimination")(h)
    logits = layers.Dense(1, dtype="float32", name="mbd_logits")(h)
    return keras.Model(trunk.inputs, [logits, features], name=name)


@register_builder("improved_gan", paper="Salimans et al. 2016, https://arxiv.org/abs/1606.03498")
def build_improved_gan(input_shape, num_classes=None, tiny=False, latent_dim=None, base_filters=None,
                       minibatch_kernels=None, label_smoothing=0.1, learning_rate=3e-4, beta_1=0.5,
                       historical_averaging=None, seed=None, **compile_kwargs):
    """Build Salimans et al.'s unsupervised setup: feature matching, minibatch discrimination, one-sided smoothing.

    Adam(3e-4, beta_1=0.5) as in the paper's code; real targets smoothed to 0.9.
    Historical averaging is a penalty (`historical_averaging=1e-3` adds
    `kgen.models.gan.HistoricalAveraging`), EMA sampling the callback
    `kgen.callbacks.GeneratorEMA`; virtual batch norm is
    `kgen.layers.VirtualBatchNormalization`.

    Returns:
        A compiled `FeatureMatchingGAN`.
    """
    if num_classes:
        raise ValueError("improved_gan is unsupervised here: pass num_classes=None.")
    latent_dim = latent_dim or (8 if tiny else 100)
    base = base_filters or (8 if tiny else 64)
    kernels = minibatch_kernels or ((4, 3) if tiny else (100, 5))
    g = build_dcgan_generator(latent_dim, input_shape, base)
    d = build_improved_discriminator(input_shape, base, kernels)
    penalties = [HistoricalAveraging(historical_averaging)] if historical_averaging else []
    gan = FeatureMatchingGAN(g, d, latent_dim, label_smoothing=label_smoothing, penalties=penalties, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), **compile_kwargs)
    return gan
