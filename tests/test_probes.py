"""Linear probes on frozen features."""

import numpy as np

from kgen.probes import encode_arrays, linear_probe


def test_linear_probe_separable_vs_random_features():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    informative = np.eye(3)[y] * 3 + rng.normal(scale=0.3, size=(300, 3))
    noise = rng.normal(size=(300, 3))
    assert linear_probe(informative[:200], y[:200], informative[200:], y[200:]) > 0.97
    assert linear_probe(noise[:200], y[:200], noise[200:], y[200:]) < 0.55


def test_encode_arrays_batches_and_flattens():
    x = np.arange(10 * 4, dtype="float32").reshape(10, 2, 2)
    calls = []

    def encode(batch):
        calls.append(len(batch))
        return batch * 2

    feats = encode_arrays(encode, x, batch_size=4)
    assert calls == [4, 4, 2]
    np.testing.assert_array_equal(feats, x.reshape(10, 4) * 2)
