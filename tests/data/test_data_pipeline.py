import numpy as np
import pytest

from kgen import data
from kgen.data import registry


# ------------------------------------------------------------------ to_dataset


def test_to_dataset_batches_shuffles_and_covers_every_example():
    x = np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1)
    ds = data.to_dataset(x, batch_size=4, seed=1)
    assert "Prefetch" in type(ds).__name__
    assert ds.element_spec.shape.as_list() == [4, 1, 1, 1]
    batches = [b.numpy().ravel() for b in ds]
    assert len(batches) == 2  # 10 // 4, remainder dropped
    ds_all = data.to_dataset(x, batch_size=4, seed=1, drop_remainder=False)
    seen = np.concatenate([b.numpy().ravel() for b in ds_all])
    assert sorted(seen.tolist()) == list(range(10))
    assert seen.tolist() != list(range(10))  # shuffled
    again = np.concatenate([b.numpy().ravel() for b in data.to_dataset(x, batch_size=4, seed=1, drop_remainder=False)])
    np.testing.assert_array_equal(seen, again)  # same seed, same order


def test_to_dataset_without_shuffle_keeps_order_and_labels_align():
    x = np.arange(6, dtype=np.float32).reshape(6, 1)
    y = np.array([0, 1, 2, 3, 4, 5])
    ds = data.to_dataset(x, y, batch_size=3, shuffle=False)
    (xb, yb), _ = list(ds)
    assert xb.numpy().ravel().tolist() == [0, 1, 2]
    assert yb.dtype.name == "int32" and yb.numpy().tolist() == [0, 1, 2]
    shuffled = data.to_dataset(x, y, batch_size=6, seed=0)
    xs, ys = next(iter(shuffled))
    np.testing.assert_array_equal(xs.numpy().ravel(), ys.numpy())


def test_to_dataset_repeat():
    x = np.zeros((5, 2), np.float32)
    assert len(list(data.to_dataset(x, batch_size=5, repeat=3))) == 3
    assert len(list(data.to_dataset(x, batch_size=2, repeat=True).take(7))) == 7


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, None])
def test_bad_batch_size(bad):
    with pytest.raises(data.DataError, match=rf"batch_size must be a positive integer \(e.g. 64\). Received: batch_size={bad!r}"):
        data.to_dataset(np.zeros((4, 2)), batch_size=bad)


def test_batch_size_checked_before_loading():
    # The bad batch size is reported, not the (slower) missing path.
    with pytest.raises(data.DataError, match="batch_size"):
        data.load("no/such/path", batch_size=0)


def test_batch_larger_than_data_with_drop_remainder():
    with pytest.raises(data.DataError, match=r"batch_size=8 is larger than the 4 examples.*drop_remainder=False"):
        data.to_dataset(np.zeros((4, 2)), batch_size=8)
    assert len(list(data.to_dataset(np.zeros((4, 2)), batch_size=8, drop_remainder=False))) == 1


def test_to_dataset_rejects_non_finite_and_mismatched_labels():
    x = np.zeros((4, 2), np.float32)
    x[3, 1] = np.inf
    with pytest.raises(data.DataError, match=r"x contain 1 non-finite value\(s\).*index 3"):
        data.to_dataset(x, batch_size=2)
    with pytest.raises(data.DataError, match=r"Received: 3 labels for 4 images"):
        data.to_dataset(np.zeros((4, 2)), [0, 1, 2], batch_size=2)


def test_load_labels_true_yields_pairs_and_false_yields_images():
    images = data.load("digits", batch_size=32, image_size=8)
    assert images.element_spec.shape.as_list() == [32, 8, 8, 1]
    pairs = data.load("digits", batch_size=32, image_size=8, labels=True, repeat=True)
    x, y = next(iter(pairs))
    assert x.shape == (32, 8, 8, 1) and y.shape == (32,)


# ------------------------------------------------------------------ arguments


@pytest.mark.parametrize("bad", [28, 0, -16, 2, 16.0, True, "32", (16, 24), 8192])
def test_bad_image_size(bad):
    with pytest.raises(data.DataError, match=r"image_size must be a power of two .* Received: image_size="):
        data.load_arrays("digits", image_size=bad)


def test_non_square_power_of_two_size_is_allowed():
    assert data.load_arrays("digits", image_size=(8, 16)).x.shape == (1797, 8, 16, 1)


