"""The base of every kgen generative model."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgen import distribute


@dataclasses.dataclass
class TensorSpec:
    """One input or output of an exported endpoint.

    Attributes:
        name: tensor name in the signature (e.g. "latent", "labels").
        shape: shape without the batch axis.
        dtype: "float32" or "int32".
        role: "latent", "label", "code", "image" or "output".
        info: free-form metadata (latent distribution, value range, ...).
    """

    name: str
    shape: tuple
    dtype: str = "float32"
    role: str = "latent"
    info: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Endpoint:
    """An inference function a model offers for export.

    Attributes:
        name: signature name ("generate", "decode", "encode").
        network: the inference sub-model (a Keras model, called with
            `training=False`), never the training wrapper.
        inputs: `TensorSpec`s, in the order the network takes them.
        outputs: `TensorSpec`s of the outputs.
        call: optional function `(network, *inputs) -> outputs` when the
            network is not called directly (e.g. an encoder returning a dict).
    """

    name: str
    network: keras.Model
    inputs: list
    outputs: list
    call: object = None


class GenerativeModel(keras.Model):
    """Base class of kgen models: a latent space, sampling, and export endpoints.

    Subclasses implement `decode_latent(z, labels, training)` (how a latent
    becomes a sample) and `export_endpoints()`. Randomness goes through the
    model's own `keras.random.SeedGenerator`.

    Args:
        latent_dim: size of the latent vector.
        num_classes: number of classes of a conditional model, else None.
        seed: seed of the model's `SeedGenerator`.
    """

    def __init__(self, latent_dim, num_classes=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if int(latent_dim) < 1:
            raise ValueError(f"expected latent_dim >= 1. Received: latent_dim={latent_dim}")
        self.latent_dim = int(latent_dim)
        self.num_classes = int(num_classes) if num_classes else None
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")

    # -- sampling ---------------------------------------------------------
    def latent_distribution(self):
        """Describe the latent prior for export metadata."""
        return {"type": "normal", "loc": 0.0, "scale": 1.0}

    def sample_latent(self, n):
        """Draw `n` latent vectors from the prior.

        Under a distribution strategy each replica draws the global batch
        and keeps its own slice: replicas get distinct noise, and N replicas
        see exactly the noise one device would see for the same global batch.

        Args:
            n: number of vectors (per replica).

        Returns:
            A float tensor `(n, latent_dim)`.
        """
        return self._draw(lambda shape: keras.random.normal(shape, seed=self.seed_generator), n,
                          (self.latent_dim,))

    def sample_labels(self, n):
        """Draw `n` class labels uniformly (conditional models)."""
        if not self.num_classes:
            raise ValueError("sample_labels() needs a conditional model (num_classes set).")
        return self._draw(
            lambda shape: keras.random.randint(shape, 0, self.num_classes, seed=self.seed_generator,
                                               dtype="int32"),
            n, (),
        )

    def _draw(self, sampler, n, event_shape):
        replicas = distribute.num_replicas()
        if replicas == 1:
            return sampler((n, *event_shape))
        full = sampler((n * replicas, *event_shape))
        start = distribute.replica_id() * n
        return tf.slice(full, [start] + [0] * len(event_shape), [n, *event_shape])

    def generate(self, n_or_z, labels=None, training=False):
        """Generate samples from `n` fresh latents or from given latents.

        Args:
            n_or_z: an int (number of samples) or a latent batch `(N, latent_dim)`.
            labels: class ids `(N,)` for conditional models (drawn uniformly
                when omitted).
            training: run networks in training mode.

        Returns:
            The samples, e.g. images in [-1, 1] `(N, H, W, C)`.

        Example:
            >>> images = gan.generate(16)
        """
        if isinstance(n_or_z, (int, np.integer)):
            z = self.sample_latent(int(n_or_z))
        else:
            z = ops.convert_to_tensor(n_or_z, "float32")
            if len(z.shape) != 2 or z.shape[-1] != self.latent_dim:
                raise ValueError(
                    f"expected latents of shape (N, {self.latent_dim}). "
                    f"Received: shape={tuple(z.shape)}"
                )
        if self.num_classes:
            if labels is None:
                labels = self.sample_labels(int(ops.shape(z)[0]))
            labels = self._check_labels(labels, int(ops.shape(z)[0]))
        elif labels is not None:
            raise ValueError("labels given, but this model is unconditional (num_classes=None).")
        return self.decode_latent(z, labels, training=training)

    def _check_labels(self, labels, n):
        labels = np.asarray(labels) if not tf.is_tensor(labels) else labels
        if tf.is_tensor(labels):
            return ops.cast(labels, "int32")
        if labels.shape != (n,):
            raise ValueError(f"expected labels of shape ({n},). Received: shape={labels.shape}")
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"expected labels in [0, {self.num_classes}). Received: min={labels.min()}, "
                f"max={labels.max()}"
            )
        return ops.convert_to_tensor(labels.astype("int32"))

    def decode_latent(self, z, labels=None, training=False):
        """Map latents (and labels) to samples. Implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement decode_latent().")

    def export_endpoints(self):
        """List the `Endpoint`s to export. Implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement export_endpoints().")

    # -- helpers for subclasses ---------------------------------------------
    @staticmethod
    def _unpack(data):
        """Split a batch into (x, labels); labels None when absent."""
        if isinstance(data, (tuple, list)):
            if len(data) == 1:
                return data[0], None
            return data[0], data[1]
        if isinstance(data, dict):
            return data["images"] if "images" in data else data["x"], data.get("labels")
        return data, None

    def get_config(self):
        return {
            "name": self.name,
            "latent_dim": self.latent_dim,
            "num_classes": self.num_classes,
            "seed": self.seed,
        }
