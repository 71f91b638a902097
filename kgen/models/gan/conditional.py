"""Conditional GAN (Mirza & Osindero, 2014), with a projection-discriminator option (Miyato & Koyama, 2018)."""

import keras

from kgen.models.gan.engine import GAN
from kgen.networks import (build_dcgan_discriminator, build_dcgan_generator, build_mlp_discriminator,
                           build_mlp_generator, build_projection_discriminator)
from kgen.zoo import register_builder


@keras.saving.register_keras_serializable(package="kgen")
class ConditionalGAN(GAN):
    """A GAN conditioned on class labels: `G(z, y)`, `D(x, y)`.

    The GAN engine with `condition="labels"`, checking that both networks
    take `[inputs, labels]`; fakes reuse the real batch's labels
    (class-balanced D input). `generate(n, labels=...)` draws class-`k`
    samples; the labels are a part of the model's prior (uniform).
    https://arxiv.org/abs/1411.1784

    Args:
        generator: model `[latent, labels] -> sample`.
        discriminator: model `[sample, labels] -> logits` (concatenation or projection).
        latent_dim: latent size.
        num_classes: number of classes (required).
        **kwargs: passed to `GAN`.

    Example:
        >>> cgan = ConditionalGAN(g, d, latent_dim=64, num_classes=10)
        >>> cgan.generate(10, labels=np.arange(10))
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes, **kwargs):
        kwargs.pop("condition", None)
        if not num_classes:
            raise ValueError("ConditionalGAN needs num_classes (the number of labels).")
        for net, role in ((generator, "generator"), (discriminator, "discriminator")):
            if len(getattr(net, "inputs", None) or []) != 2:
                raise ValueError(
                    f"the {role} of a ConditionalGAN must take [inputs, labels] (2 inputs). "
                    f"Received: {len(getattr(net, 'inputs', None) or [])} input(s); build it with num_classes set."
                )
        super().__init__(generator, discriminator, latent_dim, num_classes=num_classes, **kwargs)


def _networks(input_shape, num_classes, tiny, latent_dim, conditioning):
    if len(input_shape) == 1:
        hidden = (16, 16) if tiny else (256, 256)
        out = "tanh" if input_shape[0] > 2 else None
        return (build_mlp_generator(latent_dim, input_shape[0], hidden, num_classes=num_classes,
                                    output_activation=out),
                build_mlp_discriminator(input_shape[0], hidden, num_classes=num_classes,
                                        conditioning=conditioning))
    base = 8 if tiny else 64
    g = build_dcgan_generator(latent_dim, input_shape, base, num_classes=num_classes)
    if conditioning == "projection":
        d = build_projection_discriminator(input_shape, num_classes, base)
    else:
        d = build_dcgan_discriminator(input_shape, base, num_classes=num_classes)
    return g, d


@register_builder("cgan", labels=True, paper="Mirza & Osindero 2014, https://arxiv.org/abs/1411.1784")
def build_cgan(input_shape, num_classes=10, tiny=False, latent_dim=None, conditioning="concat",
               learning_rate=2e-4, beta_1=0.5, d_learning_rate=None, seed=None, **compile_kwargs):
    """Build a conditional GAN: DCGAN networks for images, MLPs for flat vectors.

    Args:
        input_shape: `(H, W, C)` or `(D,)`.
        num_classes: number of classes.
        tiny: small networks for tests.
        latent_dim: latent size (100; 8 when tiny).
        conditioning: "concat" (Mirza & Osindero) or "projection" (Miyato &
            Koyama; spectrally normalized conv discriminator for images).
        learning_rate, beta_1: Adam settings.
        d_learning_rate: separate discriminator rate (TTUR).
        seed: noise seed.

    Returns:
        A compiled `ConditionalGAN`.
    """
    if not num_classes:
        raise ValueError("cgan needs num_classes; load data with labels=True.")
    latent_dim = latent_dim or (8 if tiny else 100)
    g, d = _networks(tuple(input_shape), num_classes, tiny, latent_dim, conditioning)
    gan = ConditionalGAN(g, d, latent_dim, num_classes=num_classes, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(d_learning_rate or learning_rate, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), **compile_kwargs)
    return gan
