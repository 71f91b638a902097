"""MLP networks under mixed precision: a linear-output generator keeps its last hidden layer exact."""

import keras
import numpy as np
import pytest

from kgen.networks import build_mlp_generator


@pytest.fixture
def bf16():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("norm", [None, "batch", "layer"])
def test_points_generator_computes_its_last_hidden_layer_in_float32(bf16, norm):
    g = build_mlp_generator(4, 2, (16, 16), norm=norm)
    policies = {layer.name: layer.dtype_policy.name for layer in g.layers}
    assert policies["dense0"] == "mixed_bfloat16"
    assert {policies[n] for n in policies if n.endswith("1") or n == "output"} == {"float32"}
    # The output then equals a float32 evaluation of the last layers on the bf16 features.
    z = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    h = keras.Model(g.input, g.get_layer("act0").output)(z)
    rest = keras.Sequential([g.get_layer(n) for n in ("dense1", "norm1", "act1", "output") if n in policies])
    np.testing.assert_allclose(np.asarray(g(z)), np.asarray(rest(keras.ops.cast(h, "float32"))), rtol=1e-6, atol=1e-6)


def test_bounded_output_generator_stays_mixed(bf16):
    g = build_mlp_generator(4, 2, (16, 16), output_activation="tanh")
    assert g.get_layer("dense1").dtype_policy.name == "mixed_bfloat16"
    assert g.get_layer("output").dtype_policy.name == "float32"
