"""Evaluator on real digits, and the evaluation callback inside `fit` and under a strategy."""

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from kgen import data, metrics, zoo

REPO = Path(__file__).resolve().parents[2]
FAST = {"kid": {"num_subsets": 5}}


@pytest.fixture(scope="module")
def digits():
    return data.load_arrays("digits", image_size=16, scale="tanh", labels=True)


def test_evaluator_separates_real_halves_from_noise(digits):
    x = digits.x
    ev = metrics.Evaluator(x[::2], extractor="digits", batch_size=200,
                           metric_options={"kid": {"num_subsets": 10}})
    real = ev.evaluate(samples=x[1::2])
    noise = ev.evaluate(samples=np.random.default_rng(0).uniform(-1, 1, x[1::2].shape))
    assert real["fid"] < 0.05 * noise["fid"]
    assert abs(real["kid"]) < 0.05 * noise["kid"]
    assert real["precision"] > 0.7 and real["recall"] > 0.7
    # Noise lands in few real k-NN balls (large balls of real outliers catch some)
    # and covers none of the real digits.
    assert noise["precision"] < real["precision"] - 0.4 and noise["recall"] < 0.05
    # Real digits: confidently classified, all classes present.
    assert real["inception_score"] > 8.0
    assert real["class_coverage"] == 1.0
    # One repeated digit: one class, score ~1.
    same = ev.evaluate(samples=np.repeat(x[:1], 200, axis=0))
    assert same["class_coverage"] == pytest.approx(0.1)
    assert same["inception_score"] == pytest.approx(1.0, abs=1e-3)
    assert same["recall"] < 0.05


def test_evaluator_on_raw_points_and_metric_checks():
    rng = np.random.default_rng(1)
    ev = metrics.Evaluator(rng.normal(size=(500, 2)), extractor=None, metrics=("fid", "kid"))
    out = ev.evaluate(samples=rng.normal(size=(500, 2)) + 3.0)
    assert out["fid"] == pytest.approx(18.0, rel=0.2)
    with pytest.raises(ValueError, match="class probabilities"):
        metrics.Evaluator(rng.normal(size=(10, 2)), extractor=None, metrics=("inception_score",))


def test_callback_logs_metrics_every_n_epochs_inside_fit(digits):
    gan = zoo.build("dcgan", (16, 16, 1), tiny=True, seed=0)
    ds = data.load("digits", batch_size=32, image_size=16, seed=0).take(2)
    cb = metrics.EvaluationCallback(digits.x[:300], extractor="digits", every=2, n_samples=128,
                                    batch_size=64, metric_options=FAST)
    history = gan.fit(ds, epochs=4, callbacks=[cb], verbose=0)
    for key in ("fid", "kid", "kid_std", "precision", "recall", "inception_score",
                "class_coverage"):
        assert len(history.history[key]) == 2, key
        assert all(math.isfinite(v) for v in history.history[key])
    assert [r["epoch"] for r in cb.records] == [2, 4]
    assert len(history.history["d_loss"]) == 4
    # An untrained generator is far from the real digits.
    assert history.history["fid"][-1] > 1.0


MIRRORED_SCRIPT = textwrap.dedent("""
    import json, math, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import kgen.distribute
    from kgen import data, metrics, zoo
    strategy = kgen.distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])
    real = data.load_arrays("digits", image_size=16).x[:200]
    with strategy.scope():
        gan = zoo.build("dcgan", (16, 16, 1), tiny=True, seed=0)
    ds = data.load("digits", batch_size=32, image_size=16, seed=0).take(2)
    cb = metrics.EvaluationCallback(real, extractor="digits", every=1, n_samples=96, batch_size=48,
                                    metric_options={"kid": {"num_subsets": 5}})
    hist = gan.fit(ds, epochs=2, callbacks=[cb], verbose=0)
    print("RESULT " + json.dumps({"replicas": strategy.num_replicas_in_sync,
                                  "history": hist.history}))
""")


@pytest.mark.slow
def test_callback_under_mirrored_strategy_with_two_cpu_replicas():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT], capture_output=True, text=True,
                          env=env, timeout=300, cwd=REPO)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT "):])
    assert result["replicas"] == 2
    history = result["history"]
    for key in ("fid", "kid", "precision", "recall", "inception_score", "class_coverage"):
        assert len(history[key]) == 2 and all(math.isfinite(v) for v in history[key]), key


def test_evaluator_takes_datasets_of_labelled_batches():
    import tensorflow as tf

    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(300, 3)), rng.normal(size=(200, 3)) + 1.0
    labels = np.zeros(300, np.int32)
    ds = tf.data.Dataset.from_tensor_slices((real.astype("float32"), labels)).batch(64)
    a = metrics.Evaluator(ds, extractor=None, metrics=("fid",)).evaluate(samples=fake)
    b = metrics.Evaluator(real, extractor=None, metrics=("fid",), n_real=300).evaluate(
        samples=tf.data.Dataset.from_tensor_slices(fake).batch(50))
    assert a["fid"] == pytest.approx(b["fid"], rel=1e-5)
    capped = metrics.Evaluator(ds, extractor=None, metrics=("fid",), n_real=100)
    assert capped.n_real == 100


def test_iwae_metric_on_a_kgen_vae(digits):
    vae = zoo.build("vae", (16, 16, 1), tiny=True, seed=0)
    x = (digits.x[:40] > 0).astype("float32")  # binary pixels for the Bernoulli likelihood
    ll = metrics.LogLikelihood(vae, num_samples=4, batch_size=16)
    ll.update_state(real=x)
    value = ll.result()["log_likelihood"]
    assert value < 0
    direct = np.asarray(vae.log_likelihood(x, 4)).mean()
    # Different importance samples: close, not equal.
    assert value == pytest.approx(direct, rel=0.1)
