"""Relativistic average GAN losses (Jolicoeur-Martineau, 2018), TF-GAN's `relativistic_*_loss`.

With `D_ra(x, y) = D(x) - E[D(y)]` (the mean over every element of the
other batch), the discriminator estimates how much more realistic real data
is than the average fake, and the generator the reverse.
https://arxiv.org/abs/1807.00734
"""

from keras import ops

from kgen.losses.reduction import as_float, sigmoid_xent
from kgen.losses.registry import register_loss


def _relativistic(discriminator_real_outputs, discriminator_gen_outputs, real_target):
    real = as_float(discriminator_real_outputs)
    fake = as_float(discriminator_gen_outputs)
    real_logits = real - ops.mean(fake)
    fake_logits = fake - ops.mean(real)
    return (ops.mean(sigmoid_xent(real_logits, real_target))
            + ops.mean(sigmoid_xent(fake_logits, 1.0 - real_target)))


@register_loss("relativistic_discriminator", "relativistic_discriminator_loss")
def relativistic_discriminator_loss(discriminator_real_outputs, discriminator_gen_outputs, scope=None):
    """Relativistic average discriminator loss (RaSGAN; Jolicoeur-Martineau, 2018).

    `-E[log sigmoid(D_ra(x, G(z)))] - E[log(1 - sigmoid(D_ra(G(z), x)))]`.
    https://arxiv.org/abs/1807.00734

    Args:
        discriminator_real_outputs: logits on real data, rank >= 1.
        discriminator_gen_outputs: logits on generated data, rank >= 1.
        scope: accepted for TF-GAN compatibility (a name scope there).

    Returns:
        Scalar loss.

    Example:
        >>> float(relativistic_discriminator_loss([0.0], [0.0]))  # 2 log 2
        1.386...
    """
    return _relativistic(discriminator_real_outputs, discriminator_gen_outputs, 1.0)


@register_loss("relativistic_generator", "relativistic_generator_loss")
def relativistic_generator_loss(discriminator_real_outputs, discriminator_gen_outputs, scope=None):
    """Relativistic average generator loss (RaSGAN; Jolicoeur-Martineau, 2018).

    `-E[log(1 - sigmoid(D_ra(x, G(z))))] - E[log sigmoid(D_ra(G(z), x))]`:
    unlike the standard GAN's, it needs the real outputs too (the generator
    also lowers how realistic the real data looks).
    https://arxiv.org/abs/1807.00734

    Args:
        discriminator_real_outputs, discriminator_gen_outputs, scope: as in
            `relativistic_discriminator_loss`.

    Returns:
        Scalar loss.

    Example:
        >>> g_loss = relativistic_generator_loss(d_real, d_fake)
    """
    return _relativistic(discriminator_real_outputs, discriminator_gen_outputs, 0.0)
