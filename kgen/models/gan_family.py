"""The GAN family's models (issue 3): importing this module registers their builders."""

from kgen.models.conditional import ConditionalGAN, build_cgan
from kgen.models.improved import FeatureMatchingGAN, build_improved_discriminator, build_improved_gan
from kgen.models.infogan import InfoGAN, build_infogan, build_q_network
from kgen.models.mlp_gan import build_gan_mlp
from kgen.models.unrolled import UnrolledGAN, build_unrolled_gan
from kgen.models.wgan import WGAN, WGANGP, build_wgan, build_wgan_gp

__all__ = ["FeatureMatchingGAN", "build_improved_discriminator", "build_improved_gan", "ConditionalGAN", "InfoGAN", "build_cgan", "build_infogan", "build_q_network", "WGAN", "WGANGP", "UnrolledGAN", "build_gan_mlp", "build_unrolled_gan", "build_wgan",
           "build_wgan_gp"]
