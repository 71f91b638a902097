"""The autoencoder and VAE family: importing this module registers their zoo builders."""

from kgen.models.autoencoder import Autoencoder
from kgen.models.contractive import ContractiveAutoencoder
from kgen.models.denoising import (
    Corruption,
    DenoisingAutoencoder,
    GaussianCorruption,
    MaskingCorruption,
    SaltAndPepperCorruption,
)
from kgen.models.gumbel import GumbelSoftmaxVAE
from kgen.models.iwae import IWAE
from kgen.models.sequence import SequenceAutoencoder
from kgen.models.sparse import SparseAutoencoder
from kgen.models.stacked import StackedAutoencoder
from kgen.models.vae import VAE
from kgen.models.vqvae import VQVAE, VectorQuantizer

__all__ = [
    "Autoencoder",
    "ContractiveAutoencoder",
    "Corruption",
    "DenoisingAutoencoder",
    "GaussianCorruption",
    "GumbelSoftmaxVAE",
    "IWAE",
    "MaskingCorruption",
    "SaltAndPepperCorruption",
    "SequenceAutoencoder",
    "SparseAutoencoder",
    "StackedAutoencoder",
    "VAE",
    "VQVAE",
    "VectorQuantizer",
]
