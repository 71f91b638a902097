"""Priors: the one object a model samples its latent inputs from, in the graph, in numpy and on the edge.

A model owns one `Joint` prior whose named parts are the random inputs of
its generate/decode endpoint (``{"latent": Normal(100), "labels":
Categorical(10)}``). Everything that samples uses it:

- `sample(n, seed)`: in the graph, through `keras.random` and the model's
  `SeedGenerator`; under a distribution strategy each replica draws the
  global batch and keeps its own slice, so N replicas see the noise one
  device would.
- `numpy_sample(n, rng)`: with a `numpy.random.Generator` (sample grids,
  `kgen sample`, export calibration). `export/kgen_litert.py` and the
  Android class implement the same draws from `metadata()` alone (no
  TensorFlow), in the same order, so a seed gives the same latents there
  (tested bit for bit).
- `metadata()`: a JSON record (`{"type": "normal", "loc": 0.0, ...}`) for
  export bundles.
- `distribution()`: the `tfp.distributions` equivalent (the VAE's KL term).

Example:
    >>> prior = Joint(latent=Normal((64,)), labels=Categorical(10))
    >>> batch = prior.numpy_sample(16, np.random.default_rng(0))
    >>> batch["latent"].shape, batch["labels"].shape
    ((16, 64), (16,))
"""

import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from kgen import distribute

tfd = tfp.distributions

__all__ = ["Prior", "Normal", "Uniform", "Categorical", "OneHotCategorical", "Bernoulli", "Concatenate",
           "Joint", "get"]

_TYPES = {}


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if any(s < 1 for s in shape):
        raise ValueError(f"expected a prior event shape of positive sizes. Received: shape={shape}")
    return shape


def _register(cls):
    _TYPES[cls.type] = cls
    return keras.saving.register_keras_serializable(package="kgen")(cls)


