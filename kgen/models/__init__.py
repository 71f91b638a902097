"""kgen models: Keras subclassed models with custom `train_step`s."""

from kgen.models.base import Endpoint, GenerativeModel, TensorSpec
from kgen.models.gan import GAN

__all__ = ["Endpoint", "GenerativeModel", "TensorSpec", "GAN"]
