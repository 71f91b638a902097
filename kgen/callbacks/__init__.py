"""Keras callbacks for generative models."""

from kgen.callbacks.samples import JsonHistory, SampleGrid
from kgen.callbacks.tensorboard import TrainingSummaries, learning_rates, optimizers_of
from kgen.callbacks.tricks import GeneratorEMA, InstanceNoiseSchedule

__all__ = ["GeneratorEMA", "InstanceNoiseSchedule", "JsonHistory", "SampleGrid", "TrainingSummaries",
           "learning_rates", "optimizers_of"]
