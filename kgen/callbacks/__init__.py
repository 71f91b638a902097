"""Keras callbacks for generative models."""

from kgen.callbacks.samples import JsonHistory, SampleGrid
from kgen.callbacks.tensorboard import TrainingSummaries, learning_rates, optimizers_of
from kgen.callbacks.tricks import (
    ExperienceReplay,
    FakeReplayPool,
    GeneratorEMA,
    HistoricalAveraging,
    InstanceNoiseSchedule,
)

__all__ = ["JsonHistory", "SampleGrid", "ExperienceReplay", "FakeReplayPool", "GeneratorEMA",
           "HistoricalAveraging", "InstanceNoiseSchedule", "TrainingSummaries", "learning_rates",
           "optimizers_of"]
