"""Network builders: functional Keras models that kgen models are built from."""

from kgen.networks.dcgan import build_dcgan_discriminator, build_dcgan_generator

__all__ = ["build_dcgan_generator", "build_dcgan_discriminator"]
