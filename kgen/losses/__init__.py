"""Loss functions: pure functions of tensors returning a scalar.

TF-GAN's names (`tfgan.losses`) have TF-GAN's arguments, defaults and values
(`reduction`, `SUM_BY_NONZERO_WEIGHTS` weighting, TF's label smoothing).
kgen's own conventions have their own names: `one_sided_minimax_discriminator_loss`
(Salimans et al.'s smoothing, the GAN model's default), `gradient_penalty`
(lambda inside, one-argument critic), `summed_mutual_information_penalty`.
"""

from kgen.losses.acgan import acgan_discriminator_loss, acgan_generator_loss
from kgen.losses.combine import combine_adversarial_loss, numerically_stable_global_norm
from kgen.losses.gan import (
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minimax_discriminator_loss,
    minimax_generator_loss,
    modified_discriminator_loss,
    modified_generator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
    wasserstein_hinge_discriminator_loss,
    wasserstein_hinge_generator_loss,
)
from kgen.losses.one_sided import noisy_minimax_discriminator_loss, one_sided_minimax_discriminator_loss
from kgen.losses.penalties import (
    cycle_consistency_loss,
    feature_matching_generator_loss,
    gradient_penalty,
    historical_averaging_penalty,
    mutual_information_penalty,
    r1_penalty,
    summed_mutual_information_penalty,
    wasserstein_gradient_penalty,
)
from kgen.losses.reduction import Reduction, compute_weighted_loss, get_reduction
from kgen.losses.registry import get, names, register_loss, serialize
from kgen.losses.relativistic import relativistic_discriminator_loss, relativistic_generator_loss

__all__ = [
    "get",
    "names",
    "register_loss",
    "serialize",
    "Reduction",
    "compute_weighted_loss",
    "get_reduction",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "modified_discriminator_loss",
    "modified_generator_loss",
    "one_sided_minimax_discriminator_loss",
    "noisy_minimax_discriminator_loss",
    "wasserstein_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_hinge_generator_loss",
    "wasserstein_hinge_discriminator_loss",
    "least_squares_generator_loss",
    "least_squares_discriminator_loss",
    "acgan_discriminator_loss",
    "acgan_generator_loss",
    "relativistic_discriminator_loss",
    "relativistic_generator_loss",
    "combine_adversarial_loss",
    "numerically_stable_global_norm",
    "wasserstein_gradient_penalty",
    "gradient_penalty",
    "r1_penalty",
    "feature_matching_generator_loss",
    "mutual_information_penalty",
    "summed_mutual_information_penalty",
    "cycle_consistency_loss",
    "historical_averaging_penalty",
]
