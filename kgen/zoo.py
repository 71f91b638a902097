"""Named model builders, so the CLI, recipes and contract tests build any model by name.

Each model file registers its own builder with `@register_builder` when its
family is imported (`import kgen` imports them all); nothing here lists
models, and this module imports none.
"""

import dataclasses

_BUILDERS = {}


@dataclasses.dataclass
class Builder:
    """A registered builder.

    Attributes:
        name: the name `kgen train --model NAME` takes.
        fn: `fn(input_shape, num_classes=None, tiny=False, **kwargs) -> compiled model`.
            `tiny=True` gives a few-thousand-parameter version for tests.
        data: the kind of data it trains on: "images", "points" (2-D
            mixtures) or "sequences".
        labels: whether batches must carry labels.
        scale: pixel scaling the model expects ("tanh" -> [-1, 1], "sigmoid"
            -> [0, 1]).
        description: one line on what the model is (default: the first line
            of the builder's docstring).
        paper: the paper it reproduces, e.g. "Radford et al. 2015,
            https://arxiv.org/abs/1511.06434" ("" when none).
    """

    name: str
    fn: object
    data: str = "images"
    labels: bool = False
    scale: str = "tanh"
    description: str = ""
    paper: str = ""

    def __post_init__(self):
        if not self.description:
            doc = (getattr(self.fn, "__doc__", None) or "").strip()
            self.description = doc.splitlines()[0] if doc else self.name


def register_builder(name, data="images", labels=False, scale="tanh", description="", paper=""):
    """Register a model builder under `name`.

    Args:
        name: registry name.
        data: "images", "points" or "sequences".
        labels: whether the model trains on (x, labels) batches.
        scale: "tanh" or "sigmoid" input scaling.
        description: one-line description (default: the docstring's first line).
        paper: the paper the model follows.

    Returns:
        A decorator returning the function unchanged.

    Example:
        >>> @register_builder("dcgan")
        ... def build_dcgan(input_shape, num_classes=None, tiny=False, **kw): ...
    """

    def decorator(fn):
        if name in _BUILDERS and _BUILDERS[name].fn is not fn:
            raise ValueError(f"a builder named {name!r} is already registered")
        _BUILDERS[name] = Builder(name, fn, data, labels, scale, description, paper)
        return fn

    return decorator


def get(name):
    """Return the `Builder` registered under `name`."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}. Known models: {names()}")
    return _BUILDERS[name]


def build(name, input_shape, **kwargs):
    """Build and compile a registered model.

    Example:
        >>> gan = build("dcgan", (16, 16, 1), latent_dim=64)
    """
    return get(name).fn(tuple(input_shape), **kwargs)


def names():
    """Names of every registered builder (`import kgen` registers every model family's)."""
    return sorted(_BUILDERS)
