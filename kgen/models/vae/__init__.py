"""The VAE family on tfp distributions: VAE (beta, conditional), IWAE, Gumbel-softmax VAE, VQ-VAE."""

from kgen.models.vae import likelihoods
from kgen.models.vae.gumbel import GroupSoftmax, GumbelSoftmaxVAE, build_gumbel_vae, gumbel_softmax_sample
from kgen.models.vae.iwae import IWAE, build_iwae
from kgen.models.vae.vae import (VAE, GaussianPosteriorParams, build_beta_vae, build_conv_vae, build_cvae,
                                 build_vae, log_mean_exp, vae_networks)
from kgen.models.vae.vqvae import VQVAE, CodebookLookup, VectorQuantizer, build_vqvae

__all__ = [
    "CodebookLookup", "GaussianPosteriorParams", "GroupSoftmax", "GumbelSoftmaxVAE", "IWAE", "VAE", "VQVAE",
    "VectorQuantizer", "build_beta_vae", "build_conv_vae", "build_cvae", "build_gumbel_vae", "build_iwae",
    "build_vae", "build_vqvae", "gumbel_softmax_sample", "likelihoods", "log_mean_exp", "vae_networks",
]
