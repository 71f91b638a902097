"""Fixtures for the lifecycle tests: a tiny DCGAN, its data, and a small (or faulty) disk."""

import contextlib
import errno
import os
import subprocess
import uuid

import keras
import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _images():
    return np.random.default_rng(0).uniform(-1, 1, (48, 8, 8, 1)).astype("float32")


def _make_gan(**kwargs):
    from kgen import zoo

    keras.utils.set_random_seed(0)
    return zoo.build("dcgan", (8, 8, 1), tiny=True, seed=1, **kwargs)


@pytest.fixture
def images():
    return _images()


@pytest.fixture
def make_gan():
    return _make_gan


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory):
    """Checkpoints of 2 epochs (6 steps each: ckpt-6, ckpt-12) and the trained model's full state.

    Tests copy the folder (`shutil.copytree`) rather than train again.
    """
    from kgen import data, training
    from kgen.checkpoints import TrainingCheckpoint

    directory = tmp_path_factory.mktemp("two_epochs") / "ck"
    model = _make_gan()
    training.train(model, data.to_dataset(_images(), batch_size=8, seed=3), epochs=2, verbose=0,
                   callbacks=[TrainingCheckpoint(directory)])
    optimizers = [v for opt in (model.d_optimizer, model.g_optimizer) for v in opt.variables]
    state = [np.asarray(v) for v in list(model.variables) + optimizers + list(model.metrics_variables)]
    return directory, state


def _mount_tmpfs(where, size):
    where.mkdir(parents=True, exist_ok=True)
    if os.environ.get("KGEN_TEST_NO_MOUNT"):  # exercise the fault-injection path
        return False
    try:
        out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", f"kgen-{uuid.uuid4().hex[:6]}",
                              str(where)], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0


class Disk:
    """A directory on a real small tmpfs when the machine allows mounting, else fault injection.

    `fill()` makes the next writes fail with ENOSPC, `read_only()` with EROFS:
    on tmpfs by really filling it / remounting it read-only; otherwise by
    patching the low-level calls kgen's writers go through.
    """

    def __init__(self, path, real, monkeypatch):
        self.path, self.real, self._mp = path, real, monkeypatch
        self._filler = None

    def fill(self):
        if self.real:
            self._filler = self.path / "filler"
            with contextlib.suppress(OSError), open(self._filler, "wb", buffering=0) as f:
                while True:
                    f.write(b"\0" * 4096)
        else:
            self._inject(errno.ENOSPC, "No space left on device")

    def free(self):
        if self.real and self._filler is not None:
            self._filler.unlink()
            self._filler = None
        elif not self.real:
            self._mp.undo()

    def read_only(self):
        if self.real:
            subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True, timeout=10)
        else:
            self._inject(errno.EROFS, "Read-only file system")

    def _inject(self, code, text):
        import tensorflow as tf

        from kgen import files

        def fail(*args, **kwargs):
            raise OSError(code, text)

        def tf_fail(self_, *args, **kwargs):
            raise tf.errors.ResourceExhaustedError(None, None, f"{self_.directory}: {text}")

        self._mp.setattr(files, "_fsync", fail)
        self._mp.setattr(tf.train.CheckpointManager, "save", tf_fail)


@pytest.fixture
def small_disk(tmp_path, monkeypatch):
    """A 2 MB disk (see `Disk`)."""
    where = tmp_path / "disk"
    real = _mount_tmpfs(where, "2m")
    disk = Disk(where, real, monkeypatch)
    yield disk
    if real:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=10)
