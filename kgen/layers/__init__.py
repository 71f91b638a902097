"""Reusable Keras layers of kgen."""

from kgen.layers.conditioning import OneHot
from kgen.layers.gradient_reversal import GradientReversal, dann_lambda, reverse_gradient
from kgen.layers.minibatch import MinibatchDiscrimination, MinibatchStdDev
from kgen.layers.noise import InstanceNoise
from kgen.layers.projection import ClassProjection
from kgen.layers.spectral import SpectralNormalization
from kgen.layers.virtual_batch_norm import VirtualBatchNormalization, WithReferenceBatch

__all__ = ["OneHot", "MinibatchDiscrimination", "MinibatchStdDev", "InstanceNoise", "ClassProjection",
           "SpectralNormalization", "VirtualBatchNormalization", "WithReferenceBatch",
           "GradientReversal", "dann_lambda", "reverse_gradient"]
