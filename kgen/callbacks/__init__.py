"""Keras callbacks for generative models."""

from kgen.callbacks.samples import JsonHistory, SampleGrid

__all__ = ["JsonHistory", "SampleGrid"]
