"""Reusable Keras layers of kgen."""

from kgen.layers.conditioning import OneHot

__all__ = ["OneHot"]
