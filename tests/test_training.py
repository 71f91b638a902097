"""kgen.train: fit and the strategy loop agree; interrupted runs resume exactly where they stopped."""

import json
import os
import signal

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import data as kgen_data
from kgen import runs, training, zoo
from kgen.errors import TrainingInterrupted


def _data(n=32, seed=0):
    x = np.random.default_rng(seed).uniform(-1, 1, (n, 8, 8, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(8, drop_remainder=True)


def _gan(**kw):
    keras.utils.set_random_seed(0)
    return zoo.build("dcgan", (8, 8, 1), tiny=True, seed=1, **kw)


def _weights(model):
    return [v.numpy() for v in model.weights]


def test_strategy_loop_matches_fit():
    """The loop used under MultiWorkerMirroredStrategy trains exactly like fit."""
    a, b = _gan(), _gan()
    ha = training.train(a, _data(), epochs=2, verbose=0)
    hb = training.train(b, _data(), epochs=2, verbose=0, force_loop=True)
    for wa, wb in zip(_weights(a), _weights(b)):
        np.testing.assert_allclose(wa, wb, atol=1e-6)
    assert len(ha.history["d_loss"]) == len(hb.history["d_loss"]) == 2
    np.testing.assert_allclose(ha.history["g_loss"], hb.history["g_loss"], rtol=1e-5)


def test_xla_train_step_trains():
    """jit_compile=True compiles the GAN step with XLA (auto-off on CPU otherwise).

    Weights are not compared with the non-XLA run: XLA's stateless RNG may
    pick another algorithm, so the noise differs.
    """
    b = _gan(jit_compile=True)
    assert b.jit_compile
    before = _weights(b)
    history = training.train(b, _data(), epochs=2, verbose=0)
    assert all(np.isfinite(history.history[k]).all() for k in ("d_loss", "g_loss"))
    assert max(float(np.abs(x - y).max()) for x, y in zip(before, _weights(b))) > 1e-4
    assert int(b.g_optimizer.iterations.numpy()) == 8


class _Interrupt(keras.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt("simulated crash")


class _Record(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.start_weights = _weights(self.model)
        self.start_iterations = int(self.model.d_optimizer.iterations.numpy())
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


@pytest.mark.parametrize("force_loop", [False, True])
def test_interrupted_run_resumes_at_the_right_epoch(tmp_path, force_loop):
    run_dir = tmp_path / "run"
    first = _gan()
    snapshot = {}

    class _Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshot["weights"] = _weights(self.model)
            snapshot["iterations"] = int(self.model.d_optimizer.iterations.numpy())

    with pytest.raises(KeyboardInterrupt):
        training.train(first, _data(), epochs=4, verbose=0, force_loop=force_loop,
                       callbacks=runs.callbacks_for(run_dir, samples=4) + [_Snapshot(), _Interrupt(2)])
    assert sorted(p.name for p in (run_dir / "samples").iterdir()) == ["epoch_0001.png", "epoch_0002.png"]

    second = _gan()  # a fresh process would build the model anew
    record = _Record()
    history = training.train(second, _data(), epochs=4, verbose=0, force_loop=force_loop,
                             callbacks=runs.callbacks_for(run_dir, samples=4) + [record])
    assert record.epochs == [2, 3]
    assert len(history.history["d_loss"]) == 2
    assert record.start_iterations == snapshot["iterations"] == 8  # 2 epochs x 4 batches
    for restored, saved in zip(record.start_weights, snapshot["weights"]):
        np.testing.assert_array_equal(restored, saved)
    assert (run_dir / "samples" / "epoch_0004.png").exists()
    hist = (run_dir / "history.json").read_text()
    assert '"epoch": [\n  1,\n  2,\n  3,\n  4\n ]' in hist


def test_strategy_loop_rejects_arrays():
    with pytest.raises(TypeError, match="takes a tf.data.Dataset"):
        training.train(_gan(), np.zeros((8, 8, 8, 1), "float32"), force_loop=True, verbose=0)


class _Signal(keras.callbacks.Callback):
    """Deliver a signal to this process after a given global step, as `kill` would."""

    def __init__(self, at, signum):
        super().__init__()
        self.at, self.signum, self.step = at, signum, 0

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step == self.at:
            os.kill(os.getpid(), self.signum)


def _digits(n=40):
    x = np.random.default_rng(0).uniform(-1, 1, (n, 8, 8, 1)).astype("float32")
    return kgen_data.to_dataset(x, batch_size=8, seed=5)


@pytest.mark.parametrize("force_loop, signum", [(False, signal.SIGTERM), (True, signal.SIGINT)])
def test_a_signal_checkpoints_at_the_next_step_and_the_rerun_ends_exactly_as_an_uninterrupted_run(
        tmp_path, force_loop, signum):
    """Interrupted mid-epoch 2 (of 3), resumed in a fresh model: identical weights and history."""
    reference = _gan()
    ref_history = training.train(reference, _digits(), epochs=3, verbose=0, force_loop=force_loop)
    run_dir = tmp_path / "run"
    with pytest.raises(TrainingInterrupted) as info:
        training.train(_gan(), _digits(), epochs=3, verbose=0, force_loop=force_loop,
                       callbacks=runs.callbacks_for(run_dir, samples=4) + [_Signal(7, signum)])
    assert info.value.exit_code == 128 + signum
    assert info.value.checkpoint == str(run_dir / "checkpoints" / "ckpt-7")
    assert f"stopped by {signal.Signals(signum).name} at epoch 2, after step 2" in str(info.value)
    assert signal.getsignal(signum) is not None and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL

    resumed = _gan()
    history = training.train(resumed, _digits(), epochs=3, verbose=0, force_loop=force_loop,
                             callbacks=runs.callbacks_for(run_dir, samples=4))
    for a, b in zip(reference.variables, resumed.variables, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6, rtol=0)
    saved = json.loads((run_dir / "history.json").read_text())
    assert saved["epoch"] == [1, 2, 3]
    np.testing.assert_allclose(saved["d_loss"], ref_history.history["d_loss"], rtol=1e-6)
    np.testing.assert_allclose(history.history["g_loss"], ref_history.history["g_loss"][1:], rtol=1e-6)
    assert sorted(p.name for p in (run_dir / "samples").iterdir()) == [
        "epoch_0001.png", "epoch_0002.png", "epoch_0003.png"]


def test_without_a_checkpoint_a_signal_says_the_progress_is_lost():
    with pytest.raises(TrainingInterrupted, match="no checkpoint was configured"):
        training.train(_gan(), _data(), epochs=2, verbose=0, callbacks=[_Signal(2, signal.SIGINT)])
