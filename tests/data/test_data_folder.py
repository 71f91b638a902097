import numpy as np
import pytest
from PIL import Image

from kgen import data


def test_class_subfolders_become_sorted_labels(class_folder):
    arrays = data.load_arrays(class_folder, labels=True, scale="unit")
    assert arrays.x.shape == (5, 8, 8, 3)
    assert arrays.class_names == ["cat", "dog"]
    assert arrays.num_classes == 2
    assert sorted(arrays.y.tolist()) == [0, 0, 0, 1, 1]
    assert arrays.info["num_skipped"] == 0
    # Hidden folders and non-image files are ignored; nesting is recursive.
    assert not any(".hidden" in f for f in arrays.info["files"])
    assert any(f.endswith("deep/c2.png") for f in arrays.info["files"])


def test_folder_pixels_are_decoded_exactly(tmp_path, rng, img):
    pixels = img.random_image(rng, 8, 3)
    img.save_png(tmp_path / "one" / "a.png", pixels)
    arrays = data.load_arrays(tmp_path / "one", scale="tanh")
    assert arrays.y is None  # images at the root: no classes
    np.testing.assert_allclose(arrays.x[0], pixels / 255.0 * 2 - 1, atol=1e-6)
    np.testing.assert_array_equal(data.to_uint8(arrays.x[0], arrays.info["value_range"]), pixels)


def test_folder_formats_and_resize(tmp_path, rng, img):
    root = tmp_path / "formats"
    root.mkdir()
    rgb = img.random_image(rng, 12, 3)
    Image.fromarray(rgb).save(root / "a.bmp")
    Image.fromarray(rgb).save(root / "b.GIF")
    (root / "c.jpeg").write_bytes(img.jpeg_bytes(rng, 20))
    Image.fromarray(img.random_image(rng, 10, 3)).convert("P").save(root / "d.png")
    arrays = data.load_arrays(root, image_size=16)
    assert arrays.x.shape == (4, 16, 16, 3)
    assert arrays.x.min() >= -1.0 and arrays.x.max() <= 1.0


def test_different_sizes_need_image_size(tmp_path, rng, img):
    root = tmp_path / "sizes"
    img.save_png(root / "a.png", img.random_image(rng, 8, 1))
    img.save_png(root / "b.png", img.random_image(rng, 12, 1))
    with pytest.raises(data.DataError, match=r"different sizes: 1 of 8x8 .*1 of 12x12.*image_size="):
        data.load_arrays(root)
    assert data.load_arrays(root, image_size=32).x.shape == (2, 32, 32, 1)


def test_mixed_channels_error_or_convert(tmp_path, rng, img):
    root = tmp_path / "mixed"
    img.save_png(root / "gray.png", img.random_image(rng, 8, 1))
    img.save_png(root / "rgb.png", img.random_image(rng, 8, 3))
    img.save_png(root / "rgba.png", img.random_image(rng, 8, 4))
    with pytest.raises(data.DataError, match=r"mixed channel counts: 1 with 1 .*gray.png.*channels=3"):
        data.load_arrays(root)
    assert data.load_arrays(root, channels=3).x.shape == (3, 8, 8, 3)
    gray = data.load_arrays(root, channels=1, scale="unit").x
    assert gray.shape == (3, 8, 8, 1)
    # The grayscale file is unchanged by conversion to 1 channel.
    np.testing.assert_allclose(
        gray[0, ..., 0], np.asarray(Image.open(root / "gray.png")) / 255.0, atol=1e-6
    )


def test_sixteen_bit_png_scaled_not_clipped(tmp_path):
    root = tmp_path / "deep"
    root.mkdir()
    Image.fromarray(np.array([[0, 65535], [32768, 65535]], np.uint16)).save(root / "a.png")
    x = data.load_arrays(root, scale="unit").x
    assert x.shape == (1, 2, 2, 1)
    np.testing.assert_allclose(x[0, :, :, 0], [[0.0, 1.0], [32768 / 65535, 1.0]], atol=1e-6)


def test_corrupt_files_raise_listing_them(corrupt_folder):
    with pytest.raises(data.DataError, match=r"2 of 6 image file\(s\).*could not be read") as err:
        data.load_arrays(corrupt_folder)
    message = str(err.value)
    assert "garbage.png" in message and "truncated.jpg" in message
    assert "on_error='skip'" in message


def test_corrupt_files_skipped_counted_and_warned(corrupt_folder):
    with pytest.warns(data.DataWarning, match=r"skipped 2 unreadable image file\(s\)"):
        arrays = data.load_arrays(corrupt_folder, on_error="skip")
    assert arrays.x.shape == (4, 8, 8, 3)
    assert arrays.info["num_skipped"] == 2
    assert sorted(p.rsplit("/", 1)[-1] for p in arrays.info["skipped_files"]) == [
        "garbage.png",
        "truncated.jpg",
    ]
    # The dataset built from what remains iterates a whole epoch cleanly.
    with pytest.warns(data.DataWarning):
        ds = data.load(corrupt_folder, on_error="skip", batch_size=3, drop_remainder=False)
    assert sum(int(b.shape[0]) for b in ds) == 4


def test_truncated_jpeg_is_corrupt_even_if_pil_is_permissive(tmp_path, rng, monkeypatch, img):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    full = img.jpeg_bytes(rng)
    (tmp_path / "t.jpg").write_bytes(full[: len(full) // 2])
    with pytest.raises(data.DataError, match=r"t.jpg"):
        data.load_arrays(tmp_path)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # global setting restored


def test_all_files_corrupt_is_an_error(tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x00" * 64)
    with pytest.warns(data.DataWarning):
        with pytest.raises(data.DataError, match=r"all 1 image file\(s\) .* were unreadable"):
            data.load_arrays(tmp_path, on_error="skip")


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images here")
    with pytest.raises(data.DataError, match=r"no image files found under '.*empty'"):
        data.load(str(tmp_path / "empty"))


def test_empty_class_folder(class_folder):
    (class_folder / "zebra").mkdir()
    with pytest.raises(data.DataError, match=r"class folder\(s\) \['zebra'\] .* contain no images"):
        data.load_arrays(class_folder)


def test_missing_path_and_unsupported_file(tmp_path):
    with pytest.raises(data.DataError, match=r"data path does not exist: '.*nowhere/images'"):
        data.load(str(tmp_path / "nowhere" / "images"))
    with pytest.raises(data.DataError, match=r"data path does not exist: 'missing.npz'"):
        data.load("missing.npz")
    txt = tmp_path / "table.csv"
    txt.write_text("1,2,3")
    with pytest.raises(data.DataError, match=r"unsupported file type for source '.*table.csv'"):
        data.load(str(txt))
