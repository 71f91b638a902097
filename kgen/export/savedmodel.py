"""Export a model's inference endpoints as ONE SavedModel with named signatures."""

import dataclasses
import re

import keras
import tensorflow as tf
from keras import ops

# Op types that draw random numbers: an exported endpoint must contain none
# (the caller supplies the noise, so LiteRT needs no custom op).
_RANDOM_OP = re.compile(r"Random|Multinomial|Rng|TruncatedNormal")


class _NearestUpsample(keras.layers.Layer):
    """Nearest-neighbour upsampling by integer factors through `image.resize`.

    Keras 3 implements `UpSampling2D(interpolation="nearest")` with repeat/
    reshape ops whose shapes the TFLite converter cannot infer, so a later
    convolution fails to convert ("tf.Conv2D is neither a custom op nor a flex
    op"). `resize(..., "nearest")` by an integer factor gives the same values
    and lowers to the RESIZE_NEAREST_NEIGHBOR builtin.
    """

    def __init__(self, size, data_format, **kwargs):
        super().__init__(**kwargs)
        self.size = tuple(size)
        self.data_format = data_format

    def call(self, x):
        if self.data_format == "channels_first":
            h, w = x.shape[2], x.shape[3]
        else:
            h, w = x.shape[1], x.shape[2]
        return ops.image.resize(x, (h * self.size[0], w * self.size[1]), interpolation="nearest",
                                data_format=self.data_format)


def _is_nearest_upsampling(layer):
    return isinstance(layer, keras.layers.UpSampling2D) and layer.interpolation == "nearest"


def _is_rolled_rnn(layer):
    # A rolled Keras RNN traces to a while loop over TensorLists, which the
    # TFLite converter cannot lower with a dynamic batch ("Lowering tensor list
    # ops is failed"); unrolled, it is plain matmuls per time step.
    return (isinstance(layer, (keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN))
            and not layer.unroll)


def _needs_rewrite(layer):
    return _is_nearest_upsampling(layer) or _is_rolled_rnn(layer)


def _unrolled(layer):
    clone = type(layer).from_config({**layer.get_config(), "unroll": True})
    inputs = layer.input
    clone.build((inputs[0] if isinstance(inputs, (list, tuple)) else inputs).shape)
    clone.set_weights(layer.get_weights())  # a copy: the export is a snapshot anyway
    return clone


def export_friendly(network):
    """Return `network`, or a clone with converter-hostile layers replaced.

    `UpSampling2D(interpolation="nearest")` becomes an equivalent resize, and
    rolled LSTM/GRU/SimpleRNN layers their unrolled twin (weights copied). The
    clone shares every other layer, hence weight, with `network`.
    Non-functional networks are returned unchanged.
    """
    if not any(_needs_rewrite(layer) for layer in network._flatten_layers()):
        return network
    if not isinstance(network, keras.Model):
        return network

    copied = set()

    def clone(layer):
        if _is_nearest_upsampling(layer):
            return _NearestUpsample(layer.size, layer.data_format, name=layer.name)
        if _is_rolled_rnn(layer):
            twin = _unrolled(layer)
            copied.update(id(v) for v in twin.weights)
            return twin
        if isinstance(layer, keras.Model) and layer is not network:
            return export_friendly(layer)
        return layer

    try:
        clone_ = keras.models.clone_model(network, clone_function=clone)
    except Exception:  # a network clone_model cannot rebuild: export it as is
        return network
    # A subclassed network would be cloned with fresh weights: keep the
    # clone only if it shares every weight with the original.
    original = {id(v) for v in network.weights} | copied
    if any(id(v) not in original for v in clone_.weights):
        return network
    return clone_


def _float32_config(config):
    """A network config with every mixed dtype policy replaced by float32."""
    if isinstance(config, dict):
        if config.get("class_name") == "DTypePolicy" and str(config.get("config", {}).get("name", "")).startswith("mixed"):
            return {**config, "config": {**config["config"], "name": "float32"}}
        return {k: _float32_config(v) for k, v in config.items()}
    if isinstance(config, list):
        return [_float32_config(v) for v in config]
    return config


def float32_network(network):
    """`network`, or a float32 copy of it (same weights) when it computes in mixed precision.

    Training under `mixed_bfloat16` / `mixed_float16` keeps float32 weights
    but computes in 16 bits; exports run in float32 (TFLite has no bfloat16
    kernels, and the fidelity gate compares against float32).
    """
    mixed = any(getattr(getattr(layer, "dtype_policy", None), "name", "float32").startswith("mixed")
                for layer in network._flatten_layers())  # noqa: SLF001
    if not mixed or not isinstance(network, keras.Model):
        return network
    config = _float32_config(keras.saving.serialize_keras_object(network))
    copy = keras.saving.deserialize_keras_object(config)
    copy.set_weights(network.get_weights())
    return copy


