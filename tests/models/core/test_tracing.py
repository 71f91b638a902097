"""The train step is traced once: optimizer slots exist before `fit` or `kgen.train` traces it."""

import numpy as np
import pytest
import tensorflow as tf

import kgen
from kgen import zoo


def _count_traces(model):
    count = [0]
    step = model.train_step

    def counted(data):
        count[0] += 1  # Python side effect: runs once per trace, not per step
        return step(data)

    model.train_step = counted
    return count


@pytest.mark.parametrize("loop", ["fit", "kgen.train loop"])
def test_a_single_objective_step_is_traced_once(loop):
    # Keras defers building the optimizer to the first trace when no strategy is set, and a
    # tf.function that creates variables on its first call is traced a second time.
    model = zoo.build("vae", (8, 8, 1), tiny=True, seed=0)
    assert not model.optimizer.built
    count = _count_traces(model)
    x = np.random.default_rng(0).uniform(0, 1, (32, 8, 8, 1)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices(x).batch(8, drop_remainder=True)
    if loop == "fit":
        model.fit(data, epochs=2, verbose=0)
    else:
        kgen.train(model, data, epochs=2, verbose=0, force_loop=True)  # the strategy.run loop
    assert model.optimizer.built and int(model.optimizer.iterations) == 8
    assert count[0] == 1, f"the train step was traced {count[0]} times"
