from pathlib import Path

import numpy as np
import pytest

from kgen import data

MNIST7K = Path(__file__).resolve().parents[2].parent / "shared/data/mnist7k.npz"


def test_shared_mnist7k_resized_to_32():
    if not MNIST7K.exists():
        pytest.skip(f"{MNIST7K} is absent")
    arrays = data.load_arrays(str(MNIST7K), image_size=32)
    assert arrays.x.shape == (7000, 32, 32, 1)
    assert arrays.x.dtype == np.float32
    assert arrays.x.min() == pytest.approx(-1.0) and arrays.x.max() == pytest.approx(1.0, abs=0.01)
    assert arrays.y is None and arrays.num_classes is None
    # MNIST is mostly black background.
    assert np.mean(arrays.x < -0.9) > 0.6
    with pytest.raises(data.DataError, match="has no labels"):
        data.load(str(MNIST7K), labels=True)


def test_uint8_nhw_gets_channel_axis_and_exact_scaling(tmp_path):
    x = np.zeros((4, 8, 8), np.uint8)
    x[0, 0, 0], x[1, 0, 0] = 255, 51
    path = tmp_path / "small.npz"
    np.savez(path, images=x)
    arrays = data.load_arrays(path)  # PathLike works too; native size kept
    assert arrays.x.shape == (4, 8, 8, 1)
    assert arrays.x[0, 0, 0, 0] == 1.0 and arrays.x[2, 0, 0, 0] == -1.0
    assert arrays.x[1, 0, 0, 0] == pytest.approx(51 / 255 * 2 - 1)
    unit = data.load_arrays(path, scale="sigmoid").x
    assert unit[1, 0, 0, 0] == pytest.approx(0.2)
    raw = data.load_arrays(path, scale=None)
    assert raw.x.max() == 255.0 and raw.info["value_range"] == (0.0, 255.0)


@pytest.mark.parametrize("ikey, lkey", [("images", "labels"), ("x", "y"), ("x_train", "y_train")])
def test_accepted_keys_and_labels(tmp_path, ikey, lkey):
    path = tmp_path / "d.npz"
    np.savez(path, **{ikey: np.ones((6, 4, 4, 3), np.uint8), lkey: np.array([0, 1, 2, 0, 1, 4])})
    arrays = data.load_arrays(path, image_size=8, labels=True)
    assert arrays.x.shape == (6, 8, 8, 3)
    assert arrays.y.dtype == np.int32 and arrays.y.tolist() == [0, 1, 2, 0, 1, 4]
    assert arrays.num_classes == 5
    assert arrays.info["image_key"] == ikey and arrays.info["label_key"] == lkey


def test_float_data_assumed_unit_unless_value_range_given(tmp_path):
    path = tmp_path / "f.npz"
    np.savez(path, images=np.linspace(0, 255, 2 * 4 * 4).reshape(2, 4, 4).astype(np.float32))
    with pytest.raises(data.DataError, match=r"span \[0, 255\].*pass value_range=\(low, high\)"):
        data.load_arrays(path)
    arrays = data.load_arrays(path, value_range=(0, 255))
    assert arrays.x.min() == -1.0 and arrays.x.max() == 1.0
    unit = tmp_path / "u.npz"
    np.savez(unit, images=np.full((2, 4, 4, 1), 0.5, np.float64))
    assert data.load_arrays(unit).x.max() == pytest.approx(0.0)


def test_rank_error_names_shape(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, images=np.zeros(28, np.uint8))
    with pytest.raises(
        data.DataError, match=r"expected images of rank 3 or 4 \(N,H,W\[,C\]\). Received: shape=\(28,\)"
    ):
        data.load_arrays(path)


def test_channels_first_gets_a_hint(tmp_path):
    path = tmp_path / "nchw.npz"
    np.savez(path, images=np.zeros((2, 3, 16, 16), np.uint8))
    with pytest.raises(data.DataError, match=r"shape=\(2, 3, 16, 16\).*channels-first"):
        data.load_arrays(path)


def test_non_finite_values_rejected(tmp_path):
    x = np.full((3, 4, 4), 0.5, np.float32)
    x[1, 2, 2] = np.nan
    x[2, 0, 0] = np.inf
    path = tmp_path / "nan.npz"
    np.savez(path, images=x)
    with pytest.raises(data.DataError, match=r"2 non-finite value\(s\) \(NaN/inf\), first in example index 1"):
        data.load_arrays(path)


def test_label_count_mismatch(tmp_path):
    path = tmp_path / "lab.npz"
    np.savez(path, images=np.zeros((5, 4, 4), np.uint8), labels=np.zeros(4, np.int64))
    with pytest.raises(data.DataError, match=r"Received: 4 labels for 5 images"):
        data.load_arrays(path, labels=True)
    # labels=False ignores the bad labels entirely.
    assert data.load_arrays(path, labels=False).y is None


def test_negative_and_non_integer_labels(tmp_path):
    path = tmp_path / "neg.npz"
    np.savez(path, images=np.zeros((3, 4, 4), np.uint8), labels=np.array([0, -1, 2]))
    with pytest.raises(data.DataError, match=r"labels must be >= 0. Received: min label=-1"):
        data.load_arrays(path)
    path2 = tmp_path / "frac.npz"
    np.savez(path2, images=np.zeros((2, 4, 4), np.uint8), labels=np.array([0.5, 1.0]))
    with pytest.raises(data.DataError, match=r"non-integer float labels"):
        data.load_arrays(path2)


def test_missing_image_key_and_corrupt_file(tmp_path):
    path = tmp_path / "keys.npz"
    np.savez(path, pixels=np.zeros((2, 4, 4), np.uint8))
    with pytest.raises(data.DataError, match=r"found keys \['pixels'\].*image_key="):
        data.load_arrays(path)
    assert data.load_arrays(path, image_key="pixels").x.shape == (2, 4, 4, 1)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file at all")
    with pytest.raises(data.DataError, match=r"could not read .*broken.npz as a .npz file"):
        data.load_arrays(broken)


def test_wide_integer_images_out_of_byte_range(tmp_path):
    path = tmp_path / "i32.npz"
    np.savez(path, images=np.full((2, 4, 4), 1000, np.int32))
    with pytest.raises(data.DataError, match=r"span \[1000, 1000\], outside 0..255"):
        data.load_arrays(path)


def test_channels_option_converts_npz_images(tmp_path):
    path = tmp_path / "gray.npz"
    np.savez(path, images=np.full((3, 8, 8), 255, np.uint8))
    arrays = data.load_arrays(path, channels=3, image_size=16)
    assert arrays.x.shape == (3, 16, 16, 3) and arrays.info["channels"] == 3
    assert (arrays.x == 1.0).all()