def float32_endpoints(endpoints):
    """The endpoints with their networks in float32 (networks shared between endpoints stay shared)."""
    copies = {}
    out = []
    for ep in endpoints:
        if id(ep.network) not in copies:
            copies[id(ep.network)] = float32_network(ep.network)
        out.append(dataclasses.replace(ep, network=copies[id(ep.network)]))
    return out


def call_endpoint(endpoint, network, inputs):
    """Run an endpoint's network in inference mode on a list of inputs.

    Returns:
        dict output name -> tensor, in the order of `endpoint.outputs`.
    """
    if endpoint.call is not None:
        out = endpoint.call(network, *inputs)
    else:
        # A functional model declared with a list of inputs wants a list, even of one.
        as_list = len(inputs) > 1 or isinstance(getattr(network, "_inputs_struct", None), (list, tuple))
        out = network(list(inputs) if as_list else inputs[0], training=False)
    names = [spec.name for spec in endpoint.outputs]
    if isinstance(out, dict):
        if set(names) <= set(out):
            values = [out[name] for name in names]
        else:
            values = list(out.values())
    elif isinstance(out, (list, tuple)):
        values = list(out)
    else:
        values = [out]
    if len(values) != len(names):
        raise ValueError(
            f"endpoint {endpoint.name!r} declares outputs {names} but its network returned "
            f"{len(values)} tensors; fix the Endpoint's outputs or its call function."
        )
    return {name: ops.cast(value, spec.dtype)
            for name, value, spec in zip(names, values, endpoint.outputs)}


def input_signature(endpoint):
    """`tf.TensorSpec`s of an endpoint's inputs with a dynamic batch axis."""
    return [tf.TensorSpec((None, *spec.shape), spec.dtype, name=spec.name) for spec in endpoint.inputs]


def _signature_fn(endpoint, network):
    def fn(*args):
        return call_endpoint(endpoint, network, list(args))

    return fn


def find_random_ops(concrete_function):
    """Names of random-number ops in a traced function (including nested functions)."""
    graphs = [concrete_function.graph]
    found, seen = [], set()
    while graphs:
        graph = graphs.pop()
        for op in graph.get_operations():
            if _RANDOM_OP.search(op.type):
                found.append(f"{op.name} ({op.type})")
        for fn in getattr(graph, "_functions", {}).values():
            inner = getattr(fn, "graph", None)
            if inner is not None and id(inner) not in seen:
                seen.add(id(inner))
                graphs.append(inner)
    return found


def export_savedmodel(endpoints, path, serve=None):
    """Write endpoints as one SavedModel, one signature each, dynamic batch, no random op.

    Args:
        endpoints: `Endpoint`s (from `model.export_endpoints()`).
        path: output directory.
        serve: name of the endpoint also exported as `serve` (the SavedModel's
            default signature), or None.

    Returns:
        The path written.

    Raises:
        ValueError: an endpoint samples random numbers inside, or two share a name.

    Example:
        >>> export_savedmodel(gan.export_endpoints(), "bundle/saved_model")
        >>> tf.saved_model.load("bundle/saved_model").signatures["generate"](latent=z)
    """
    endpoints = float32_endpoints(endpoints)
    names = [ep.name for ep in endpoints]
    if len(set(names)) != len(names) or not names:
        raise ValueError(f"expected distinct, non-empty endpoint names. Received: {names}")
    archive = keras.export.ExportArchive()
    tracked = {}
    for ep in endpoints:
        network = tracked.get(id(ep.network))
        if network is None:
            network = export_friendly(ep.network)
            tracked[id(ep.network)] = network
            archive.track(network)
        fn = _signature_fn(ep, network)
        spec = input_signature(ep)
        randoms = find_random_ops(tf.function(fn, input_signature=spec).get_concrete_function())
        if randoms:
            raise ValueError(
                f"endpoint {ep.name!r} samples random numbers inside ({', '.join(randoms[:3])}); "
                "export endpoints must take their noise as an input so LiteRT needs no custom op."
            )
        archive.add_endpoint(ep.name, fn, input_signature=spec)
        if ep.name == serve and serve != "serve":
            archive.add_endpoint("serve", fn, input_signature=spec)
    archive.write_out(str(path), verbose=False)
    return path
