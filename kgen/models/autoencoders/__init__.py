"""The autoencoder family: undercomplete, sparse, denoising, contractive, stacked and sequence autoencoders."""

from kgen.models.autoencoders.autoencoder import Autoencoder, build_autoencoder, build_conv_autoencoder
from kgen.models.autoencoders.contractive import ContractiveAutoencoder, build_contractive_autoencoder
from kgen.models.autoencoders.denoising import (Corruption, DenoisingAutoencoder, GaussianCorruption,
                                                MaskingCorruption, SaltAndPepperCorruption,
                                                build_denoising_autoencoder)
from kgen.models.autoencoders.sequence import SequenceAutoencoder, build_sequence_autoencoder
from kgen.models.autoencoders.sparse import SparseAutoencoder, build_sparse_autoencoder
from kgen.models.autoencoders.stacked import StackedAutoencoder, build_stacked_autoencoder

__all__ = [
    "Autoencoder", "ContractiveAutoencoder", "Corruption", "DenoisingAutoencoder", "GaussianCorruption",
    "MaskingCorruption", "SaltAndPepperCorruption", "SequenceAutoencoder", "SparseAutoencoder",
    "StackedAutoencoder", "build_autoencoder", "build_contractive_autoencoder", "build_conv_autoencoder",
    "build_denoising_autoencoder", "build_sequence_autoencoder", "build_sparse_autoencoder",
    "build_stacked_autoencoder",
]
