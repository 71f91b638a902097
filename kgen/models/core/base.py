"""The contract every kgen model keeps: a prior, sampling, one update routine, metrics by name, export."""

import dataclasses
import threading

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgen import distribute, priors
from kgen.export.savedmodel import export_savedmodel
from kgen.models.core import update


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
        name: signature name ("generate", "decode", "encode", "translate").
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


def _as_joint(prior):
    if prior is None:
        return priors.Joint()
    prior = priors.get(prior)
    return prior if isinstance(prior, priors.Joint) else priors.Joint(latent=prior)


class GenerativeModel(keras.Model):
    """Base class of kgen models: one prior, sampling, metrics by name, an update routine, export.

    The contract (checked for every registered model by `tests/test_contract.py`):

    - **One prior** (`self.prior`, a `kgen.priors.Joint` whose parts are the
      random inputs of the generate/decode endpoint, e.g. `latent` and
      `labels`). `generate`, the sample-grid callback, `kgen sample`, export
      metadata and the edge runner all draw from it.
    - **One loss-output type**: every `compute_*` loss method returns a dict
      of named scalars whose `"loss"` entry is what the optimizer minimizes
      (a local-batch mean); other entries are metric values, matched to the
      model's metrics **by name** (`metric_names()`).
    - **One update routine** (`self.apply_update`): tape, this replica's share
      of the global-batch mean, loss scaling, gradients, apply. Families
      define `train_step` once on top of it; variants override what they
      compute, never how it runs.
    - Randomness through the model's `SeedGenerator` (`self.seed_generator`).
    - `export_endpoints()` lists the inference functions; `model.export(path)`
      writes them as one SavedModel.

    Args:
        prior: a `kgen.priors.Prior` (becomes the `latent` part), a
            `kgen.priors.Joint`, their config, or None (no random inputs).
        seed: seed of the model's `SeedGenerator`.
        **kwargs: passed to `keras.Model` (`name`, ...).
    """

    def __init__(self, prior=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.prior = _as_joint(prior)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")
        self._metric_store = _MetricStore()

    # -- the prior ----------------------------------------------------------------
    @property
    def latent_dim(self):
        """Size of the `latent` prior part (None when the model has none)."""
        return self.prior["latent"].event_size if "latent" in self.prior else None

    @property
    def num_classes(self):
        """Number of classes of the `labels` prior part (None for unconditional models)."""
        return self.prior["labels"].num_classes if "labels" in self.prior else None

    def sample_prior(self, n):
        """Draw `n` of every random input in the graph: a dict keyed like `self.prior`."""
        return self.prior.sample(n, self.seed_generator)

    def sample_latent(self, n):
        """Draw `n` latents from the `latent` prior part (per replica under a strategy)."""
        return self.prior["latent"].sample(n, self.seed_generator)

    def sample_labels(self, n):
        """Draw `n` class labels from the `labels` prior part."""
        if "labels" not in self.prior:
            raise ValueError("sample_labels() needs a conditional model (num_classes set).")
        return self.prior["labels"].sample(n, self.seed_generator)

    def prior_specs(self):
        """`TensorSpec`s of the prior's parts, for an endpoint's inputs (label parts get role "label")."""
        specs = []
        for name, part in self.prior.parts.items():
            role = "label" if name == "labels" else "latent"
            info = part.spec_info()
            if role == "label":
                info["num_classes"] = part.num_classes
            specs.append(TensorSpec(name, part.event_shape, part.dtype, role, info))
        return specs

    def prior_inputs(self, n_or_z=None, labels=None, **given):
        """The endpoint's random inputs: given ones checked, missing ones drawn from the prior.

        Args:
            n_or_z: a number of samples, a latent batch `(N, latent_dim)`, or a
                dict of inputs keyed like the prior.
            labels: class ids `(N,)` (conditional models).
            **given: further inputs by name.

        Returns:
            A dict name -> tensor with every prior part.
        """
        n = None
        if isinstance(n_or_z, dict):
            given = {**n_or_z, **given}
        elif isinstance(n_or_z, (int, np.integer)):
            n = int(n_or_z)
            if n < 1:
                raise ValueError(f"expected a number of samples >= 1. Received: n={n}")
        elif n_or_z is not None:
            if "latent" not in self.prior:
                raise ValueError(f"{type(self).__name__} has no latent input; its prior has {self.prior.names()}.")
            given["latent"] = n_or_z
        if labels is not None:
            if "labels" not in self.prior:
                raise ValueError("labels given, but this model is unconditional (num_classes=None).")
            given["labels"] = labels
        unknown = set(given) - set(self.prior.names())
        if unknown:
            raise ValueError(f"unknown inputs {sorted(unknown)}; this model's prior has {self.prior.names()}.")
        if n is None:
            if not given:
                raise ValueError("generate() needs a number of samples or inputs.")
            n = int(ops.shape(next(iter(given.values())))[0])
        inputs = {}
        for name, part in self.prior.parts.items():
            if name in given:
                inputs[name] = _checked_input(name, part, given[name], n)
            else:
                inputs[name] = part.sample(n, self.seed_generator)
        return inputs

    def generate(self, n_or_z=None, labels=None, training=False, **inputs):
        """Generate samples from fresh prior draws or from given inputs.

        Args:
            n_or_z: a number of samples, a latent batch `(N, latent_dim)`, or a
                dict of inputs keyed like the prior.
            labels: class ids `(N,)` for conditional models (drawn from the
                prior when omitted).
            training: run networks in training mode.
            **inputs: further prior inputs by name.

        Returns:
            The samples, e.g. images `(N, H, W, C)`.

        Example:
            >>> images = gan.generate(16)
            >>> digits = cgan.generate(10, labels=np.arange(10))
        """
        # Samples in float32 whatever the compute policy (mixed_bfloat16 ...).
        return _float32(self.decode_prior(self.prior_inputs(n_or_z, labels, **inputs), training=training))

    def decode_prior(self, inputs, training=False):
        """Map a dict of prior inputs to samples (default: `decode_latent(latent, labels)`)."""
        return self.decode_latent(inputs.get("latent"), inputs.get("labels"), training=training)

    def decode_latent(self, z, labels=None, training=False):
        """Map latents (and labels) to samples. Implemented by subclasses with a latent."""
        raise NotImplementedError(f"{type(self).__name__} must implement decode_latent().")

    # -- metrics by name ----------------------------------------------------------
    def metric_names(self):
        """Names of the metrics `train_step` reports (values come from the loss dicts by name)."""
        return ["loss"]

    @property
    def metrics(self):
        store = self._metric_store
        if store.trackers is None:
            # Created on first use, outside any traced step (compile() asks),
            # in the strategy scope the model is compiled in.
            store.trackers = [keras.metrics.Mean(name=name) for name in self.metric_names()]
        return list(store.trackers)

    def update_metrics(self, terms):
        """Update every metric whose name is in `terms`; return all results by name."""
        metrics = self.metrics
        for metric in metrics:
            value = terms.get(metric.name)
            if value is not None:
                metric.update_state(value)
        return {m.name: m.result() for m in metrics}

    def compile(self, *args, **kwargs):
        super().compile(*args, **kwargs)
        self.metrics  # noqa: B018 - build the trackers now, outside the traced step

    def compile_from_config(self, config):
        # Keras skips compiling a loaded model whose compile() is overridden
        # unless this is too; ours only adds the trackers, so restore as Keras does.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    # -- how a step runs ----------------------------------------------------------
    def build_optimizers(self):
        """Create the optimizers' slot variables before the train step is traced.

        Without a strategy Keras defers this to the first trace of the step,
        and a `tf.function` that creates variables on its first call is traced
        twice: measured here, the first `fit` step of a tiny DDPM took 109 s
        instead of ~55. Skipped while some layer is unbuilt (its variables
        would be missing from the optimizer).
        """
        optimizer = getattr(self, "optimizer", None)
        if optimizer is None or optimizer.built or not self.trainable_variables:
            return
        if not all(layer.built for layer in self._flatten_layers()):
            return
        with self.distribute_strategy.scope():
            optimizer.build(self.trainable_variables)

    def make_train_function(self, force=False):
        self.build_optimizers()
        return super().make_train_function(force=force)

    def apply_update(self, optimizer, compute, variables):
        """Minimize `compute()["loss"]` over `variables` with `optimizer`: the one update routine.

        Under the tape: `compute()` (a dict of named local-batch terms), this
        replica's share of the global-batch mean (`distribute.scale_loss`),
        then the optimizer's loss scaling (mixed_float16); gradients are
        applied by `kgen.models.core.update.apply_gradients` after the step's
        previous update, so the collectives of several updates in one step
        run in order on every replica and worker.

        Returns:
            The dict `compute()` returned.
        """
        with tf.GradientTape() as tape:
            terms = compute()
            if "loss" not in terms:
                raise ValueError(f"{type(self).__name__}: a loss dict needs a 'loss' entry. Received: {sorted(terms)}")
            scaled = optimizer.scale_loss(distribute.scale_loss(ops.cast(terms["loss"], "float32")))
        grads = tape.gradient(scaled, variables)
        token = update.apply_gradients(optimizer, grads, variables, after=self._update_tokens())
        self._metric_store.last_update = token
        return terms

    def _update_tokens(self):
        """The previous update's token, if it belongs to the step being traced."""
        token = self._metric_store.last_update
        if token is None or tf.executing_eagerly():
            return ()
        graph = getattr(token, "graph", None)
        return (token,) if graph is not None and graph is tf.compat.v1.get_default_graph() else ()

    @staticmethod
    def unpack_batch(data):
        """Split a batch into (x, labels); labels None when absent."""
        if isinstance(data, (tuple, list)):
            if len(data) == 1:
                return data[0], None
            return data[0], data[1]
        if isinstance(data, dict):
            return data["images"] if "images" in data else data["x"], data.get("labels")
        return data, None

    # -- export -------------------------------------------------------------------
    def export_endpoints(self):
        """List the `Endpoint`s to export. Implemented by subclasses."""
        raise NotImplementedError(f"{type(self).__name__} must implement export_endpoints().")

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Export the model's inference endpoints (generate/decode/encode/...).

        Keras' own `model.export` traces `call` on a recorded input, which a
        training wrapper never has; kgen exports what the model is used for:
        one SavedModel with a signature per `export_endpoints()` entry (the
        first is also `serve`), inputs named as in the bundle metadata and
        no random op inside. Other formats export the first endpoint's
        network through Keras.

        Args:
            filepath: output directory (or file, for other formats).
            format: "tf_saved_model", or a format `keras.Model.export` knows.
            verbose, input_signature, **kwargs: passed to Keras for other formats.

        Example:
            >>> gan.export("generator_savedmodel")
            >>> tf.saved_model.load("generator_savedmodel").signatures["generate"](latent=z)
        """
        endpoints = self.export_endpoints()
        if format == "tf_saved_model" and input_signature is None:
            return export_savedmodel(endpoints, filepath, serve=endpoints[0].name)
        return endpoints[0].network.export(filepath, format=format, verbose=verbose,
                                           input_signature=input_signature, **kwargs)

    def get_config(self):
        return {"name": self.name, "seed": self.seed}


def _float32(outputs):
    return tf.nest.map_structure(
        lambda t: ops.cast(t, "float32") if tf.is_tensor(t) and t.dtype.is_floating else t, outputs)


class _MetricStore:
    """Holds the loss trackers (and the step's last update token) outside Keras' layer tracking.

    The trackers' names depend on the whole model (its penalties, say), so
    they are created after `__init__`, where Keras no longer lets a built
    layer gain state; they are metrics, not weights, and are never saved.
    """

    def __init__(self):
        self.trackers = None
        # The last update's token while a step is traced (see
        # update.apply_gradients); per thread, since MirroredStrategy traces
        # each replica's step in a thread of its own.
        self._local = threading.local()

    @property
    def last_update(self):
        return getattr(self._local, "token", None)

    @last_update.setter
    def last_update(self, token):
        self._local.token = token


def _checked_input(name, part, value, n):
    if tf.is_tensor(value) or isinstance(value, keras.KerasTensor):
        return ops.cast(value, part.dtype)
    value = np.asarray(value)
    expected = (n, *part.event_shape)
    if value.shape != expected:
        raise ValueError(f"expected {name} of shape {expected}. Received: shape={value.shape}")
    if part.dtype == "int32":
        k = getattr(part, "num_classes", None)
        if k is not None and value.size and (value.min() < 0 or value.max() >= k):
            raise ValueError(f"expected {name} in [0, {k}). Received: min={value.min()}, max={value.max()}")
    return ops.convert_to_tensor(value.astype(part.dtype))
