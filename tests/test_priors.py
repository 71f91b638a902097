"""kgen.priors: graph and numpy draws agree in distribution, records round-trip, tfp equivalents, replica slicing."""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import priors

CASES = {
    "normal": priors.Normal((3,), loc=1.0, scale=2.0),
    "uniform": priors.Uniform((2,), -0.5, 1.5),
    "labels": priors.Categorical(4),
    "index_map": priors.Categorical(5, (2, 3)),
    "one_hot": priors.OneHotCategorical(3, 4),
    "bernoulli": priors.Bernoulli((4,), 0.25),
    "concat": priors.Concatenate([priors.Normal(2), priors.OneHotCategorical(1, 3), priors.Uniform(1)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_graph_and_numpy_draws_have_the_same_moments(name):
    prior = CASES[name]
    graph = np.asarray(prior.sample(20000, keras.random.SeedGenerator(0)), np.float64)
    host = prior.numpy_sample(20000, np.random.default_rng(0)).astype(np.float64)
    assert graph.shape == host.shape == (20000, *prior.event_shape)
    assert graph.dtype == host.dtype or str(np.asarray(prior.sample(2, keras.random.SeedGenerator(0))).dtype) == prior.dtype
    np.testing.assert_allclose(graph.mean(0), host.mean(0), atol=0.06)
    np.testing.assert_allclose(graph.std(0), host.std(0), atol=0.06)


def test_moments_match_the_parameters():
    n = np.random.default_rng(1)
    z = priors.Normal((2,), 1.0, 2.0).numpy_sample(40000, n)
    np.testing.assert_allclose(z.mean(0), 1.0, atol=0.05)
    np.testing.assert_allclose(z.std(0), 2.0, atol=0.05)
    u = priors.Uniform((1,), -0.5, 1.5).numpy_sample(40000, n)
    assert u.min() >= -0.5 and u.max() < 1.5 and abs(u.mean() - 0.5) < 0.02
    b = priors.Bernoulli((1,), 0.25).numpy_sample(40000, n)
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 0.25) < 0.01
    oh = priors.OneHotCategorical(3, 4).numpy_sample(100, n).reshape(100, 3, 4)
    np.testing.assert_array_equal(oh.sum(-1), 1.0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_records_and_configs_round_trip(name):
    prior = CASES[name]
    record = json.loads(json.dumps(prior.metadata()))
    assert priors.get(record) == prior
    assert priors.get(keras.saving.serialize_keras_object(prior)) == prior
    assert type(prior).from_config(prior.get_config()) == prior


@pytest.mark.parametrize("name", ["normal", "uniform", "labels", "one_hot", "bernoulli"])
def test_tfp_distribution_matches_the_samples(name):
    prior = CASES[name]
    dist = prior.distribution()
    x = prior.numpy_sample(16, np.random.default_rng(2))
    if name == "one_hot":
        x = x.reshape(16, prior.num_variables, prior.num_categories)
    logp = np.asarray(dist.log_prob(x))
    assert logp.shape == (16,)
    expected = {
        "normal": lambda v: (-0.5 * ((v - 1.0) / 2.0) ** 2 - np.log(2.0) - 0.5 * np.log(2 * np.pi)).sum(-1),
        "uniform": lambda v: np.full(16, 2 * np.log(1 / 2.0)),
        "labels": lambda v: np.full(16, np.log(1 / 4)),
        "one_hot": lambda v: np.full(16, 3 * np.log(1 / 4)),
        "bernoulli": lambda v: (v * np.log(0.25) + (1 - v) * np.log(0.75)).sum(-1),
    }[name](x)
    np.testing.assert_allclose(logp, expected, rtol=1e-5)


def test_joint_prior_draws_parts_in_order_and_checks_names():
    joint = priors.Joint(latent=priors.Normal(2), labels=priors.Categorical(3))
    a = joint.numpy_sample(5, np.random.default_rng(0))
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(a["latent"], priors.Normal(2).numpy_sample(5, rng))
    np.testing.assert_array_equal(a["labels"], priors.Categorical(3).numpy_sample(5, rng))
    assert joint.names() == ["latent", "labels"] and bool(joint) and not priors.Joint()
    with pytest.raises(KeyError, match="no part 'noise'"):
        joint["noise"]
    split = CASES["concat"].split(tf.constant(CASES["concat"].numpy_sample(4, np.random.default_rng(0))))
    assert [int(s.shape[-1]) for s in split] == [2, 3, 1]


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="expected scale > 0. Received: scale=0"):
        priors.Normal(2, scale=0)
    with pytest.raises(ValueError, match="expected low < high"):
        priors.Uniform(2, 1.0, 1.0)
    with pytest.raises(ValueError, match="num_classes >= 1"):
        priors.Categorical(0)
    with pytest.raises(ValueError, match="flat float priors"):
        priors.Concatenate([priors.Categorical(3)])
    with pytest.raises(ValueError, match="unknown prior type 'gamma'"):
        priors.get({"type": "gamma"})
    with pytest.raises(ValueError, match="n >= 1"):
        priors.Normal(2).numpy_sample(0, np.random.default_rng(0))


SCRIPT = textwrap.dedent("""
    import json
    import tensorflow as tf
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    from kgen import priors
    prior = priors.Concatenate([priors.Normal(2), priors.OneHotCategorical(1, 3)])
    single = np.asarray(prior.sample(8, keras.random.SeedGenerator(4)))
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        gen = keras.random.SeedGenerator(4)
    out = strategy.run(lambda: prior.sample(4, gen))
    parts = [np.asarray(v) for v in strategy.experimental_local_results(out)]
    print("RESULT" + json.dumps({"single": single.tolist(), "replicas": [p.tolist() for p in parts]}))
""")


def test_replicas_draw_slices_of_the_global_batch():
    """N replicas see exactly the noise one device draws for the global batch."""
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    line = [s for s in proc.stdout.splitlines() if s.startswith("RESULT")]
    assert line, proc.stderr[-3000:]
    out = json.loads(line[-1][len("RESULT"):])
    np.testing.assert_allclose(np.concatenate(out["replicas"]), out["single"], atol=1e-7)
