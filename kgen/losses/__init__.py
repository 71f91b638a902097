"""Loss functions: pure functions of tensors returning a scalar."""

from kgen.losses.gan import (
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minimax_discriminator_loss,
    minimax_generator_loss,
    modified_generator_loss,
    noisy_minimax_discriminator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
    wasserstein_hinge_discriminator_loss,
    wasserstein_hinge_generator_loss,
)
from kgen.losses.penalties import (
    cycle_consistency_loss,
    feature_matching_generator_loss,
    historical_averaging_penalty,
    mutual_information_penalty,
    r1_penalty,
    wasserstein_gradient_penalty,
)
from kgen.losses.registry import get, names, register_loss, serialize

__all__ = [
    "get",
    "names",
    "register_loss",
    "serialize",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "modified_generator_loss",
    "noisy_minimax_discriminator_loss",
    "wasserstein_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_hinge_generator_loss",
    "wasserstein_hinge_discriminator_loss",
    "least_squares_generator_loss",
    "least_squares_discriminator_loss",
    "wasserstein_gradient_penalty",
    "r1_penalty",
    "feature_matching_generator_loss",
    "mutual_information_penalty",
    "cycle_consistency_loss",
    "historical_averaging_penalty",
]
