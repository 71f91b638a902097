"""kgen: deep unsupervised and generative models for Keras 3."""

__version__ = "0.1.0"

from kgen import distribute, layers, losses, models, networks  # noqa: E402

__all__ = ["distribute", "layers", "losses", "models", "networks", "__version__"]
