"""Loss functions: pure functions of tensors returning a scalar."""

from kgen.losses.gan import (
    minimax_discriminator_loss,
    minimax_generator_loss,
    modified_generator_loss,
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
]
