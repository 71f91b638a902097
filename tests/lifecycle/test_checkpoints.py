"""Checkpoints hold the whole training state, are verified on load, and survive a full disk."""

import shutil
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import data, files, runs, training
from kgen.checkpoints import CheckpointWarning, TrainingCheckpoint
from kgen.errors import StorageError


def _train(model, x, directory, epochs, callbacks=(), **kwargs):
    ckpt = TrainingCheckpoint(directory)
    training.train(model, data.to_dataset(x, batch_size=8, seed=3), epochs=epochs, verbose=0,
                   callbacks=[*callbacks, ckpt], **kwargs)
    return ckpt


def _state(model):
    opt_vars = [v for opt in (model.d_optimizer, model.g_optimizer) for v in opt.variables]
    return [np.asarray(v) for v in list(model.variables) + opt_vars + list(model.metrics_variables)]


def test_a_checkpoint_restores_weights_optimizers_random_state_metrics_and_position(
        two_epochs, make_gan, images):
    directory, saved = two_epochs
    fresh = make_gan()
    assert not np.array_equal(np.asarray(fresh.seed_generator.state), saved[0])  # the draws moved it
    restored = TrainingCheckpoint(directory).bind(fresh, data.epoch_source(
        data.to_dataset(images, batch_size=8, seed=3))).restore()
    assert (restored.epoch, restored.step, restored.global_step) == (2, 0, 12)
    assert restored.shuffle_seed == (3, 2)
    assert restored.path == str(directory / "ckpt-12")
    for a, b in zip(_state(fresh), saved, strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(fresh.d_optimizer.iterations.numpy()) == 12


def _copy(two_epochs, where):
    shutil.copytree(two_epochs[0], where)
    return where


def _checkpoints(directory):
    return [p.name for p in TrainingCheckpoint(directory).candidates()]


@pytest.mark.parametrize("damage", ["truncated", "no manifest", "altered"])
def test_a_damaged_latest_checkpoint_is_skipped_with_a_warning_and_the_previous_one_used(
        tmp_path, two_epochs, make_gan, images, damage):
    directory = _copy(two_epochs, tmp_path / "ck")
    assert _checkpoints(directory) == ["ckpt-12", "ckpt-6"]
    latest = directory / "ckpt-12.data-00000-of-00001"
    if damage == "truncated":  # killed while writing: 4.3 of 5.7 MB on disk
        latest.write_bytes(latest.read_bytes()[: latest.stat().st_size * 3 // 4])
    elif damage == "no manifest":  # killed between TensorFlow's write and the manifest
        (directory / "ckpt-12.manifest.json").unlink()
    else:
        raw = bytearray(latest.read_bytes())
        raw[100] ^= 0xFF
        latest.write_bytes(bytes(raw))
    epochs = []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epochs.append(epoch)

    with pytest.warns(CheckpointWarning, match="ckpt-12") as caught:
        ckpt = _train(make_gan(), images, directory, epochs=3, callbacks=[Record()])
    assert "resuming from the one before" in str(caught[0].message)
    assert ckpt.restored.path == str(directory / "ckpt-6")
    assert epochs == [1, 2]  # epoch 2 (index 1) again, then 3
    assert (directory / "damaged").is_dir()
    assert _checkpoints(directory)[0] == "ckpt-18"


@pytest.mark.parametrize("content", ["", "model_checkpoint_path: \x00\x01 garbage {{"])
def test_a_damaged_checkpoint_index_file_does_not_stop_a_resume(tmp_path, two_epochs, make_gan, images,
                                                                content):
    directory = _copy(two_epochs, tmp_path / "ck")
    (directory / "checkpoint").write_text(content)  # TensorFlow's own pointer file; manifests decide
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CheckpointWarning)
        ckpt = _train(make_gan(), images, directory, epochs=3)
    assert ckpt.restored.epoch == 2 and ckpt.last_path.endswith("ckpt-18")
    if not content:  # TensorFlow raises on an empty one: it is rebuilt, with a warning
        assert any("checkpoint' is unreadable" in str(w.message) for w in caught)


def _assert_intact(directory, name, model_factory):
    TrainingCheckpoint.verify(directory / name)
    leftovers = [p.name for p in directory.iterdir()
                 if "_temp" in p.name or files.TMP_MARK in p.name or p.name.startswith("ckpt-18")]
    assert leftovers == []
    restored = TrainingCheckpoint(directory).bind(model_factory()).restore()
    assert restored.path == str(directory / name)


@pytest.mark.parametrize("precheck", [True, False])
def test_full_disk_while_checkpointing_names_the_path_and_keeps_the_previous_checkpoint(
        small_disk, two_epochs, make_gan, images, monkeypatch, precheck):
    directory = _copy(two_epochs, small_disk.path / "ck")
    if not precheck:  # let TensorFlow hit ENOSPC itself, mid-write
        monkeypatch.setattr(files, "check_space", lambda *a, **k: None)
    small_disk.fill()
    with pytest.raises(StorageError, match="space") as info:
        _train(make_gan(), images, directory, epochs=3)
    message = str(info.value)
    assert str(directory) in message and "previous" in message and "free" in message
    small_disk.free()
    _assert_intact(directory, "ckpt-12", make_gan)


def test_read_only_checkpoint_directory_names_the_path(small_disk, two_epochs, make_gan, images):
    directory = _copy(two_epochs, small_disk.path / "ck")
    small_disk.read_only()
    with pytest.raises(StorageError, match="read-only") as info:
        _train(make_gan(), images, directory, epochs=3)
    assert str(directory) in str(info.value)
    _assert_intact(directory, "ckpt-12", make_gan)


def test_callback_state_protocol_round_trips(tmp_path, make_gan, images):
    class Counter(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.count = tf.Variable(0, dtype=tf.int64)
            self.restored = False

        def checkpoint_state(self):
            return {"count": self.count}

        def on_checkpoint_restored(self):
            self.restored = True

        def on_train_batch_end(self, batch, logs=None):
            self.count.assign_add(1)

    first = Counter()
    _train(make_gan(), images, tmp_path / "ck", epochs=1, callbacks=[first])
    second = Counter()
    _train(make_gan(), images, tmp_path / "ck", epochs=2, callbacks=[second])
    assert second.restored and int(second.count.numpy()) == 12


def test_history_json_follows_the_checkpoint_and_survives_damage(tmp_path, make_gan, images):
    run_dir = tmp_path / "run"

    def fit(epochs):
        training.train(make_gan(), data.to_dataset(images, batch_size=8, seed=3), epochs=epochs,
                       verbose=0, callbacks=runs.callbacks_for(run_dir, samples=0, tensorboard=False))

    fit(2)
    (run_dir / "history.json").write_text('{"epoch": [1, 2, 3, 4], "d_loss": [0.1')  # truncated
    fit(3)
    history = files.read_json(run_dir / "history.json")
    assert history["epoch"] == [1, 2, 3] and len(history["d_loss"]) == 3
    (run_dir / "history.json").write_text("")
    with pytest.warns(UserWarning, match="history.json' is empty"):
        assert runs.read_history(run_dir) == {}
