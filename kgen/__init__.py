"""kgen: deep unsupervised and generative models for Keras 3.

`import kgen` registers every kgen class with Keras (`package="kgen"`), so
`keras.saving.load_model` loads any kgen model in a fresh process, and every
model builder with `kgen.zoo`.
"""

import os
import sys

# TensorFlow reads its log level once, at import: set it first. The `kgen`
# command also hides grappler's harmless "remapper failed" ERROR lines
# (level 3; Python exceptions still carry every real failure).
_CLI = os.path.basename(sys.argv[0]) == "kgen" or "kgen.cli" in getattr(sys, "orig_argv", ())
_DEBUG = os.environ.get("KGEN_DEBUG", "") not in ("", "0") or (_CLI and "--debug" in sys.argv)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3" if _CLI and not _DEBUG else "2")

from kgen import _quiet  # noqa: E402

if not _DEBUG:
    _quiet.import_tensorflow_quietly()

__version__ = "0.1.0"

from kgen import distribute, errors, files, images, priors, zoo  # noqa: E402
from kgen import layers, losses, networks  # noqa: E402
from kgen import models  # noqa: E402
from kgen import callbacks, checkpoints, data, export, features, latent, metrics, runs  # noqa: E402
from kgen.training import train  # noqa: E402

__all__ = ["callbacks", "checkpoints", "data", "distribute", "errors", "export", "features", "files", "images",
           "latent", "layers", "losses", "metrics", "models", "networks", "priors", "runs", "train", "zoo"]
