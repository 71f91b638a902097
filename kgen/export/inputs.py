"""Draw endpoint inputs from their recorded priors (numpy only), for calibration and parity checks.

An input's distribution record is the `metadata()` of the model's prior part
(`kgen.priors`: normal, uniform, categorical, one_hot_categorical, bernoulli,
concat), stored in `TensorSpec.info["distribution"]` and in the bundle's
metadata.json; `kgen.priors.get(record).numpy_sample` draws it exactly as
the edge runner does. An input without a prior (a deterministic
autoencoder's code) is drawn from N(0, 1) as a stand-in (`is_stand_in`), and
the export report says so.
"""

import numpy as np

from kgen import priors

DEFAULT_DISTRIBUTION = {"type": "normal", "loc": 0.0, "scale": 1.0}


def is_stand_in(distribution):
    """Whether `distribution` has no prior to sample, so N(0, 1) stands in for it."""
    try:
        priors.get(distribution)
    except (ValueError, KeyError, TypeError):
        return True
    return False


def spec_distribution(spec):
    """The distribution record of a latent/code/label input spec."""
    info = spec.info or {}
    if spec.role == "label" and "distribution" not in info:
        return {"type": "categorical", "num_classes": int(info["num_classes"]), "shape": []}
    return info.get("distribution") or {"type": "none"}


def sample(distribution, n, shape, rng):
    """Draw `n` values of event `shape` from a distribution record.

    Args:
        distribution: a prior's metadata record.
        n: batch size.
        shape: event shape (without the batch axis).
        rng: a `numpy.random.Generator`.

    Returns:
        An array `(n, *shape)`.

    Example:
        >>> sample({"type": "uniform", "shape": [2], "low": 0, "high": 1}, 4, (2,), np.random.default_rng(0)).shape
        (4, 2)
    """
    shape = tuple(int(s) for s in shape)
    if is_stand_in(distribution):
        prior = priors.Normal(shape) if shape else priors.Normal((1,))
    else:
        prior = priors.get({**distribution, "shape": list(distribution.get("shape", shape))})
    out = prior.numpy_sample(n, rng).reshape((n, *shape))
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
