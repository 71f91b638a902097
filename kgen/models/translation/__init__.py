"""Image-to-image translation: pix2pix (paired), CycleGAN (unpaired), SRResNet / SRGAN (super-resolution)."""

from kgen.models.translation.common import PerceptualLoss, TranslatorMixin, build_feature_network
from kgen.models.translation.cyclegan import CycleGAN, HistoryPool, LinearDecay, build_cyclegan
from kgen.models.translation.pix2pix import Pix2Pix, build_pix2pix
from kgen.models.translation.srgan import (SRGAN, SRResNet, bicubic_upsample, build_srgan, build_srresnet_model,
                                           downsample)

__all__ = ["CycleGAN", "HistoryPool", "LinearDecay", "PerceptualLoss", "Pix2Pix", "SRGAN", "SRResNet",
           "TranslatorMixin", "bicubic_upsample", "build_cyclegan", "build_feature_network", "build_pix2pix",
           "build_srgan", "build_srresnet_model", "downsample"]
