"""kgen: deep unsupervised and generative models for Keras 3.

Submodules load on first use (`kgen.data`, `kgen.models`, `kgen.losses`,
`kgen.metrics`, `kgen.export`, ...), so `import kgen` stays cheap.
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "callbacks", "checkpoints", "data", "distribute", "errors", "export", "files", "layers",
    "losses", "metrics", "images", "models", "networks", "runs", "training", "zoo",
)


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f"kgen.{name}")
        globals()[name] = module
        return module
    if name == "train":
        from kgen.training import train

        return train
    raise AttributeError(f"module 'kgen' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES) + ["train"])
