"""kgen models: Keras subclassed models with custom `train_step`s."""

from kgen.models.base import Endpoint, GenerativeModel, TensorSpec
from kgen.models.gan import GAN
from kgen.models.gan_family import *  # noqa: F401,F403  (WGAN, WGAN-GP, unrolled, cGAN, InfoGAN)
from kgen.models.ae_family import *  # noqa: F401,F403  (autoencoders and VAEs)

__all__ = ["Endpoint", "GenerativeModel", "TensorSpec", "GAN"]
