"""Paired / unpaired / super-resolution sources and their pipeline (alignment, augmentation, downsampling, resume)."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kgen.data import DataError, load_arrays, paired
from kgen.data.paired import PairArrays, edge_map, load_pairs, pair_dataset


def test_edges2digits_pairs_edge_maps_with_their_digits_and_labels():
    p = load_pairs("edges2digits")
    assert p.a.shape == p.b.shape == (1797, 16, 16, 1) and p.info["kind"] == "paired"
    assert set(np.unique(p.a)) == {-1.0, 1.0} and p.labels is not None and p.labels.max() == 9
    # Edges lie where the digit's intensity changes: the map is the Sobel edge map of the target.
    np.testing.assert_array_equal(p.a, edge_map((p.b + 1) / 2) * 2 - 1)
    with pytest.raises(DataError, match="load_arrays reads"):
        load_arrays("edges2digits")


def test_edge_map_of_a_square_is_its_outline():
    x = np.zeros((1, 8, 8, 1), "float32")
    x[0, 2:6, 2:6] = 1
    e = edge_map(x)[0, ..., 0]
    assert e[4, 4] == 0 and e[0, 0] == 0 and e[2, 4] == 1 and e[4, 1] == 1


def test_paired_jitter_keeps_input_and_target_aligned_and_epochs_replay():
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (12, 8, 8, 1)).astype("float32")
    pairs = PairArrays(a, -a, info={"kind": "paired", "value_range": (-1.0, 1.0)})
    ds = pair_dataset(pairs, batch_size=4, seed=3, augment="jitter_flip")
    first = [(x.numpy(), y.numpy()) for x, y in ds]
    for x, y in first:
        np.testing.assert_allclose(y, -x, atol=1e-6)  # the same crop and flip on both sides
    assert any(not np.isclose(x, a[:4]).all() for x, _ in first)
    again = [(x.numpy(), y.numpy()) for x, y in pair_dataset(pairs, batch_size=4, seed=3, augment="jitter_flip")]
    for (x1, _), (x2, _) in zip(first, again):
        np.testing.assert_array_equal(x1, x2)  # epoch e is a function of (seed, e)
    source = paired.PairBatches(pairs, batch_size=4, seed=3, augment="jitter_flip")
    resumed = [x.numpy() for x, _ in source.stream(start_epoch=0, skip=1, end_epoch=1)]
    np.testing.assert_array_equal(resumed[0], first[1][0])


def test_sr_pipeline_downsamples_the_high_res_batch_bicubically():
    p = load_pairs("sr:x4")
    assert p.b is None and p.info["scale"] == 4 and p.info["kind"] == "super_resolution"
    lr, hr = next(iter(pair_dataset(p, batch_size=8, shuffle=False)))
    assert lr.shape == (8, 4, 4, 1) and hr.shape == (8, 16, 16, 1)
    np.testing.assert_allclose(hr.numpy(), p.a[:8])
    want = np.clip(tf.image.resize(p.a[:8], (4, 4), method="bicubic", antialias=True).numpy(), -1, 1)
    np.testing.assert_allclose(lr.numpy(), want, atol=1e-6)
    photos = load_pairs("sr:x2:photos", image_size=16)
    assert photos.a.shape[1:] == (16, 16, 3) and photos.info["scale"] == 2
    with pytest.raises(DataError, match="sr:xN"):
        load_pairs("sr:4")


def test_unpaired_sources_draw_the_two_sides_independently():
    p = load_pairs("digits2inverted")
    assert p.info["kind"] == "unpaired" and p.a.shape == p.b.shape
    # B is inverted digits from the other half (background +1 after inversion).
    assert p.b.mean() > 0.3 and p.a.mean() < -0.3
    a, b = next(iter(pair_dataset(p, batch_size=16, seed=0)))
    la = {tuple(np.round(x.ravel(), 3)) for x in a.numpy()}
    assert not any(tuple(np.round((-y).ravel(), 3)) in la for y in b.numpy())


def test_colorize_pairs_grey_with_colour_patches():
    p = load_pairs("colorize", num_samples=20)
    assert p.a.shape == (20, 32, 32, 1) and p.b.shape == (20, 32, 32, 3)
    grey = (p.b * np.array([0.299, 0.587, 0.114])).sum(-1, keepdims=True)
    assert np.abs(grey - p.a).mean() < 0.05


def test_npz_and_folder_pairs(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (5, 8, 8), dtype=np.uint8)
    np.savez(tmp_path / "p.npz", inputs=a, targets=255 - a)
    p = load_pairs(f"pairs:{tmp_path / 'p.npz'}")
    np.testing.assert_allclose(p.b, -p.a, atol=1e-6)
    np.savez(tmp_path / "q.npz", edges=a, photos=a)
    with pytest.raises(DataError, match="--image-key and --target-key"):
        load_pairs(f"pairs:{tmp_path / 'q.npz'}")
    assert load_pairs(f"pairs:{tmp_path / 'q.npz'}", image_key="edges", target_key="photos").a.shape == (5, 8, 8, 1)
    for side in ("A", "B"):
        (tmp_path / side).mkdir()
    for i in range(3):
        Image.fromarray(a[i]).save(tmp_path / "A" / f"{i}.png")
        Image.fromarray(255 - a[i]).save(tmp_path / "B" / f"{i}.png")
    Image.fromarray(a[3]).save(tmp_path / "A" / "unmatched.png")
    f = load_pairs(f"pairs:{tmp_path / 'A'},{tmp_path / 'B'}")
    assert len(f.a) == 3 and f.info["unmatched"] == 1
    np.testing.assert_allclose(f.b, -f.a, atol=1e-5)
    with pytest.raises(DataError, match="not image pairs"):
        load_pairs("digits")


def test_photo_train_and_test_parts_share_no_column(monkeypatch):
    import sklearn.datasets

    # Photos whose value is the column index: a patch's values tell which columns it was cropped from.
    ramp = np.broadcast_to((np.arange(640) * 255.0 / 639)[None, :, None], (427, 640, 3)).copy()
    monkeypatch.setattr(sklearn.datasets, "load_sample_images",
                        lambda: type("Bunch", (), {"images": [ramp, ramp]})())
    cut = round(640 * 2 / 3) / 639
    train = load_pairs("sr:x4:photos:train", image_size=32).a  # [-1, 1]
    test = load_pairs("sr:x4:photos:test", image_size=96).a
    assert (train + 1).max() / 2 < cut <= (test + 1).min() / 2
    assert train.shape == (2000, 32, 32, 3) and test.shape == (2000, 96, 96, 3)
    whole = (load_pairs("sr:x4:photos", image_size=32).a + 1) / 2
    assert whole.min() < cut / 2 and whole.max() > (1 + cut) / 2  # the whole photo: both parts
    with pytest.raises(DataError, match=r"photos:test: a 128 px patch needs 256 px of a 213 x 427 photo part"):
        load_pairs("sr:x4:photos:test", image_size=128)
    with pytest.raises(DataError, match="expected photos, photos:train or photos:test"):
        load_pairs("sr:x4:photos:val")
