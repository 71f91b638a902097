"""The GAN family: one engine (`GAN`), its penalties and tricks, and the variants built on it."""

from kgen.models.gan.conditional import ConditionalGAN, build_cgan
from kgen.models.gan.dcgan import build_dcgan
from kgen.models.gan.engine import GAN, Fakes, GANOutputs
from kgen.models.gan.feature_matching import (FeatureMatchingGAN, build_improved_discriminator,
                                              build_improved_gan)
from kgen.models.gan.infogan import InfoGAN, build_infogan, build_q_network
from kgen.models.gan.mlp import build_gan_mlp
from kgen.models.gan.penalties import (GANPenalty, GradientPenalty, HistoricalAveraging, Reconstruction,
                                       WeightClipping)
from kgen.models.gan.replay import ExperienceReplay
from kgen.models.gan.sngan import build_sngan
from kgen.models.gan.unrolled import UnrolledGAN, build_unrolled_gan
from kgen.models.gan.wgan import WGAN, WGANGP, build_wgan, build_wgan_gp

__all__ = [
    "ConditionalGAN", "ExperienceReplay", "Fakes", "FeatureMatchingGAN", "GAN", "GANOutputs", "GANPenalty",
    "GradientPenalty", "HistoricalAveraging", "InfoGAN", "Reconstruction", "UnrolledGAN", "WGAN", "WGANGP",
    "WeightClipping", "build_cgan", "build_dcgan", "build_gan_mlp", "build_improved_discriminator",
    "build_improved_gan", "build_infogan", "build_q_network", "build_sngan", "build_unrolled_gan", "build_wgan",
    "build_wgan_gp",
]