class Prior:
    """A distribution over one input of a model's generate/decode endpoint.

    Subclasses set `type` (the metadata name), `dtype`, `params` (the names
    of the attributes that metadata and config record), and implement
    `_sample(shape, seed)` (graph) and `_numpy(n, rng)`.

    Attributes:
        event_shape: the shape of one sample (no batch axis).
        dtype: "float32" or "int32".
    """

    type = None
    dtype = "float32"
    params = ()

    def __init__(self, event_shape):
        self.event_shape = _shape(event_shape) if event_shape != () else ()

    @property
    def event_size(self):
        """Number of values in one sample (1 for a scalar)."""
        return int(math.prod(self.event_shape))

    def sample(self, n, seed=None):
        """Draw `n` samples in the graph (per replica under a strategy).

        Args:
            n: number of samples this replica needs (an int or a scalar tensor).
            seed: a `keras.random.SeedGenerator` (the model's) or None.

        Returns:
            A tensor `(n, *event_shape)` of `dtype`.
        """
        return distribute.draw_for_replica(lambda shape: self._sample(shape, seed), n, self.event_shape)

    def numpy_sample(self, n, rng):
        """Draw `n` samples with a `numpy.random.Generator` (the edge runner's draws).

        Returns:
            An array `(n, *event_shape)` of `dtype`.
        """
        if int(n) < 1:
            raise ValueError(f"expected n >= 1 samples. Received: n={n}")
        return np.asarray(self._numpy(int(n), rng), self.dtype).reshape((int(n), *self.event_shape))

    def metadata(self):
        """The JSON record export bundles carry (`type` plus parameters)."""
        return {"type": self.type, "shape": list(self.event_shape), **self._params()}

    def distribution(self):
        """The `tfp.distributions` distribution of one sample (batch shape `()`)."""
        raise NotImplementedError(f"{type(self).__name__} has no tfp equivalent.")

    def spec_info(self):
        """`TensorSpec.info` for an endpoint input drawn from this prior."""
        return {"distribution": self.metadata()}

    def get_config(self):
        return {"event_shape": list(self.event_shape), **self._params()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash((type(self).__name__, str(self.get_config())))

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({params})"

    def _params(self):
        return {name: getattr(self, name) for name in self.params}

    def _independent(self, base):
        """`base` (a distribution of one value, batch shape `event_shape`) as one event."""
        return tfd.Independent(base, reinterpreted_batch_ndims=len(self.event_shape))


@_register
class Normal(Prior):
    """Independent normal values `loc + scale * N(0, 1)`, the usual GAN/VAE prior.

    Example:
        >>> Normal((100,)).numpy_sample(2, np.random.default_rng(0)).shape
        (2, 100)
    """

    type = "normal"
    params = ("loc", "scale")

    def __init__(self, event_shape, loc=0.0, scale=1.0):
        super().__init__(event_shape)
        if float(scale) <= 0:
            raise ValueError(f"expected scale > 0. Received: scale={scale}")
        self.loc = float(loc)
        self.scale = float(scale)

    def _sample(self, shape, seed):
        return keras.random.normal(shape, mean=self.loc, stddev=self.scale, seed=seed)

    def _numpy(self, n, rng):
        return self.loc + self.scale * rng.standard_normal((n, *self.event_shape))

    def distribution(self):
        return self._independent(tfd.Normal(tf.fill(self.event_shape, self.loc), self.scale))


@_register
class Uniform(Prior):
    """Independent uniform values on `[low, high)` (InfoGAN's continuous codes).

    Example:
        >>> Uniform((2,), -1.0, 1.0).numpy_sample(3, np.random.default_rng(0)).shape
        (3, 2)
    """

    type = "uniform"
    params = ("low", "high")

    def __init__(self, event_shape, low=-1.0, high=1.0):
        super().__init__(event_shape)
        if not float(low) < float(high):
            raise ValueError(f"expected low < high. Received: low={low}, high={high}")
        self.low = float(low)
        self.high = float(high)

    def _sample(self, shape, seed):
        return keras.random.uniform(shape, self.low, self.high, seed=seed)

    def _numpy(self, n, rng):
        return rng.uniform(self.low, self.high, (n, *self.event_shape))

    def distribution(self):
        return self._independent(tfd.Uniform(tf.fill(self.event_shape, self.low), self.high))


@_register
class Categorical(Prior):
    """Uniform integer ids in `[0, num_classes)`: class labels, or code indices of shape `event_shape`.

    Args:
        num_classes: number of categories K.
        event_shape: `()` for one label per sample, `(h, w)` for a map of
            codebook indices (VQ-VAE).

    Example:
        >>> Categorical(10).numpy_sample(4, np.random.default_rng(0)).dtype
        dtype('int32')
    """

    type = "categorical"
    params = ("num_classes",)
    dtype = "int32"

    def __init__(self, num_classes, event_shape=()):
        super().__init__(tuple(event_shape))
        if int(num_classes) < 1:
            raise ValueError(f"expected num_classes >= 1. Received: num_classes={num_classes}")
        self.num_classes = int(num_classes)

    def _sample(self, shape, seed):
        return keras.random.randint(shape, 0, self.num_classes, seed=seed, dtype="int32")

    def _numpy(self, n, rng):
        return rng.integers(0, self.num_classes, (n, *self.event_shape))

    def distribution(self):
        base = tfd.Categorical(logits=tf.zeros((*self.event_shape, self.num_classes)), dtype=tf.int32)
        return self._independent(base) if self.event_shape else base

    def get_config(self):
        return {"num_classes": self.num_classes, "event_shape": list(self.event_shape)}


@_register
class OneHotCategorical(Prior):
    """`num_variables` uniform one-hot vectors of `num_categories`, flattened to `(V*K,)`.

    The Gumbel-softmax VAE's prior, and InfoGAN's categorical codes.

    Example:
        >>> z = OneHotCategorical(2, 3).numpy_sample(1, np.random.default_rng(0))
        >>> z.reshape(2, 3).sum(axis=1)
        array([1., 1.], dtype=float32)
    """

    type = "one_hot_categorical"
    params = ("num_variables", "num_categories")

    def __init__(self, num_variables, num_categories, event_shape=None):
        self.num_variables = int(num_variables)
        self.num_categories = int(num_categories)
        if self.num_variables < 1 or self.num_categories < 1:
            raise ValueError(f"expected num_variables >= 1 and num_categories >= 1. Received: "
                             f"{num_variables}, {num_categories}")
        super().__init__((self.num_variables * self.num_categories,))

    def _sample(self, shape, seed):
        n = shape[0]
        ids = keras.random.randint((n, self.num_variables), 0, self.num_categories, seed=seed, dtype="int32")
        return tf.reshape(tf.one_hot(ids, self.num_categories), (n, self.event_size))

    def _numpy(self, n, rng):
        ids = rng.integers(0, self.num_categories, (n, self.num_variables))
        return np.eye(self.num_categories, dtype=np.float32)[ids].reshape(n, self.event_size)

    def distribution(self):
        """Over `(V, K)` one-hots (reshape flat samples to `(V, K)` first)."""
        return tfd.Independent(tfd.OneHotCategorical(logits=tf.zeros((self.num_variables, self.num_categories)),
                                                     dtype=tf.float32), reinterpreted_batch_ndims=1)

    def get_config(self):
        return {"num_variables": self.num_variables, "num_categories": self.num_categories}


@_register
class Bernoulli(Prior):
    """Independent binary values, 1 with probability `p` (an RBM chain's start).

    Example:
        >>> Bernoulli((4,), 0.5).numpy_sample(2, np.random.default_rng(0)).shape
        (2, 4)
    """

    type = "bernoulli"
    params = ("p",)

    def __init__(self, event_shape, p=0.5):
        super().__init__(event_shape)
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"expected 0 <= p <= 1. Received: p={p}")
        self.p = float(p)

    def _sample(self, shape, seed):
        return tf.cast(keras.random.uniform(shape, seed=seed) < self.p, tf.float32)

    def _numpy(self, n, rng):
        return rng.uniform(0.0, 1.0, (n, *self.event_shape)) < self.p

    def distribution(self):
        return self._independent(tfd.Bernoulli(probs=tf.fill(self.event_shape, self.p), dtype=tf.float32))


