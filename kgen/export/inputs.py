"""Draw endpoint inputs from their recorded distributions (numpy only).

Supported `distribution` records (in `TensorSpec.info["distribution"]`, or the
model's latent prior): `{"type": "normal", "loc", "scale"}`,
`{"type": "uniform", "low", "high"}`, `{"type": "categorical", "num_classes",
"one_hot": bool}` and `{"type": "concat", "parts": [{..., "size": k}, ...]}` (a
vector made of consecutive parts, e.g. InfoGAN's noise and codes). Label
inputs are drawn uniformly from `[0, num_classes)`.
"""

import numpy as np

DEFAULT_DISTRIBUTION = {"type": "normal", "loc": 0.0, "scale": 1.0}
NO_PRIOR_TYPES = ("code", "none")


def spec_distribution(spec):
    """The distribution record of a latent/code/label input spec."""
    info = spec.info or {}
    if spec.role == "label":
        return {"type": "categorical", "num_classes": int(info["num_classes"]), "one_hot": False}
    return info.get("distribution", DEFAULT_DISTRIBUTION)


def sample(distribution, n, shape, rng):
    """Draw `n` values of event `shape` from a distribution record.

    Args:
        distribution: a record (see module docstring).
        n: batch size.
        shape: event shape (without the batch axis).
        rng: a `numpy.random.Generator`.

    Returns:
        float32 array `(n, *shape)` (int32 for non-one-hot categorical).
    """
    kind = distribution.get("type", "normal")
    shape = tuple(int(s) for s in shape)
    if kind == "normal" or kind in NO_PRIOR_TYPES:
        loc, scale = float(distribution.get("loc", 0.0)), float(distribution.get("scale", 1.0))
        return (loc + scale * rng.standard_normal((n, *shape))).astype(np.float32)
    if kind == "uniform":
        low, high = float(distribution.get("low", -1.0)), float(distribution.get("high", 1.0))
        return rng.uniform(low, high, (n, *shape)).astype(np.float32)
    if kind == "categorical":
        k = int(distribution.get("num_classes", distribution.get("num_categories", 0)))
        if distribution.get("one_hot", True) and shape:
            ids = rng.integers(0, k, (n, *shape[:-1]))
            return np.eye(shape[-1], dtype=np.float32)[ids]
        return rng.integers(0, k, (n, *shape)).astype(np.int32)
    if kind == "concat":
        parts = [sample(p, n, (*shape[:-1], int(p["size"])), rng).astype(np.float32)
                 for p in distribution["parts"]]
        out = np.concatenate(parts, axis=-1)
        if out.shape[1:] != shape:
            raise ValueError(f"concat parts give shape {out.shape[1:]}, expected {shape}")
        return out
    raise ValueError(
        f"unknown distribution type {kind!r}; expected one of normal, uniform, categorical, concat"
    )


def sample_inputs(specs, n, rng, images=None):
    """Draw a batch for an endpoint's inputs.

    Args:
        specs: the endpoint's `TensorSpec`s.
        n: batch size.
        rng: a `numpy.random.Generator`.
        images: array of real inputs for `image`-role inputs (rows are drawn
            from it), or None (uniform noise in the input's value range).

    Returns:
        dict name -> numpy array with the spec's dtype.
    """
    batch = {}
    for spec in specs:
        if spec.role == "image":
            if images is not None:
                images = np.asarray(images, np.float32)
                rows = rng.choice(len(images), n, replace=len(images) < n)
                value = images[rows]
            else:
                low, high = (spec.info or {}).get("value_range", (-1.0, 1.0))
                value = rng.uniform(low, high, (n, *spec.shape))
        else:
            value = sample(spec_distribution(spec), n, spec.shape, rng)
        batch[spec.name] = np.asarray(value).astype(spec.dtype)
    return batch
