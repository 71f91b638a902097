"""Boltzmann models under MirroredStrategy on 2 logical CPUs: one step moves every weight as one device does.

CD/PCD statistics average over the GLOBAL batch: the surrogate loss's share
per replica (`apply_update`), the sparsity penalty's global mean activation
(all-reduced), and every Gibbs noise drawn for the global batch and sliced
per replica; persistent chains are advanced per slice and gathered, so both
replicas hold the chains one device would.
"""

import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json
    import numpy as np, tensorflow as tf
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from kgen import distribute
    from kgen.models.boltzmann import RBM, DBN

    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(16, 4, 4, 1)) > 0.5).astype("float32")
    mirrored = distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])
    CASES = {
        "cd2_sparse_decay": dict(k=2, weight_decay=0.01, sparsity_target=0.1, sparsity_cost=0.5),
        "pcd1": dict(persistent=True, num_chains=8),
        "gaussian_learned_sigma": dict(visible="gaussian", learn_sigma=True, k=1),
        "dbn": None,
    }

    def build(kw):
        keras.utils.set_random_seed(0)
        if kw is None:
            m = DBN([RBM((4, 4, 1), 6, seed=3), RBM((6,), 5, seed=4)], seed=5)
        else:
            m = RBM((4, 4, 1), 6, seed=3, init_std=0.3, **kw)
        m.compile(optimizer=keras.optimizers.SGD(0.5, momentum=0.5))
        return m, tf.data.Dataset.from_tensor_slices(x).batch(8)

    out = {}
    for case, kw in CASES.items():
        m, ds = build(kw)
        init = m.get_weights()
        m.fit(ds, epochs=1, verbose=0, shuffle=False)
        single = [v.numpy() for v in m.weights]
        with mirrored.scope():
            m, ds = build(kw)
        m.set_weights(init)
        start = [v.numpy() for v in m.trainable_variables]
        hist = m.fit(ds, epochs=1, verbose=0, shuffle=False)
        after = [v.numpy() for v in m.weights]
        names = [v.path for v in m.weights]
        replicas_equal = all(np.allclose(*[np.asarray(r) for r in v._value.values])
                             for v in m.weights if hasattr(getattr(v, "_value", None), "values"))
        out[case] = {
            "err": {n: float(np.abs(a - b).max()) for n, a, b in zip(names, single, after)},
            "moved": min(float(np.abs(a - b.numpy()).max()) for a, b in zip(start, m.trainable_variables)),
            "replicas_equal": bool(replicas_equal),
            "finite": bool(all(np.all(np.isfinite(v)) for v in hist.history.values())),
        }
    print("RESULT" + json.dumps(out))
""")


@pytest.mark.slow
def test_two_replicas_equal_one_device(result_script):
    out = result_script(SCRIPT)
    for case, r in out.items():
        assert r["finite"] and r["replicas_equal"], (case, r)
        assert r["moved"] > 1e-4, f"{case}: a weight did not move ({r})"
        worst = max(r["err"].values())
        assert worst < 1e-5, f"{case}: 2 replicas differ from one device: {r['err']}"
