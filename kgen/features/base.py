"""Feature extractors: a Keras model plus the preprocessing that makes any images fit it."""

import numpy as np
import tensorflow as tf

_REGISTRY = {}


def register_extractor(name):
    """Register a factory `fn(**kwargs) -> FeatureExtractor` under `name`.

    Example:
        >>> @register_extractor("my_net")
        ... def build_my_net(**kwargs):
        ...     return FeatureExtractor(my_keras_model, input_size=(32, 32), channels=3)
    """

    def decorator(fn):
        if name in _REGISTRY and _REGISTRY[name] is not fn:
            raise ValueError(f"a feature extractor named {name!r} is already registered")
        _REGISTRY[name] = fn
        return fn

    return decorator


def names():
    """Names of every registered feature extractor."""
    _load_builtin()
    return sorted(_REGISTRY)


def get_extractor(extractor, **kwargs):
    """Resolve a feature extractor from a name, a Keras model or an extractor.

    Args:
        extractor: a registered name ("digits", "inception", ...), a
            `FeatureExtractor` (returned as is), or any Keras model mapping
            images to features (its input shape sets the resize target).
        **kwargs: options of the named factory (e.g. `weights=` for
            "inception"), or of `FeatureExtractor` for a Keras model.

    Returns:
        A `FeatureExtractor`.

    Example:
        >>> digits = get_extractor("digits")
        >>> digits.features(images).shape
        (N, 64)
    """
    if isinstance(extractor, FeatureExtractor):
        return extractor
    if isinstance(extractor, str):
        _load_builtin()
        if extractor not in _REGISTRY:
            raise ValueError(
                f"unknown feature extractor {extractor!r}. Known extractors: {names()}; "
                "or pass any Keras model mapping images to features."
            )
        return _REGISTRY[extractor](**kwargs)
    if callable(extractor) and hasattr(extractor, "inputs"):
        return FeatureExtractor(extractor, **kwargs)
    raise TypeError(
        "expected a feature extractor name, a FeatureExtractor or a Keras model. "
        f"Received: {type(extractor).__name__}"
    )


def _load_builtin():
    # Importing the modules runs their `register_extractor` decorators; local because both import
    # this module (at the top it would be an import cycle).
    from kgen.features import digits, inception  # noqa: F401


class FeatureExtractor:
    """Maps image batches to feature vectors (and class probabilities when it can).

    Inputs of any size, channel count (1, 3 or 4) and value range are
    converted to what the network expects: resized (antialiased bilinear),
    converted to its channels, and rescaled from `value_range` to the
    network's own `model_range`.

    Args:
        model: Keras model `images -> features`.
        probabilities_model: optional Keras model `images -> class
            probabilities` (used by Inception score and class coverage).
        input_size: `(H, W)` the network takes (default: from `model`).
        channels: channels the network takes (default: from `model`).
        model_range: value range the network expects, e.g. `(-1, 1)`.
        name: extractor name (used in metric names and reports).
        batch_size: images per forward pass.

    Example:
        >>> ext = FeatureExtractor(keras_model)   # any images -> features model
        >>> ext.features(images, value_range=(0, 1)).shape
    """

    def __init__(self, model, probabilities_model=None, input_size=None, channels=None,
                 model_range=(-1.0, 1.0), name=None, batch_size=256):
        shape = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else None
        if input_size is None:
            if not shape or len(shape) != 3 or None in shape[:2]:
                raise ValueError(
                    "cannot infer the input size of the feature model "
                    f"(input shape {shape}); pass input_size=(H, W)."
                )
            input_size = shape[:2]
        if channels is None:
            channels = shape[2] if shape and len(shape) == 3 and shape[2] else 3
        self.model = model
        self.probabilities_model = probabilities_model
        self.input_size = tuple(int(v) for v in input_size)
        self.channels = int(channels)
        self.model_range = tuple(float(v) for v in model_range)
        self.name = name or getattr(model, "name", "custom")
        self.batch_size = int(batch_size)
        self._features_fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        self._probs_fn = None
        if probabilities_model is not None:
            self._probs_fn = tf.function(lambda x: probabilities_model(x, training=False),
                                         reduce_retracing=True)

    @property
    def has_probabilities(self):
        """Whether the extractor gives class probabilities."""
        return self._probs_fn is not None

    @property
    def feature_dim(self):
        """Size of a feature vector."""
        return int(self.model.outputs[0].shape[-1])

    def preprocess(self, images, value_range=(-1.0, 1.0)):
        """Resize, convert channels and rescale a batch to the network's input.

        Args:
            images: `(N, H, W, C)` floats in `value_range` (or uint8, taken as 0..255).
            value_range: range of float inputs.

        Returns:
            A float32 tensor `(N, *input_size, channels)` in `model_range`.
        """
        x = tf.convert_to_tensor(images)
        if x.shape.rank != 4:
            raise ValueError(f"expected images of rank 4 (N,H,W,C). Received: shape={tuple(x.shape)}")
        if x.dtype == tf.uint8:
            value_range = (0.0, 255.0)
        x = tf.cast(x, tf.float32)
        low, high = (float(v) for v in value_range)
        m_low, m_high = self.model_range
        x = (x - low) / (high - low) * (m_high - m_low) + m_low
        c = x.shape[-1]
        if c != self.channels:
            if c == 4:
                x, c = x[..., :3], 3
            if c == 3 and self.channels == 1:
                x = tf.reduce_mean(x, axis=-1, keepdims=True)
            elif c == 1 and self.channels == 3:
                x = tf.repeat(x, 3, axis=-1)
            elif c != self.channels:
                raise ValueError(
                    f"cannot convert {c}-channel images to the {self.channels} channels of "
                    f"extractor {self.name!r}."
                )
        if tuple(x.shape[1:3]) != self.input_size:
            x = tf.image.resize(x, self.input_size, method="bilinear", antialias=True)
        return x

    def _batched(self, fn, model, images, value_range, batch_size):
        batch_size = int(batch_size or self.batch_size)
        outs = []
        for start in range(0, len(images), batch_size):
            x = self.preprocess(images[start:start + batch_size], value_range)
            out = np.asarray(fn(x), dtype=np.float32)
            outs.append(out.reshape(len(out), -1))
        if not outs:
            return np.zeros((0, int(np.prod(model.outputs[0].shape[1:]))), np.float32)
        return np.concatenate(outs, axis=0)

    def features(self, images, value_range=(-1.0, 1.0), batch_size=None):
        """Feature vectors of an image batch.

        Args:
            images: `(N, H, W, C)` array or tensor.
            value_range: value range of float images.
            batch_size: images per forward pass.

        Returns:
            float32 numpy array `(N, feature_dim)`.
        """
        images = _as_array(images)
        return self._batched(self._features_fn, self.model, images, value_range, batch_size)

    __call__ = features

    def probabilities(self, images, value_range=(-1.0, 1.0), batch_size=None):
        """Class probabilities `(N, num_classes)` of an image batch."""
        if self._probs_fn is None:
            raise ValueError(
                f"feature extractor {self.name!r} has no classifier head; use one with class "
                "probabilities (e.g. 'digits') for Inception score and class coverage."
            )
        images = _as_array(images)
        return self._batched(self._probs_fn, self.probabilities_model, images, value_range, batch_size)


def _as_array(images):
    if isinstance(images, tf.distribute.DistributedValues):
        images = tf.concat(tf.distribute.get_strategy().experimental_local_results(images), axis=0)
    if tf.is_tensor(images):
        return images.numpy() if hasattr(images, "numpy") else images
    return np.asarray(images)
