"""Name lookup for loss functions, so models and the CLI accept strings."""

import keras

_LOSSES = {}


def register_loss(*names, keras_name=None, legacy_keras_names=()):
    """Register a loss function under one or more names (and as Keras-serializable).

    Args:
        *names: names that `kgen.losses.get` resolves to this function.
        keras_name: its Keras serialization name (`"kgen>" + keras_name`;
            default: the function's name).
        legacy_keras_names: serialization names of saved configs that must
            keep loading as this function (after a rename).

    Returns:
        A decorator returning the function unchanged.

    Example:
        >>> @register_loss("my_loss")
        ... def my_loss(discriminator_gen_outputs): ...
    """

    def decorator(fn):
        fn = keras.saving.register_keras_serializable(package="kgen", name=keras_name)(fn)
        for legacy in legacy_keras_names:
            keras.saving.get_custom_objects()[f"kgen>{legacy}"] = fn
        for name in names:
            if name in _LOSSES and _LOSSES[name] is not fn:
                raise ValueError(f"loss name {name!r} is already registered to {_LOSSES[name]}")
            _LOSSES[name] = fn
        return fn

    return decorator


def get(identifier):
    """Resolve a loss given by name, config dict or callable.

    Args:
        identifier: a registered name (e.g. "non_saturating"), a serialized
            config, or a callable (returned as is).

    Returns:
        The loss function.

    Example:
        >>> get("non_saturating") is modified_generator_loss
        True
    """
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    if isinstance(identifier, str):
        if identifier in _LOSSES:
            return _LOSSES[identifier]
        raise ValueError(
            f"unknown loss {identifier!r}. Known losses: {sorted(_LOSSES)}; "
            "or pass a callable."
        )
    raise TypeError(f"expected a loss name or callable. Received: {identifier!r}")


def serialize(fn):
    """Serialize a loss function for a model config."""
    return keras.saving.serialize_keras_object(fn)


def names():
    """All registered loss names."""
    return sorted(_LOSSES)
