"""SNGAN (Miyato et al., 2018): a spectrally normalized discriminator trained with the hinge loss.

The GAN engine with `kgen.losses` hinge losses (`hinge_discriminator`:
`E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]`, `hinge_generator`:
`-E[D(G(z))]`) and the DCGAN discriminator with every layer wrapped in
`kgen.layers.SpectralNormalization` (no batch norm in it).
https://arxiv.org/abs/1802.05957
"""

import keras

from kgen.models.gan.engine import GAN
from kgen.networks import build_dcgan_discriminator, build_dcgan_generator
from kgen.zoo import register_builder


@register_builder("sngan", paper="Miyato et al. 2018, https://arxiv.org/abs/1802.05957")
def build_sngan(input_shape, num_classes=None, tiny=False, latent_dim=None, base_filters=None,
                d_steps=1, learning_rate=2e-4, beta_1=0.5, beta_2=0.999, seed=None, **compile_kwargs):
    """SNGAN: hinge loss, spectrally normalized DCGAN critic, Adam(2e-4, 0.5, 0.999), one critic step.

    The optimizer is the paper's setting C (Table 1: alpha 2e-4, beta_1 0.5,
    beta_2 0.999, n_dis 1), which it found robust with spectral norm.

    Args:
        input_shape: image shape `(H, W, C)`.
        num_classes: make it conditional on labels (concatenated label maps).
        tiny: a very small network for tests.
        latent_dim: latent size (128 as in the paper; 8 when tiny).
        base_filters: network width (64; 8 when tiny).
        d_steps: critic steps per generator step (n_dis).
        learning_rate, beta_1, beta_2: Adam settings of both optimizers.
        seed: noise seed.

    Returns:
        A compiled `GAN`.

    Example:
        >>> gan = build_sngan((32, 32, 3))
    """
    latent_dim = latent_dim or (8 if tiny else 128)
    base_filters = base_filters or (8 if tiny else 64)
    gen = build_dcgan_generator(latent_dim, input_shape, base_filters, num_classes=num_classes)
    disc = build_dcgan_discriminator(input_shape, base_filters, norm=None, num_classes=num_classes,
                                     spectral_norm=True)
    gan = GAN(gen, disc, latent_dim, num_classes=num_classes, d_steps=d_steps,
              generator_loss="hinge_generator", discriminator_loss="hinge_discriminator", seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1, beta_2),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1, beta_2), **compile_kwargs)
    return gan
