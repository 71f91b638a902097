"""The non-finite guard: a NaN/inf batch, loss or weight stops training there; nothing bad is saved."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import data, training
from kgen.checkpoints import TrainingCheckpoint
from kgen.errors import NonFiniteError


def _plain(x):
    return tf.data.Dataset.from_tensor_slices(x).batch(8, drop_remainder=True)


@pytest.mark.parametrize("force_loop", [False, True])
def test_a_nan_pixel_in_data_handed_to_train_names_the_batch(make_gan, images, force_loop):
    images[8 * 2 + 5, 3, 4, 0] = np.nan  # batch 3 of each epoch
    gan = make_gan()
    with pytest.raises(NonFiniteError, match=r"batch 3 of epoch 1 holds NaN or inf values") as info:
        training.train(gan, _plain(images), epochs=2, verbose=0, force_loop=force_loop)
    assert (info.value.epoch, info.value.step) == (1, 3)
    assert all(np.isfinite(np.asarray(v)).all() for v in gan.weights)
    with pytest.raises(NonFiniteError, match=r"array 0\) holds 1 NaN/inf value\(s\), the first at index \(21"):
        training.train(make_gan(), images, epochs=1, verbose=0)


class _Poison(keras.callbacks.Callback):
    """Turn one discriminator weight to NaN before a given global step (a blown-up update)."""

    def __init__(self, at):
        super().__init__()
        self.at, self.step = at, 0

    def on_train_batch_begin(self, batch, logs=None):
        self.step += 1
        if self.step == self.at:
            w = self.model.discriminator.weights[0]
            w.assign(tf.fill(w.shape, float("nan")))


@pytest.mark.parametrize("force_loop", [False, True])
def test_a_nan_loss_stops_at_that_step_and_keeps_the_last_good_checkpoint(
        tmp_path, make_gan, images, force_loop):
    ckpt = TrainingCheckpoint(tmp_path / "ck")
    with pytest.raises(NonFiniteError) as info:
        training.train(make_gan(), data.to_dataset(images, batch_size=8, seed=0), epochs=3, verbose=0,
                       force_loop=force_loop, callbacks=[_Poison(at=9), ckpt])
    message = str(info.value)
    assert message.startswith("training stopped at epoch 2, step 3: d_loss is nan")
    assert "ckpt-6" in message and "Lower the learning rate" in message and "check the data" in message
    assert "--no-nan-guard" in message
    assert [p.name for p in ckpt.candidates()] == ["ckpt-6"]
    fresh = make_gan()
    TrainingCheckpoint(tmp_path / "ck").bind(fresh).restore()
    assert all(np.isfinite(np.asarray(v)).all() for v in fresh.weights)


def test_non_finite_weights_are_never_checkpointed_even_unchecked_per_step(tmp_path, make_gan, images):
    class PoisonAtEnd(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                w = self.model.generator.weights[0]
                w.assign(tf.fill(w.shape, float("inf")))

    ckpt = TrainingCheckpoint(tmp_path / "ck")
    with pytest.raises(NonFiniteError, match=r"1 of \d+ weight arrays hold NaN/inf \(before writing a checkpoint\)"):
        training.train(make_gan(), data.to_dataset(images, batch_size=8), epochs=3, verbose=0,
                       callbacks=[PoisonAtEnd(), ckpt],
                       guard=training.NonFiniteGuard(check_weights=False))
    assert [p.name for p in ckpt.candidates()] == ["ckpt-6"]


def test_divergence_bounds_stop_a_too_high_learning_rate(make_gan, images):
    gan = make_gan(learning_rate=10.0)
    start = float(tf.linalg.global_norm(gan.trainable_weights))
    with pytest.raises(NonFiniteError, match="global norm .* exceeds max_weight_norm=") as info:
        training.train(gan, data.to_dataset(images, batch_size=8), epochs=5, verbose=0,
                       guard=training.NonFiniteGuard(max_weight_norm=10 * start))
    assert info.value.epoch == 1 and info.value.step <= 3
    with pytest.raises(NonFiniteError, match=r"\|d_loss\| = [\d.e+]+ exceeds max_loss=2 .*NonFiniteGuard"):
        training.train(make_gan(learning_rate=10.0), data.to_dataset(images, batch_size=8), epochs=5,
                       verbose=0, guard=training.NonFiniteGuard(max_loss=2))


def test_guard_off_trains_through_nan(make_gan, images):
    history = training.train(make_gan(), data.to_dataset(images, batch_size=8), epochs=2, verbose=0,
                             callbacks=[_Poison(at=2)], guard=False)
    assert np.isnan(history.history["d_loss"]).all()
