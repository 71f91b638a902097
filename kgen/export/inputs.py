"""Draw endpoint inputs from their recorded distributions (numpy only).

Distribution records (in `TensorSpec.info["distribution"]`, or the model's
latent prior), one sampler each in `SAMPLERS` (add one with `register_sampler`):

- `{"type": "normal", "loc", "scale"}`, `{"type": "uniform", "low", "high"}`;
- `{"type": "categorical", "num_classes", "one_hot": bool}` (one-hot over the
  last axis unless `one_hot` is false);
- `{"type": "one_hot_categorical", "num_variables", "num_categories"}`
  (flattened one-hot variables, Gumbel-softmax VAE);
- `{"type": "infogan", "noise_dim", "categorical_dims", "continuous_dim"}`
  ([normal noise, one-hot codes, uniform(-1, 1) codes]);
- `{"type": "concat", "parts": [{..., "size": k}, ...]}`.

Label inputs are drawn uniformly from `[0, num_classes)`. A latent without a
samplable prior (a plain autoencoder's `{"type": "code"}`, a VQ-VAE's
codebook vectors, or an unknown type) is drawn from N(0, 1) as a stand-in
(`is_stand_in`), and the export report says so.
"""

import numpy as np

DEFAULT_DISTRIBUTION = {"type": "normal", "loc": 0.0, "scale": 1.0}
SAMPLERS = {}


def register_sampler(kind):
    """Register `fn(distribution, n, shape, rng) -> array` for distribution type `kind`."""

    def decorator(fn):
        SAMPLERS[kind] = fn
        return fn

    return decorator


def _one_hot(ids, k):
    return np.eye(k, dtype=np.float32)[ids]


@register_sampler("normal")
def _normal(d, n, shape, rng):
    return (float(d.get("loc", 0.0)) + float(d.get("scale", 1.0))
            * rng.standard_normal((n, *shape))).astype(np.float32)


@register_sampler("uniform")
def _uniform(d, n, shape, rng):
    return rng.uniform(float(d.get("low", -1.0)), float(d.get("high", 1.0)),
                       (n, *shape)).astype(np.float32)


@register_sampler("categorical")
def _categorical(d, n, shape, rng):
    k = int(d.get("num_classes", d.get("num_categories", 0)))
    if d.get("one_hot", True) and shape:
        return _one_hot(rng.integers(0, k, (n, *shape[:-1])), shape[-1])
    return rng.integers(0, k, (n, *shape)).astype(np.int32)


@register_sampler("one_hot_categorical")
def _one_hot_categorical(d, n, shape, rng):
    v, k = int(d["num_variables"]), int(d["num_categories"])
    return _one_hot(rng.integers(0, k, (n, v)), k).reshape((n, *shape))


@register_sampler("infogan")
def _infogan(d, n, shape, rng):
    parts = [rng.standard_normal((n, int(d["noise_dim"]))).astype(np.float32)]
    parts += [_one_hot(rng.integers(0, int(k), n), int(k)) for k in d.get("categorical_dims", [])]
    parts.append(rng.uniform(-1.0, 1.0, (n, int(d.get("continuous_dim", 0)))).astype(np.float32))
    return np.concatenate(parts, axis=-1).reshape((n, *shape))


@register_sampler("concat")
def _concat(d, n, shape, rng):
    parts = [sample(p, n, (*shape[:-1], int(p["size"])), rng).astype(np.float32)
             for p in d["parts"]]
    return np.concatenate(parts, axis=-1)


def is_stand_in(distribution):
    """Whether `distribution` has no sampler, so N(0, 1) stands in for it."""
    return distribution.get("type", "normal") not in SAMPLERS


def spec_distribution(spec):
    """The distribution record of a latent/code/label input spec."""
    info = spec.info or {}
    if spec.role == "label":
        return {"type": "categorical", "num_classes": int(info["num_classes"]), "one_hot": False}
    return info.get("distribution") or DEFAULT_DISTRIBUTION


def sample(distribution, n, shape, rng):
    """Draw `n` values of event `shape` from a distribution record.

    Args:
        distribution: a record (see module docstring).
        n: batch size.
        shape: event shape (without the batch axis).
        rng: a `numpy.random.Generator`.

    Returns:
        float32 array `(n, *shape)` (int32 for non-one-hot categorical).

    Example:
        >>> sample({"type": "uniform", "low": 0, "high": 1}, 4, (2,), np.random.default_rng(0)).shape
        (4, 2)
    """
    shape = tuple(int(s) for s in shape)
    sampler = SAMPLERS.get(distribution.get("type", "normal"), SAMPLERS["normal"])
    out = sampler(distribution if not is_stand_in(distribution) else DEFAULT_DISTRIBUTION,
                  n, shape, rng)
    if out.shape[1:] != shape:
        raise ValueError(f"distribution {distribution} gives samples of shape {out.shape[1:]}, "
                         f"but the input has shape {shape}")
    return out


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
                low, high = (spec.info or {}).get("value_range") or (-1.0, 1.0)
                value = rng.uniform(low, high, (n, *spec.shape))
        else:
            value = sample(spec_distribution(spec), n, spec.shape, rng)
        batch[spec.name] = np.asarray(value).astype(spec.dtype)
    return batch
