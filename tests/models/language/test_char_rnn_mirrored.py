"""The char-RNN under MirroredStrategy on 2 logical CPUs moves every weight as one device does.

One subprocess (logical devices are fixed when TF starts). Cases: LSTM and
GRU on fixed windows with dropout (the masks are drawn for the global batch
from the model's SeedGenerator and sliced per replica), and a stateful LSTM
on stream batches, where each replica carries the states of its own rows
into the next step. Two SGD steps from the same weights on the same global
batches must land on the same weights (and, stateful, the same carried
states) as on one device, up to float summation order.
"""

import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json
    import numpy as np, tensorflow as tf
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from kgen import distribute, zoo
    from kgen.models.language import stream_dataset, window_dataset

    rng = np.random.default_rng(0)
    stream = rng.integers(0, 20, 400).astype("int32")
    windows = rng.integers(0, 20, (16, 9)).astype("int32")
    CASES = {
        "lstm_windows_dropout": (dict(cell="lstm", num_layers=2, dropout=0.3), False),
        "gru_windows_dropout": (dict(cell="gru", num_layers=2, dropout=0.3), False),
        "lstm_stateful": (dict(cell="lstm", num_layers=2), True),
    }
    mirrored = distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])

    def build(kwargs, stateful):
        keras.utils.set_random_seed(0)
        extra = dict(stateful=True, batch_size=8) if stateful else {}
        model = zoo.build("char_rnn", (9,), tiny=True, seed=3, vocabulary="abcdefghijklmnopqrst",
                          **kwargs, **extra)
        model.compile(optimizer=keras.optimizers.SGD(0.5))
        ds = stream_dataset(stream, 8, 6).take(2) if stateful else window_dataset(windows, 8, shuffle=False)
        return model, ds  # 2 steps of global batch 8 (4 rows per replica)

    def carried(model, strategy=None):
        if not model.stateful:
            return None
        var = model._carry.state
        parts = strategy.experimental_local_results(var) if strategy else [var]
        return np.concatenate([np.asarray(p) for p in parts])

    out = {}
    for case, (kwargs, stateful) in CASES.items():
        model, ds = build(kwargs, stateful)
        init = model.get_weights()
        model.fit(ds, epochs=1, verbose=0, shuffle=False)
        single = [v.numpy() for v in model.trainable_variables]
        single_state = carried(model)
        with mirrored.scope():
            model, ds = build(kwargs, stateful)
        model.set_weights(init)
        start = [v.numpy() for v in model.trainable_variables]
        hist = model.fit(ds, epochs=1, verbose=0, shuffle=False)
        after = [v.numpy() for v in model.trainable_variables]
        state = carried(model, mirrored)
        out[case] = {
            "err": max(float(np.abs(a - b).max()) for a, b in zip(single, after)),
            "moved": min(float(np.abs(a - b).max()) for a, b in zip(start, after)),
            "state_err": None if state is None else float(np.abs(state - single_state).max()),
            "state_norm": None if state is None else float(np.abs(state).max()),
            "finite": bool(all(np.all(np.isfinite(v)) for v in hist.history.values())),
            "metrics": sorted(hist.history),
        }
    print("RESULT" + json.dumps(out))
""")


@pytest.fixture(scope="module")
def results(result_script):
    return result_script(SCRIPT, timeout=600, quiet_cpu=True, stderr_tail=4000)


@pytest.mark.slow
def test_two_replicas_move_every_weight_as_one_device(results):
    assert set(results) == {"lstm_windows_dropout", "gru_windows_dropout", "lstm_stateful"}
    for case, r in results.items():
        assert r["finite"], (case, r)
        assert r["metrics"] == ["accuracy", "bits_per_char", "loss", "nats_per_char"], (case, r)
        # Every weight moved (the smallest max-change over the variables), and by as much as on one device.
        assert r["moved"] > 1e-5, f"{case}: a weight did not move ({r})"
        assert r["err"] < 1e-5, f"{case}: 2 replicas differ from one device by {r['err']:.2e}"
    stateful = results["lstm_stateful"]
    # Each replica carried its own rows' states: together they are one device's states.
    assert stateful["state_norm"] > 1e-3 and stateful["state_err"] < 1e-5, stateful
