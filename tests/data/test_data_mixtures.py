import numpy as np
import pytest

from kgen import data


def test_ring8_centres_are_8_distinct_points_on_unit_circle():
    ring = data.ring8()
    assert ring.name == "ring8"
    assert ring.std == 0.01
    assert ring.centers.dtype == np.float32 and ring.centers.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(ring.centers, axis=1), 1.0, atol=1e-6)
    assert len(np.unique(np.round(ring.centers, 4), axis=0)) == 8
    assert ring.centers[0].tolist() == [1.0, 0.0]
    assert ring.centers[2].tolist() == [0.0, 1.0]


def test_grid25_centres():
    grid = data.grid25()
    assert grid.name == "grid25" and grid.std == 0.05
    assert grid.centers.dtype == np.float32 and grid.centers.shape == (25, 2)
    expected = {(a, b) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(c) for c in grid.centers.astype(int).tolist()} == expected


@pytest.mark.parametrize("factory", [data.ring8, data.grid25])
def test_sample_matches_modes_and_std(factory):
    mixture = factory()
    points, modes = mixture.sample(20000, seed=1)
    assert points.shape == (20000, 2) and points.dtype == np.float32
    assert modes.shape == (20000,) and modes.dtype == np.int32
    assert set(np.unique(modes)) == set(range(mixture.num_modes))
    offsets = points - mixture.centers[modes]
    assert offsets.std() == pytest.approx(mixture.std, rel=0.05)
    ids, dist = mixture.nearest_mode(points)
    np.testing.assert_array_equal(ids, modes)
    assert (dist < 5 * mixture.std).all()


def test_sample_is_reproducible_with_seed():
    a, _ = data.ring8().sample(5, seed=3)
    b, _ = data.ring8().sample(5, seed=3)
    c, _ = data.ring8().sample(5, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_get_mixture_and_unknown_name():
    assert data.get_mixture("grid25").num_modes == 25
    with pytest.raises(data.DataError, match=r"unknown mixture 'ring9'.*'grid25', 'ring8'"):
        data.get_mixture("ring9")


def test_mixture_arrays_are_not_rescaled_and_expose_mixture():
    arrays = data.load_arrays("grid25", num_samples=5000, seed=0)
    assert arrays.x.shape == (5000, 2)
    assert arrays.x.max() > 4.0 - 0.3 and arrays.x.min() < -4.0 + 0.3
    assert arrays.info["mixture"].name == "grid25"
    assert arrays.info["value_range"] is None
    assert arrays.info["kind"] == "points"
    assert arrays.num_classes == 25
    assert arrays.y.max() < 25


def test_mixture_dataset_elements():
    ds = data.load("ring8", batch_size=100, num_samples=1000, seed=0, image_size=16)
    assert ds.element_spec.shape.as_list() == [100, 2]
    batches = [b.numpy() for b in ds]
    assert len(batches) == 10 and batches[0].dtype == np.float32
    radii = np.linalg.norm(np.concatenate(batches), axis=1)
    assert np.abs(radii - 1.0).max() < 0.1  # raw unit-circle points, not rescaled
    x, y = next(iter(data.load("ring8", batch_size=8, num_samples=64, labels=True)))
    assert y.dtype.name == "int32" and x.shape == (8, 2)


def test_mixture_bad_num_samples():
    with pytest.raises(data.DataError, match=r"num_samples must be a positive integer. Received: num_samples=0"):
        data.load_arrays("ring8", num_samples=0)
