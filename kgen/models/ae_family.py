"""The autoencoder and VAE family: importing this module registers their zoo builders."""

from kgen.models.autoencoder import Autoencoder, build_autoencoder, build_conv_autoencoder
from kgen.models.iwae import IWAE, build_iwae
from kgen.models.vae import VAE, build_beta_vae, build_conv_vae, build_cvae, build_vae

__all__ = [
    "Autoencoder",
    "VAE",
    "IWAE",
]