@_register
class Concatenate(Prior):
    """Flat priors side by side in one vector (InfoGAN's `[noise, one-hot codes, continuous codes]`).

    Args:
        parts: flat (rank-1) priors, in order.

    Attributes:
        sizes: each part's size; `split(z)` cuts a batch back into parts.

    Example:
        >>> p = Concatenate([Normal(62), OneHotCategorical(1, 10), Uniform(2)])
        >>> p.event_shape
        (74,)
    """

    type = "concat"

    def __init__(self, parts):
        self.parts = [get(p) for p in parts]
        for p in self.parts:
            if len(p.event_shape) != 1 or p.dtype != "float32":
                raise ValueError(f"Concatenate takes flat float priors. Received: {p!r}")
        self.sizes = [p.event_size for p in self.parts]
        super().__init__((sum(self.sizes),))

    def sample(self, n, seed=None):
        return tf.concat([tf.cast(p.sample(n, seed), tf.float32) for p in self.parts], axis=-1)

    def _numpy(self, n, rng):
        return np.concatenate([p.numpy_sample(n, rng) for p in self.parts], axis=-1)

    def split(self, z):
        """Cut `(N, sum(sizes))` into the parts' `(N, size_i)` tensors."""
        return tf.split(z, self.sizes, axis=-1)

    def metadata(self):
        return {"type": self.type, "shape": list(self.event_shape),
                "parts": [{**p.metadata(), "size": p.event_size} for p in self.parts]}

    def get_config(self):
        return {"parts": [keras.saving.serialize_keras_object(p) for p in self.parts]}


@_register
class Joint(Prior):
    """Named, independent priors: one per random input of a model's endpoint.

    `sample` and `numpy_sample` return dicts keyed like the endpoint's
    inputs, drawn in declaration order.

    Example:
        >>> prior = Joint(latent=Normal(8), labels=Categorical(3))
        >>> sorted(prior.numpy_sample(2, np.random.default_rng(0)))
        ['labels', 'latent']
    """

    type = "joint"

    def __init__(self, parts=None, **named):
        self.parts = {}
        for name, p in {**(parts or {}), **named}.items():
            if p is not None:
                self.parts[str(name)] = get(p)
        self.event_shape = ()

    def __getitem__(self, name):
        if name not in self.parts:
            raise KeyError(f"this prior has no part {name!r}; it has {sorted(self.parts)}")
        return self.parts[name]

    def __contains__(self, name):
        return name in self.parts

    def __bool__(self):
        return bool(self.parts)

    def __len__(self):
        return len(self.parts)

    def names(self):
        return list(self.parts)

    def sample(self, n, seed=None):
        return {name: p.sample(n, seed) for name, p in self.parts.items()}

    def numpy_sample(self, n, rng):
        return {name: p.numpy_sample(n, rng) for name, p in self.parts.items()}

    def metadata(self):
        return {"type": self.type, "parts": {name: p.metadata() for name, p in self.parts.items()}}

    def get_config(self):
        return {"parts": {name: keras.saving.serialize_keras_object(p) for name, p in self.parts.items()}}


def get(identifier):
    """A `Prior` from a prior, its serialized config, or its metadata record.

    Example:
        >>> get({"type": "normal", "shape": [4]})
        Normal(event_shape=[4], loc=0.0, scale=1.0)
    """
    if isinstance(identifier, Prior):
        return identifier
    if isinstance(identifier, dict):
        if "class_name" in identifier:
            return keras.saving.deserialize_keras_object(identifier)
        record = dict(identifier)
        kind = record.pop("type", None)
        record.pop("size", None)  # a Concatenate part's size: implied by its shape
        if kind not in _TYPES:
            raise ValueError(f"unknown prior type {kind!r}. Known: {sorted(_TYPES)}")
        if kind == "concat":
            return Concatenate([get(p) for p in record["parts"]])
        if kind == "joint":
            return Joint({k: get(v) for k, v in record["parts"].items()})
        shape = record.pop("shape", ())
        if kind == "categorical":
            return Categorical(record["num_classes"], shape)
        if kind == "one_hot_categorical":
            return OneHotCategorical(record["num_variables"], record["num_categories"])
        return _TYPES[kind](shape, **record)
    raise ValueError(f"expected a kgen.priors.Prior or its config. Received: {identifier!r}")
