"""Keras callbacks for generative models."""

from kgen.callbacks.samples import JsonHistory, SampleGrid
from kgen.callbacks.tensorboard import TrainingSummaries, learning_rates, optimizers_of
from kgen.callbacks.text_samples import TextSamples
from kgen.callbacks.tricks import GeneratorEMA, InstanceNoiseSchedule

__all__ = ["GeneratorEMA", "InstanceNoiseSchedule", "JsonHistory", "SampleGrid", "TextSamples", "TrainingSummaries",
           "learning_rates", "optimizers_of"]
