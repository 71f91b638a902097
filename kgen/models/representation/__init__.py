"""Representation learning without labels: self-supervised pretext tasks, a semi-supervised VAE, DANN.

Every model has an `encoder`, `features(x)` and a `features` export endpoint
(`kgen.models.representation.base.EncoderFeatures`).
"""

from kgen.models.representation.base import EncoderFeatures, PretextClassifier
from kgen.models.representation.colorization import (Colorization, Luminance, ab_bin_centres, ab_bins,
                                                     build_colorization, lab_to_rgb, rebalancing_weights,
                                                     rgb_to_lab, srgb_gamut_bins, zhang_gamut_bins)
from kgen.models.representation.context_encoder import (ContextEncoder, build_context_encoder,
                                                        build_context_encoder_generator, centre_mask)
from kgen.models.representation.context_prediction import (NEIGHBOURS, ContextPrediction,
                                                           build_context_prediction, patch_positions)
from kgen.models.representation.dann import DANN, AnnealedLearningRate, build_dann, dann_networks
from kgen.models.representation.jigsaw import (Jigsaw, build_jigsaw, maximal_hamming_permutations,
                                               min_hamming_distance)
from kgen.models.representation.m2_vae import M2VAE, build_m2_vae, categorical_entropy, m1_networks
from kgen.models.representation.rotnet import RotNet, build_rotnet, rotation_batch

__all__ = ["Colorization", "Luminance", "ab_bin_centres", "ab_bins", "build_colorization", "lab_to_rgb",
           "rebalancing_weights", "rgb_to_lab", "srgb_gamut_bins", "zhang_gamut_bins", "ContextEncoder",
           "build_context_encoder", "DANN", "AnnealedLearningRate", "build_dann", "dann_networks",
           "build_context_encoder_generator", "centre_mask", "ContextPrediction", "EncoderFeatures", "Jigsaw",
           "NEIGHBOURS", "PretextClassifier", "RotNet", "build_context_prediction", "build_jigsaw", "build_rotnet",
           "maximal_hamming_permutations", "min_hamming_distance", "M2VAE", "build_m2_vae", "categorical_entropy",
           "m1_networks", "patch_positions", "rotation_batch"]
