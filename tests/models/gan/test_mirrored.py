"""The GAN family under MirroredStrategy on 2 logical CPUs (one subprocess: devices are fixed at TF start)."""

import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    import kgen
    from kgen.layers import SpectralNormalization
    from kgen.models.gan import WGAN, WGANGP, UnrolledGAN
    from kgen.networks import build_mlp_discriminator, build_mlp_generator
    out = {}
    strategy = kgen.distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])
    x = np.random.default_rng(0).normal(size=(40, 2)).astype("float32")
    keras.utils.set_random_seed(0)
    with strategy.scope():
        sn = keras.Sequential([keras.Input((2,)), SpectralNormalization(keras.layers.Dense(8)),
                               keras.layers.ReLU(), SpectralNormalization(keras.layers.Dense(1))])
        sn.compile(keras.optimizers.Adam(1e-2), "mse")
    u0 = np.asarray(sn.layers[0].u.value).copy()
    sn.fit(x, np.ones((40, 1)), batch_size=8, epochs=2, verbose=0)
    u = sn.layers[0].u
    out["sn_u_changed"] = bool(not np.allclose(np.asarray(u.value), u0))
    replicas = getattr(u._value, "values", [u._value])
    out["sn_u_replicas"] = len(replicas)
    out["sn_u_replicas_equal"] = bool(np.allclose(*[np.asarray(v) for v in replicas]))
    out["sn_finite"] = bool(np.all(np.isfinite(sn.predict(x, verbose=0))))

    def data(batch):
        return tf.data.Dataset.from_tensor_slices(x).repeat().batch(batch, drop_remainder=True)

    with strategy.scope():
        wgan = WGAN(build_mlp_generator(4, 2, (8,)), build_mlp_discriminator(2, (8,)), 4, d_steps=5,
                    clip_value=0.01, seed=0)
        wgan.compile(keras.optimizers.RMSprop(5e-3), keras.optimizers.RMSprop(5e-3))
    h = wgan.fit(data(20), steps_per_epoch=3, epochs=1, verbose=0)
    out["wgan_max_abs_weight"] = max(float(np.abs(np.asarray(w)).max()) for w in wgan.discriminator.weights)
    out["wgan_finite"] = bool(np.isfinite(h.history["d_loss"][-1]))
    with strategy.scope():
        gp = WGANGP(build_mlp_generator(4, 2, (8,)), build_mlp_discriminator(2, (8,)), 4, d_steps=2, seed=0)
        gp.compile(keras.optimizers.Adam(1e-4, 0.0, 0.9), keras.optimizers.Adam(1e-4, 0.0, 0.9))
        un = UnrolledGAN(build_mlp_generator(4, 2, (8,)), build_mlp_discriminator(2, (8,)), 4, unroll_steps=2,
                         seed=0)
        un.compile()
    h = gp.fit(data(8), steps_per_epoch=2, epochs=1, verbose=0)
    out["wgangp_finite"] = bool(all(np.isfinite(v[-1]) for v in h.history.values()))
    g0 = [np.asarray(v.value).copy() for v in un.generator.trainable_variables]
    h = un.fit(data(8), steps_per_epoch=2, epochs=1, verbose=0)
    out["unrolled_finite"] = bool(all(np.isfinite(v[-1]) for v in h.history.values()))
    out["unrolled_g_changed"] = bool(any(not np.allclose(np.asarray(v.value), a)
                                         for v, a in zip(un.generator.trainable_variables, g0)))
    from kgen.models.gan import GAN, ExperienceReplay
    with strategy.scope():
        rg = GAN(build_mlp_generator(4, 2, (8,)), build_mlp_discriminator(2, (8,)), 4,
                 replay=ExperienceReplay(pool_size=64, seed=0), seed=0)
        rg.compile()
    h = rg.fit(data(8), steps_per_epoch=3, epochs=1, verbose=0)
    out["replay_finite"] = bool(all(np.isfinite(v[-1]) for v in h.history.values()))
    out["replay_counts"] = [int(c) for c in rg.replay.count.value.values]
    pools = [np.asarray(p) for p in rg.replay.pool.value.values]
    out["replay_pools_differ"] = bool(not np.allclose(pools[0][:12], pools[1][:12]))
    out["replay_pools_filled"] = bool(all(np.abs(p[:12]).sum() > 0 and np.all(p[12:] == 0) for p in pools))
    print("RESULT" + json.dumps(out))
