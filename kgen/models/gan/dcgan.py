"""DCGAN (Radford et al., 2015): the GAN engine with the paper's convolutional networks and optimizer."""

import keras

from kgen.models.gan.engine import GAN
from kgen.networks import build_dcgan_discriminator, build_dcgan_generator
from kgen.zoo import register_builder


@register_builder("dcgan", paper="Radford et al. 2015, https://arxiv.org/abs/1511.06434")
def build_dcgan(input_shape, num_classes=None, tiny=False, latent_dim=None, base_filters=None,
                upsample="transpose", learning_rate=2e-4, beta_1=0.5, seed=None, **compile_kwargs):
    """DCGAN: strided-conv networks with batch norm, Adam(2e-4, beta_1=0.5), any power-of-two image size.

    Args:
        input_shape: image shape `(H, W, C)`.
        num_classes: make it conditional on labels.
        tiny: a very small network for tests.
        latent_dim: latent size (100 as in the paper; 8 when tiny).
        base_filters: network width (64; 8 when tiny).
        upsample: "transpose" or "resize".
        learning_rate, beta_1: Adam settings of both optimizers.
        seed: noise seed.
        **compile_kwargs: passed to `compile` (e.g. `jit_compile=True`).

    Returns:
        A compiled `GAN`.

    Example:
        >>> gan = build_dcgan((16, 16, 1), latent_dim=64)
    """
    latent_dim = latent_dim or (8 if tiny else 100)
    base_filters = base_filters or (8 if tiny else 64)
    gen = build_dcgan_generator(latent_dim, input_shape, base_filters, upsample=upsample,
                                num_classes=num_classes)
    disc = build_dcgan_discriminator(input_shape, base_filters, num_classes=num_classes)
    gan = GAN(gen, disc, latent_dim, num_classes=num_classes, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), **compile_kwargs)
    return gan
