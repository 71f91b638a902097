"""Plain-Keras baselines written the way keras.io's examples write them.

`KerasIOGAN` follows keras.io's "DCGAN to generate face images" example:
one discriminator update on the concatenation of fake and real images with
noisy labels (0.05 * uniform added), then one generator update with
"misleading" labels, binary cross-entropy from logits, no distribution
scaling, no loss-scale wrapping. It is the reference kgen's GAN is timed and
judged against, with the same networks, batch and optimizers.
"""

import keras
from keras import ops


class KerasIOGAN(keras.Model):
    """keras.io-style GAN (reference implementation for benchmarks only)."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        import tensorflow as tf

        batch_size = ops.shape(real_images)[0]
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        generated = self.generator(z)
        combined = ops.concatenate([generated, real_images], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * keras.random.uniform(ops.shape(labels), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        misleading = ops.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(z))
            g_loss = self.loss_fn(misleading, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


def build_baseline_dcgan(image_shape, latent_dim=100, base_filters=64, learning_rate=2e-4):
    """The baseline with kgen's DCGAN networks and optimizers, compiled."""
    from kgen.networks import build_dcgan_discriminator, build_dcgan_generator

    gan = KerasIOGAN(build_dcgan_discriminator(image_shape, base_filters),
                     build_dcgan_generator(latent_dim, image_shape, base_filters), latent_dim)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    return gan
