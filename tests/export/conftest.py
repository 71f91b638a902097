"""Shared bundles for the export tests: each is exported once per session."""

import importlib.util
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

from kgen import priors
from kgen.models import Endpoint, GenerativeModel, TensorSpec

ALL = ("float32", "dynamic", "float16", "int8", "int8_io")


class TinyAE(GenerativeModel):
    """A hand-written encoder/decoder model for the encode/decode roles.

    Images in [0, 1] (sigmoid), an encoder with batch norm and dropout returning
    a mean and a positive scale, a decoder with nearest upsampling.
    """

    def __init__(self, latent_dim=4, **kwargs):
        super().__init__(prior=priors.Normal((latent_dim,)), **kwargs)
        x = keras.Input((8, 8, 1), name="images")
        h = layers.Conv2D(8, 3, strides=2, padding="same")(x)
        h = layers.BatchNormalization()(h)
        h = layers.ReLU()(h)
        h = layers.Dropout(0.5)(h)
        h = layers.Flatten()(h)
        mean = layers.Dense(latent_dim, name="mean")(h)
        scale = layers.Dense(latent_dim, activation="softplus", name="scale")(h)
        self.encoder = keras.Model(x, [mean, scale], name="encoder")
        z = keras.Input((latent_dim,), name="latent")
        h = layers.Dense(4 * 4 * 8)(z)
        h = layers.Reshape((4, 4, 8))(h)
        h = layers.BatchNormalization()(h)
        h = layers.ReLU()(h)
        h = layers.UpSampling2D(2)(h)
        out = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(h)
        self.decoder = keras.Model(z, out, name="decoder")
        self.built = True

    def decode_latent(self, z, labels=None, training=False):
        return self.decoder(z, training=training)

    def export_endpoints(self):
        images = TensorSpec("images", (8, 8, 1), "float32", "image", {"value_range": [0.0, 1.0]})
        return [
            Endpoint("decode", self.decoder, self.prior_specs(), [images]),
            Endpoint("encode", self.encoder, [images],
                     [TensorSpec("mean", (self.latent_dim,), "float32", "code"),
                      TensorSpec("scale", (self.latent_dim,), "float32", "code")]),
        ]


def perturb_batchnorm(model, seed=0):
    """Give batch-norm layers non-trivial moving statistics (as after training)."""
    rng = np.random.default_rng(seed)
    for layer in model._flatten_layers():
        if isinstance(layer, layers.BatchNormalization):
            mean, var = layer.moving_mean, layer.moving_variance
            mean.assign(rng.normal(0, 0.3, mean.shape).astype("float32"))
            var.assign(rng.uniform(0.5, 2.0, var.shape).astype("float32"))


@pytest.fixture(scope="session")
def cgan():
    from kgen import zoo

    model = zoo.build("dcgan", (16, 16, 1), tiny=True, num_classes=10, upsample="resize", seed=3)
    perturb_batchnorm(model.generator)
    return model


@pytest.fixture(scope="session")
def cgan_bundle(cgan, tmp_path_factory):
    """Conditional resize-upsampling DCGAN, every variant, with latency and grids."""
    from kgen.export import export_model

    path = tmp_path_factory.mktemp("cgan") / "bundle"
    report = export_model(cgan, path, quantize=ALL, calibration_samples=100, parity_samples=16,
                          latency_runs=3, class_names=[f"digit {i}" for i in range(10)])
    return path, report


@pytest.fixture(scope="session")
def ae():
    model = TinyAE(latent_dim=4, seed=0)
    perturb_batchnorm(model.encoder, 1)
    perturb_batchnorm(model.decoder, 2)
    return model


@pytest.fixture(scope="session")
def ae_bundle(ae, tmp_path_factory):
    from kgen.export import export_model

    path = tmp_path_factory.mktemp("ae") / "bundle"
    report = export_model(ae, path, quantize=("float32", "int8", "int8_io"),
                          calibration_samples=100, parity_samples=16)
    return path, report


@pytest.fixture(scope="session")
def android():
    """tests/export/test_android.py as a module: the Android/LiteRT stubs, the Kotlin compiler lookup
    and `compile_check`, shared by the tests of every compiled Kotlin class."""
    spec = importlib.util.spec_from_file_location("_kgen_android_test", Path(__file__).parent / "test_android.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
