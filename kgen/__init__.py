"""kgen: deep unsupervised and generative models for Keras 3.

`import kgen` registers every kgen class with Keras (`package="kgen"`), so
`keras.saving.load_model` loads any kgen model in a fresh process, and every
model builder with `kgen.zoo`.
"""

import os

# TensorFlow prints its absl/oneDNN banner at import unless told otherwise;
# users who want it set TF_CPP_MIN_LOG_LEVEL themselves.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

from kgen import distribute, errors, files, images, priors, zoo  # noqa: E402
from kgen import layers, losses, networks  # noqa: E402
from kgen import models  # noqa: E402
from kgen import callbacks, checkpoints, data, export, features, latent, metrics, runs  # noqa: E402
from kgen.training import train  # noqa: E402

__all__ = ["callbacks", "checkpoints", "data", "distribute", "errors", "export", "features", "files", "images",
           "latent", "layers", "losses", "metrics", "models", "networks", "priors", "runs", "train", "zoo"]
