from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from kgen import data


def _fake_info(num_classes=3):
    names = [f"class{i}" for i in range(num_classes)]
    label = SimpleNamespace(num_classes=num_classes, names=names)
    return SimpleNamespace(features={"label": label})


def _fake_load(images, labels, calls, num_classes=3):
    def load(name, *, split, as_supervised, with_info, **kwargs):
        calls.append(dict(name=name, split=split, as_supervised=as_supervised, **kwargs))
        if as_supervised:
            ds = tf.data.Dataset.from_tensor_slices((images, labels))
        else:
            ds = tf.data.Dataset.from_tensor_slices({"image": images, "label": labels})
        return (ds, _fake_info(num_classes)) if with_info else ds

    return load


def test_real_tfds_call_fails_offline_with_local_data_instructions(tmp_path):
    # Real tfds.load on an empty data_dir with download=False: no network needed.
    with pytest.raises(data.DataError) as err:
        data.load("tfds:mnist:test", data_dir=str(tmp_path), download=False)
    message = str(err.value)
    assert "could not load tensorflow-datasets dataset 'mnist' (split 'test')" in message
    assert "data_dir=" in message and ".npz" in message and "folder of image files" in message
    assert err.value.__cause__ is not None


def test_forced_download_failure_is_a_data_error(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'storage.googleapis.com'")

    monkeypatch.setattr(tfds, "load", offline)
    with pytest.raises(data.DataError, match=r"(?s)ConnectionError: Failed to resolve.*tfds build mnist"):
        data.load_arrays("tfds:mnist", data_dir=tmp_path)


def test_tfds_success_with_labels(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 28, 28, 1), dtype=np.uint8)
    labels = np.array([0, 1, 2, 0, 1, 2], np.int64)
    calls = []
    monkeypatch.setattr(tfds, "load", _fake_load(images, labels, calls))
    arrays = data.load_arrays("tfds:mnist:test", image_size=32, labels=True, data_dir=tmp_path)
    assert calls == [
        dict(name="mnist", split="test", as_supervised=False, download=True, data_dir=str(tmp_path))
    ]
    assert arrays.x.shape == (6, 32, 32, 1) and arrays.x.dtype == np.float32
    assert -1.0 <= arrays.x.min() and arrays.x.max() <= 1.0
    assert arrays.y.tolist() == labels.tolist()
    assert arrays.num_classes == 3
    assert arrays.class_names == ["class0", "class1", "class2"]
    assert arrays.info["split"] == "test"


def test_tfds_default_split_unsupervised_dataset(monkeypatch):
    images = np.full((5, 8, 8, 3), 255, np.uint8)
    calls = []
    monkeypatch.setattr(tfds, "load", _fake_load(images, np.zeros(5, np.int64), calls))
    ds = data.load("tfds:cifar10", batch_size=2, drop_remainder=False)
    assert calls[0]["split"] == "train" and calls[0]["as_supervised"] is False
    batches = [b.numpy() for b in ds]
    assert [b.shape for b in batches] == [(2, 8, 8, 3), (2, 8, 8, 3), (1, 8, 8, 3)]
    assert all((b == 1.0).all() for b in batches)


def test_tfds_labels_out_of_range(monkeypatch):
    images = np.zeros((3, 8, 8, 1), np.uint8)
    calls = []
    monkeypatch.setattr(tfds, "load", _fake_load(images, np.array([0, 1, 7]), calls, num_classes=3))
    with pytest.raises(data.DataError, match=r"labels out of range: max label=7 but num_classes=3"):
        data.load("tfds:mnist", labels=True)


def test_tfds_spec_needs_a_name():
    with pytest.raises(data.DataError, match=r"missing its argument; use e.g. 'tfds:<name>'"):
        data.load("tfds:")


_BUILDER = '''
import numpy as np
import tensorflow_datasets as tfds


class KgenTestTinyDigits(tfds.core.GeneratorBasedBuilder):
    """12 random 8x8 grayscale images in 3 classes, generated locally."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return self.dataset_info_from_configs(features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(8, 8, 1)),
            "label": tfds.features.ClassLabel(names=["a", "b", "c"])}))

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples(12)}

    def _generate_examples(self, n):
        rng = np.random.default_rng(0)
        for i in range(n):
            yield i, {"image": rng.integers(0, 256, (8, 8, 1), dtype=np.uint8), "label": i % 3}
'''


@pytest.fixture(scope="module")
def prepared_tfds(tmp_path_factory):
    """A real tfds dataset, built and prepared offline into its own data directory."""
    import importlib
    import sys

    root = tmp_path_factory.mktemp("tfds_code")
    package = root / "kgen_tfds_fixture"
    package.mkdir()
    (package / "__init__.py").write_text("")
    # A module inside a package: tfds then locates the builder's code with
    # importlib_resources (a dependency tfds 4.9 declares only for Python < 3.9).
    (package / "tiny_digits.py").write_text(_BUILDER)
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("kgen_tfds_fixture.tiny_digits")
    finally:
        sys.path.remove(str(root))
    data_dir = tmp_path_factory.mktemp("tfds_data")
    builder = module.KgenTestTinyDigits(data_dir=str(data_dir))
    assert builder.code_path.name == "tiny_digits.py"
    builder.download_and_prepare()
    return data_dir


def test_a_real_prepared_tfds_dataset_loads_offline(prepared_tfds):
    arrays = data.load_arrays("tfds:kgen_test_tiny_digits", image_size=16, labels=True,
                              data_dir=str(prepared_tfds), download=False)
    assert arrays.x.shape == (12, 16, 16, 1) and arrays.num_classes == 3
    assert arrays.class_names == ["a", "b", "c"] and sorted(set(arrays.y.tolist())) == [0, 1, 2]


def test_kgen_train_runs_one_step_through_tfds(prepared_tfds, tmp_path):
    from kgen import cli

    run = tmp_path / "run"
    assert cli.main(["train", "--model", "cgan", "--data", "tfds:kgen_test_tiny_digits:train",
                     "--data-dir", str(prepared_tfds), "--no-download", "--image-size", "8",
                     "--batch-size", "4", "--tiny", "--epochs", "1", "--steps-per-epoch", "1",
                     "--verbose", "0", "--run-dir", str(run)]) == 0
    config = __import__("json").loads((run / "config.json").read_text())
    assert config["num_classes"] == 3 and config["class_names"] == ["a", "b", "c"]
    assert (run / "model.keras").is_file()


def test_a_broken_tfds_install_is_not_reported_as_offline(monkeypatch):
    def broken(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'importlib_resources'")

    monkeypatch.setattr(tfds, "load", broken)
    with pytest.raises(data.DataError, match=r"installation problem, not a missing download") as err:
        data.load_arrays("tfds:mnist")
    assert "internet" not in str(err.value)
