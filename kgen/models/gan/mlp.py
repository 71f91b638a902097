"""Goodfellow et al.'s MLP GAN for low-dimensional data (the 2-D mixtures)."""

import keras

from kgen.models.gan.engine import GAN
from kgen.networks import build_mlp_discriminator, build_mlp_generator
from kgen.zoo import register_builder


@register_builder("gan_mlp", data="points", paper="Goodfellow et al. 2014, https://arxiv.org/abs/1406.2661")
def build_gan_mlp(input_shape, num_classes=None, tiny=False, latent_dim=None, hidden=None,
                  learning_rate=1e-4, beta_1=0.5, d_learning_rate=None,
                  minibatch_discrimination=None, spectral_norm=False, seed=None, **compile_kwargs):
    """Build and compile an MLP GAN on points (Goodfellow et al., 2014).

    Args:
        input_shape: `(D,)`.
        num_classes: conditional networks.
        tiny: small networks for tests.
        latent_dim: latent size (64; 4 when tiny).
        hidden: hidden widths of both networks (128, 128).
        learning_rate, beta_1: Adam settings of the generator.
        d_learning_rate: discriminator rate (TTUR; default: `learning_rate`).
        minibatch_discrimination: `(num_kernels, kernel_dim)` or None.
        spectral_norm: spectrally normalize the discriminator.
        seed: noise seed.

    Returns:
        A compiled `GAN`.
    """
    if len(input_shape) != 1:
        raise ValueError(f"gan_mlp expects points: input_shape (D,). Received: {tuple(input_shape)}")
    latent_dim = latent_dim or (4 if tiny else 64)
    hidden = hidden or ((16, 16) if tiny else (128, 128))
    g = build_mlp_generator(latent_dim, input_shape[0], hidden, num_classes=num_classes)
    d = build_mlp_discriminator(input_shape[0], hidden, num_classes=num_classes,
                                minibatch_discrimination=minibatch_discrimination,
                                spectral_norm=spectral_norm)
    gan = GAN(g, d, latent_dim, num_classes=num_classes, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_learning_rate or learning_rate, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), **compile_kwargs)
    return gan