""")


@pytest.mark.slow
def test_gan_family_under_mirrored_strategy_on_two_cpus(result_script):
    out = result_script(SCRIPT)
    assert out["sn_u_replicas"] == 2, out
    assert out["sn_u_changed"] and out["sn_u_replicas_equal"] and out["sn_finite"], out
    assert out["wgan_max_abs_weight"] <= 0.01 + 1e-7 and out["wgan_finite"], out
    assert out["wgangp_finite"]
    assert out["unrolled_finite"] and out["unrolled_g_changed"]
    # Experience replay: one pool per replica, each holding its own 3 steps x 4 local fakes.
    assert out["replay_finite"] and out["replay_counts"] == [12, 12], out
    assert out["replay_pools_filled"] and out["replay_pools_differ"], out


EQUALITY_SCRIPT = textwrap.dedent("""
    import json
    import tensorflow as tf
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras, numpy as np
    from kgen import distribute
    from kgen.models.gan import (GAN, ConditionalGAN, ExperienceReplay, FeatureMatchingGAN, HistoricalAveraging,
                                 InfoGAN, UnrolledGAN, WGAN, WGANGP, build_q_network)
    from kgen.networks import build_mlp_discriminator as D, build_mlp_generator as G

    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 2)).astype("float32")
    y = (np.arange(16) % 3).astype("int32")
    mirrored = distribute.get_strategy("mirrored", devices=["/cpu:0", "/cpu:1"])

    def make(case):
        keras.utils.set_random_seed(0)
        if case == "gan":
            m = GAN(G(4, 2, (8,)), D(2, (8,)), 4, label_smoothing=0.1, seed=3)
        elif case == "gan_historical_averaging":
            m = GAN(G(4, 2, (8,)), D(2, (8,)), 4, penalties=[HistoricalAveraging(0.5)], seed=3)
        elif case == "cgan_projection":
            m = ConditionalGAN(G(4, 2, (8,), num_classes=3), D(2, (8,), num_classes=3, conditioning="projection"),
                               4, num_classes=3, seed=3)
        elif case == "wgan":
            m = WGAN(G(4, 2, (8,)), D(2, (8,)), 4, d_steps=1, clip_value=0.05, seed=3)
        elif case == "wgan_gp":
            m = WGANGP(G(4, 2, (8,)), D(2, (8,)), 4, d_steps=1, seed=3)
        elif case == "infogan":
            m = InfoGAN(G(8, 2, (8,)), D(2, (8,), return_features=True), build_q_network(8, (3,), 1, hidden=4),
                        4, (3,), 1, seed=3)
        elif case == "feature_matching":
            m = FeatureMatchingGAN(G(4, 2, (8,)), D(2, (8,), return_features=True), 4, seed=3)
        elif case == "unrolled":
            m = UnrolledGAN(G(4, 2, (8,)), D(2, (8,)), 4, unroll_steps=3, seed=3)
        m.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
        return m, tf.data.Dataset.from_tensor_slices((x, y) if case.startswith("cgan") else x).batch(8)

    out = {}
    for case in ["gan", "gan_historical_averaging", "cgan_projection", "wgan", "wgan_gp", "infogan",
                 "feature_matching", "unrolled"]:
        m, ds = make(case)
        init = m.get_weights()
        m.fit(ds, epochs=1, verbose=0, shuffle=False)
        single = [v.numpy() for v in m.trainable_variables]
        with mirrored.scope():
            m, ds = make(case)
        m.set_weights(init)
        start = [v.numpy() for v in m.trainable_variables]
        m.fit(ds, epochs=1, verbose=0, shuffle=False)
        after = [v.numpy() for v in m.trainable_variables]
        out[case] = {"err": max(float(np.abs(a - b).max()) for a, b in zip(single, after)),
                     "moved": max(float(np.abs(a - b).max()) for a, b in zip(start, after))}
    print("RESULT" + json.dumps(out))
""")


@pytest.mark.slow
def test_gan_family_steps_on_two_replicas_equal_one_device(result_script):
    """Two SGD steps on 2 replicas land where two steps on one device do (same weights, batches, noise).

    Holds because per-example losses are scaled to the global batch, every
    noise (latents, codes, the gradient penalty's alphas) is drawn for the
    global batch and sliced per replica, feature matching all-reduces its
    mean features, and the unrolled GAN looks ahead along the all-reduced
    discriminator gradient. (d_steps=1: with more critic steps each replica splits
    its own shard, so critic batches pair up differently than on one device.)
    """
    out = result_script(EQUALITY_SCRIPT)
    for case, r in out.items():
        assert r["moved"] > 1e-3, f"{case}: the steps did not move the weights ({r})"
        assert r["err"] < 1e-5, f"{case}: 2 replicas differ from one device by {r['err']:.2e}"