def test_unknown_source_lists_alternatives():
    with pytest.raises(data.DataError, match=r"unknown data source 'mnistt'. Use one of 'digits', 'ring8', 'grid25', 'tfds:<argument>'"):
        data.load("mnistt")
    with pytest.raises(data.DataError, match=r"source must be a non-empty string"):
        data.load_arrays(42)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"scale": "tanhh"}, r"scale must be one of \['sigmoid', 'tanh', 'unit'\] or None.*scale='tanhh'"),
        ({"on_error": "ignore"}, r"on_error must be 'raise' or 'skip'. Received: on_error='ignore'"),
        ({"channels": 2}, r"channels must be None, 1 \(grayscale\), 3 \(RGB\) or 4 \(RGBA\). Received: channels=2"),
        ({"seed": -1}, r"seed must be None or a non-negative integer. Received: seed=-1"),
        ({"data_dir": "/tmp"}, r"source 'digits' does not accept option\(s\) \['data_dir'\]"),
    ],
)
def test_bad_arguments(kwargs, pattern):
    with pytest.raises(data.DataError, match=pattern):
        data.load_arrays("digits", **kwargs)


def test_labels_true_on_unlabelled_source(tmp_path):
    path = tmp_path / "nolabels.npz"
    np.savez(path, images=np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(data.DataError, match=r"labels=True but source '.*nolabels.npz' has no labels; pass labels=False"):
        data.load(str(path), labels=True)


def test_data_error_is_a_value_error():
    assert issubclass(data.DataError, ValueError)


# ------------------------------------------------------------------ scaling


def test_scale_and_to_uint8_round_trip_every_byte():
    u8 = np.arange(256, dtype=np.uint8)
    tanh = data.scale_images(u8, "tanh")
    assert tanh.dtype == np.float32 and tanh[0] == -1.0 and tanh[-1] == 1.0
    np.testing.assert_array_equal(data.to_uint8(tanh, (-1, 1)), u8)
    unit = data.scale_images(u8, "sigmoid")
    np.testing.assert_array_equal(data.to_uint8(unit, "sigmoid"), u8)
    np.testing.assert_array_equal(data.scale_images(unit, "tanh"), tanh)
    assert data.scale_images(u8, None).max() == 255.0


def test_to_uint8_clips_and_handles_nan():
    out = data.to_uint8(np.array([-3.0, np.nan, 0.5, 9.0]), (0.0, 1.0))
    assert out.dtype == np.uint8 and out.tolist() == [0, 0, 128, 255]
    with pytest.raises(data.DataError, match=r"high > low"):
        data.to_uint8(np.zeros(2), (1, 1))


def test_scale_images_rejects_floats_outside_unit_range():
    with pytest.raises(data.DataError, match=r"float values in \[0, 255\].*x / 255.0"):
        data.scale_images(np.array([0.0, 255.0]), "tanh")


def test_convert_channels():
    rgb = np.zeros((1, 1, 1, 3), np.float32)
    rgb[..., 0] = 1.0  # pure red
    gray = data.convert_channels(rgb, 1)
    assert gray.shape == (1, 1, 1, 1) and gray.item() == pytest.approx(0.299)
    rgba = data.convert_channels(gray, 4)
    assert rgba.shape == (1, 1, 1, 4) and rgba[..., 3].item() == 1.0


# ------------------------------------------------------------------ registry


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_register_new_source_by_name_and_prefix(scratch_registry):
    @data.register_source("checker", prefix=True, options=("period",), description="checkerboards")
    def checker(request):
        period = int(request.arg or request.options.get("period", 2))
        yy, xx = np.mgrid[:8, :8]
        board = (((yy // period) + (xx // period)) % 2 * 255).astype(np.uint8)
        return data.SourceData(x=np.stack([board] * 3), y=np.array([0, 1, 1]), raw_range=(0, 255))

    assert "checker" in data.available_sources()
    arrays = data.load_arrays("checker", image_size=16, labels=True)
    assert arrays.x.shape == (3, 16, 16, 1) and arrays.num_classes == 2
    assert set(np.unique(data.load_arrays("checker:4", scale="unit").x)) == {0.0, 1.0}
    with pytest.raises(ValueError, match=r"already registered.*replace=True"):
        data.register_source("checker")(checker)


def test_source_returning_bad_images_is_validated(scratch_registry):
    @data.register_source("bad_rank")
    def bad(request):
        return data.SourceData(x=np.zeros((5,)), raw_range=(0, 1))

    with pytest.raises(data.DataError, match=r"expected images of rank 3 or 4 \(N,H,W\[,C\]\). Received: shape=\(5,\)"):
        data.load_arrays("bad_rank")


def test_source_with_known_classes_rejects_out_of_range_labels(scratch_registry):
    @data.register_source("two_classes")
    def two(request):
        return data.SourceData(
            x=np.zeros((2, 4, 4), np.uint8), y=np.array([0, 5]), raw_range=(0, 255), num_classes=2
        )

    with pytest.raises(data.DataError, match=r"labels out of range: max label=5 but num_classes=2; labels must lie in \[0, 1\]"):
        data.load_arrays("two_classes", labels=True)
