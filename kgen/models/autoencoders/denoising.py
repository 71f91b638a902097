"""Denoising autoencoder with pluggable corruption C(x~|x) (Vincent et al., 2008).

https://www.cs.toronto.edu/~larocheh/publications/icml-2008-denoising-autoencoders.pdf
"""

import keras
import numpy as np
from keras import ops

from kgen import distribute
from kgen.models.autoencoders.autoencoder import Autoencoder, _compile, default_dense_pair
from kgen.zoo import register_builder

_CORRUPTIONS = {}


def register_corruption(name):
    """Register a corruption class under `name` (and as Keras-serializable)."""

    def decorator(cls):
        cls = keras.saving.register_keras_serializable(package="kgen")(cls)
        _CORRUPTIONS[name] = cls
        cls.corruption_name = name
        return cls

    return decorator


class Corruption:
    """A corruption process C(x~|x).

    `__call__(x, draw)` corrupts a batch; `draw(kind, x)` returns noise of
    x's shape ("uniform" in [0, 1) or "normal"), supplied by the model so
    that all randomness comes from its seed generator.
    """

    def __call__(self, x, draw):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register_corruption("gaussian")
class GaussianCorruption(Corruption):
    """Additive isotropic Gaussian noise: x~ = x + stddev * eps."""

    def __init__(self, stddev=0.3):
        self.stddev = float(stddev)

    def __call__(self, x, draw):
        return x + self.stddev * draw("normal", x)

    def get_config(self):
        return {"stddev": self.stddev}


@register_corruption("masking")
class MaskingCorruption(Corruption):
    """Masking noise: each input set to `value` with probability `rate` (Vincent et al.)."""

    def __init__(self, rate=0.25, value=0.0):
        self.rate = float(rate)
        self.value = float(value)

    def __call__(self, x, draw):
        keep = ops.cast(draw("uniform", x) >= self.rate, x.dtype)
        return x * keep + self.value * (1.0 - keep)

    def get_config(self):
        return {"rate": self.rate, "value": self.value}


@register_corruption("salt_and_pepper")
class SaltAndPepperCorruption(Corruption):
    """Salt-and-pepper noise: with probability `rate` an input is set to `low` or `high` (50/50)."""

    def __init__(self, rate=0.25, low=0.0, high=1.0):
        self.rate = float(rate)
        self.low = float(low)
        self.high = float(high)

    def __call__(self, x, draw):
        u = draw("uniform", x)
        salt = ops.cast(u < self.rate / 2, x.dtype)
        pepper = ops.cast((u >= self.rate / 2) & (u < self.rate), x.dtype)
        keep = 1.0 - salt - pepper
        return x * keep + self.high * salt + self.low * pepper

    def get_config(self):
        return {"rate": self.rate, "low": self.low, "high": self.high}


def get_corruption(identifier, **kwargs):
    """Resolve a corruption from a name ("gaussian", "masking", "salt_and_pepper"),
    a config dict, or an instance.

    Example:
        >>> get_corruption("masking", rate=0.3)
    """
    if isinstance(identifier, Corruption):
        return identifier
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    if identifier in _CORRUPTIONS:
        return _CORRUPTIONS[identifier](**kwargs)
    raise ValueError(f"unknown corruption {identifier!r}. Known: {sorted(_CORRUPTIONS)}, or pass "
                     "a Corruption instance.")


@keras.saving.register_keras_serializable(package="kgen")
class DenoisingAutoencoder(Autoencoder):
    """Autoencoder trained to reconstruct x from a corrupted x~ ~ C(x~|x) (training only).

    Args:
        encoder, decoder, reconstruction_loss: see `Autoencoder`.
        corruption: a `Corruption`, its name, or a serialized config.
        corruption_kwargs: arguments for a corruption given by name.

    Example:
        >>> dae = build_denoising_autoencoder((16, 16, 1), corruption="masking")
        >>> chain = dae.sample_chain(16, steps=10)   # (11, 16, 16, 16, 1)
    """

    def __init__(self, encoder, decoder, reconstruction_loss="mse", corruption="gaussian",
                 corruption_kwargs=None, seed=None, **kwargs):
        super().__init__(encoder, decoder, reconstruction_loss, seed=seed, **kwargs)
        self.corruption = get_corruption(corruption, **(corruption_kwargs or {}))

    def draw_noise(self, kind, x):
        """Noise of x's shape from the model's seed generator, sliced per replica."""
        fns = {"uniform": keras.random.uniform, "normal": keras.random.normal}
        if kind not in fns:
            raise ValueError(f"expected noise kind 'uniform' or 'normal'. Received: {kind!r}")
        fn = fns[kind]
        return distribute.draw_for_replica(lambda shape: fn(shape, seed=self.seed_generator, dtype=x.dtype),
                                           ops.shape(x)[0], tuple(x.shape[1:]))

    def corrupt(self, x):
        return self.corruption(ops.cast(x, "float32"), self.draw_noise)

    def sample_chain(self, n_or_x, steps=10, clip=(0.0, 1.0)):
        """Sample by alternating corruption and denoising: x_{t+1} = r(C(x_t)).

        The Markov chain of Bengio et al. (2013) whose stationary
        distribution estimates the data distribution; starts from given
        inputs or, for an int, uniform noise.

        Args:
            n_or_x: number of chains (start from uniform noise in `clip`) or a
                batch of starting inputs.
            steps: chain steps.
            clip: clip states to this range (None: no clipping).

        Returns:
            numpy array `(steps + 1, N, ...)`: the initial state then each step.
        """
        if isinstance(n_or_x, (int, np.integer)):
            shape = (int(n_or_x), *self.encoder.input_shape[1:])
            lo, hi = clip or (0.0, 1.0)
            x = lo + (hi - lo) * keras.random.uniform(shape, seed=self.seed_generator)
        else:
            x = ops.convert_to_tensor(n_or_x, "float32")
        states = [ops.convert_to_numpy(x)]
        for _ in range(int(steps)):
            x = self.reconstruct(self.corrupt(x))
            if clip is not None:
                x = ops.clip(x, clip[0], clip[1])
            states.append(ops.convert_to_numpy(x))
        return np.stack(states)

    def get_config(self):
        return {**super().get_config(),
                "corruption": keras.saving.serialize_keras_object(self.corruption)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["corruption"] = keras.saving.deserialize_keras_object(config["corruption"])
        return super().from_config(config)


@register_builder("denoising_autoencoder", scale="sigmoid",
                  paper="Vincent et al. 2008, https://doi.org/10.1145/1390156.1390294")
def build_denoising_autoencoder(input_shape, num_classes=None, tiny=False, code_dim=None,
                                hidden_units=None, corruption="masking", corruption_kwargs=None,
                                reconstruction_loss="bce", learning_rate=1e-3, seed=None,
                                latent_dim=None, **compile_kwargs):
    """Denoising autoencoder (masking noise, rate 0.25, and cross-entropy as in Vincent et al.).

    Returns:
        A compiled `DenoisingAutoencoder`.
    """
    enc, dec = default_dense_pair(input_shape, code_dim, latent_dim, hidden_units, tiny, full_code_dim=64)
    model = DenoisingAutoencoder(enc, dec, reconstruction_loss, corruption, corruption_kwargs,
                                 seed=seed)
    return _compile(model, learning_rate, **compile_kwargs)
