"""Salimans et al. (2016) "Improved techniques": a feature-matching GAN with minibatch discrimination."""

import keras
import tensorflow as tf
from keras import ops

from kgen import distribute, losses
from kgen.models.gan import GAN
from kgen.models.replica_ops import cross_replica_mean
from kgen.zoo import register_builder


@keras.saving.register_keras_serializable(package="kgen")
class FeatureMatchingGAN(GAN):
    """GAN whose generator matches the mean discriminator features of real data.

    The discriminator returns `[logits, features]` (an intermediate layer);
    the discriminator loss is the usual one on the logits (with one-sided
    label smoothing if set); the generator loss is
    `||E f(x) - E f(G(z))||^2` (`kgen.losses.feature_matching_generator_loss`)
    on the step's last real critic batch, optionally plus
    `adversarial_weight` times the usual generator loss. Both are computed
    by `compute_generator_loss` (so generator hooks such as
    `kgen.callbacks.HistoricalAveraging` apply); under a distribution
    strategy the mean features are all-reduced first, so the loss is that of
    the global batch. https://arxiv.org/abs/1606.03498

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

    def compute_generator_loss(self, fake, fake_outputs, labels=None, real_features=None, fake_features=None):
        """Feature matching on the global batch's mean features, plus `adversarial_weight` times the GAN loss."""
        if real_features is None or fake_features is None:
            raise ValueError("FeatureMatchingGAN.compute_generator_loss needs real_features= and fake_features= "
                             "(the discriminator's second output on real and generated data).")
        # ||mean f(x) - mean f(G(z))||^2 is not a per-example mean: all-reduce
        # the means so every replica computes the global batch's loss.
        real_mean = cross_replica_mean(ops.mean(ops.cast(real_features, "float32"), axis=0, keepdims=True))
        fake_mean = cross_replica_mean(ops.mean(ops.cast(fake_features, "float32"), axis=0, keepdims=True))
        loss = losses.feature_matching_generator_loss(real_mean, fake_mean)
        if self.adversarial_weight:
            loss = loss + self.adversarial_weight * super().compute_generator_loss(fake, fake_outputs, labels)
        return loss

    def discriminator_step(self, real, labels=None):
        n = ops.shape(real)[0]
        fake = self.generator(self._g_inputs(self.sample_latent(n), labels), training=True)
        fake, fake_labels = self.discriminator_fakes(fake, labels)
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_out, _ = self.discriminator(self._d_inputs(real, labels), training=True)
            fake_out, _ = self.discriminator(self._d_inputs(fake, fake_labels), training=True)
            loss = self.compute_discriminator_loss(real, fake, real_out, fake_out, labels)
            scaled = self.d_optimizer.scale_loss(distribute.scale_loss(loss))
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        self.after_discriminator_step()
        return loss

    def feature_matching_step(self, real, labels=None):
        """One generator update by feature matching against `real`; returns the loss."""
        n = ops.shape(real)[0]
        z = self.sample_latent(n)
        _, real_features = self.discriminator(self._d_inputs(real, labels), training=True)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator(self._g_inputs(z, labels), training=True)
            fake_out, fake_features = self.discriminator(self._d_inputs(fake, labels), training=True)
            loss = self.compute_generator_loss(fake, fake_out, labels, real_features=real_features,
                                               fake_features=fake_features)
            scaled = self.g_optimizer.scale_loss(distribute.scale_loss(loss))
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return loss

    def train_step(self, data):
        self._check_compiled()
        real, labels = self._unpack(data)
        reals, label_chunks = self._split_for_d_steps(real, labels)
        for real_chunk, label_chunk in zip(reals, label_chunks):
            self.d_loss_tracker.update_state(self.discriminator_step(real_chunk, label_chunk))
        self.g_loss_tracker.update_state(self.feature_matching_step(reals[-1], label_chunks[-1]))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        real, labels = self._unpack(data)
        n = ops.shape(real)[0]
        fake = self.generator(self._g_inputs(self.sample_latent(n), labels), training=False)
        real_out, real_f = self.discriminator(self._d_inputs(real, labels), training=False)
        fake_out, fake_f = self.discriminator(self._d_inputs(fake, labels), training=False)
        self.d_loss_tracker.update_state(self.compute_discriminator_loss(real, fake, real_out, fake_out, labels))
        self.g_loss_tracker.update_state(self.compute_generator_loss(fake, fake_out, labels, real_features=real_f,
                                                                     fake_features=fake_f))
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        return {**super().get_config(), "adversarial_weight": self.adversarial_weight}


def build_improved_discriminator(image_shape, base_filters=64, minibatch_kernels=(100, 5), dropout=0.0,
                                 name="discriminator"):
    """DCGAN conv trunk (no batch norm) -> features -> minibatch discrimination -> logit; outputs `[logits, features]`.

    Example:
        >>> d = build_improved_discriminator((16, 16, 1), 32, minibatch_kernels=(50, 5))
    """
    from keras import layers

    from kgen.layers.minibatch import MinibatchDiscrimination
    from kgen.networks import build_dcgan_discriminator

    trunk = build_dcgan_discriminator(image_shape, base_filters, norm=None, dropout=dropout,
                                      name=f"{name}_trunk")
    features = trunk.get_layer("flatten").output
    h = features
    if minibatch_kernels:
        h = MinibatchDiscrimination(*minibatch_kernels, name="minibatch_discrimination")(h)
    logits = layers.Dense(1, dtype="float32", name="mbd_logits")(h)
    return keras.Model(trunk.inputs, [logits, features], name=name)


@register_builder("improved_gan")
def build_improved_gan(input_shape, num_classes=None, tiny=False, latent_dim=None, base_filters=None,
                       minibatch_kernels=None, label_smoothing=0.1, learning_rate=3e-4, beta_1=0.5,
                       seed=None, **compile_kwargs):
    """Build Salimans et al.'s unsupervised setup: feature matching, minibatch discrimination, one-sided smoothing.

    Adam(3e-4, beta_1=0.5) as in the paper's code; real targets smoothed to 0.9.
    Historical averaging and EMA sampling are callbacks
    (`kgen.callbacks.tricks`); virtual batch norm is `kgen.layers.VirtualBatchNormalization`.

    Returns:
        A compiled `FeatureMatchingGAN`.
    """
    from kgen.networks import build_dcgan_generator

    if num_classes:
        raise ValueError("improved_gan is unsupervised here: pass num_classes=None.")
    latent_dim = latent_dim or (8 if tiny else 100)
    base = base_filters or (8 if tiny else 64)
    kernels = minibatch_kernels or ((4, 3) if tiny else (100, 5))
    g = build_dcgan_generator(latent_dim, input_shape, base)
    d = build_improved_discriminator(input_shape, base, kernels)
    gan = FeatureMatchingGAN(g, d, latent_dim, label_smoothing=label_smoothing, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), **compile_kwargs)
    return gan
