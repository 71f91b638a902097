"""EpochBatches: epoch e's order is a pure function of (seed, e), rebuilt from any step."""

import numpy as np

from kgen import data


def _ids(ds):
    return [b.numpy()[:, 0].astype(int).tolist() for b in ds]


def test_any_epoch_from_any_step_is_rebuilt_in_a_new_pipeline():
    x = np.arange(20, dtype="float32")[:, None]
    ds = data.to_dataset(x, batch_size=4, seed=7)
    passes = [_ids(ds) for _ in range(3)]  # the k-th pass over the dataset is epoch k
    assert len({str(p) for p in passes}) == 3
    for p in passes:
        assert sorted(sum(p, [])) == list(range(20))
    source = data.epoch_source(ds)
    assert source.steps_per_epoch == 5 and source.shuffle_seed(2) == (7, 2)
    fresh = data.EpochBatches(x, batch_size=4, seed=7)  # another process, same seed
    assert _ids(fresh.stream(0, end_epoch=3)) == sum(passes, [])
    assert _ids(fresh.stream(1, skip=3, end_epoch=3)) == passes[1][3:] + passes[2]
    assert _ids(data.EpochBatches(x, batch_size=4, seed=8).stream(0, end_epoch=1)) != passes[0]


def test_labels_follow_their_examples_and_long_epochs_take_several_passes():
    x = np.arange(10, dtype="float32")[:, None]
    y = np.arange(10, dtype="int32")
    source = data.EpochBatches(x, y, batch_size=3, seed=0, drop_remainder=False)
    assert source.steps_per_epoch == 4
    batches = list(source.stream(0, steps=9, end_epoch=1))
    assert len(batches) == 9
    for bx, by in batches:
        np.testing.assert_array_equal(bx.numpy()[:, 0], by.numpy())
    seen = np.concatenate([by.numpy() for _, by in batches[:4]])
    assert sorted(seen.tolist()) == list(range(10))  # the first pass covers every example once
    assert data.epoch_source(data.to_dataset(x, batch_size=3).map(lambda b: b)) is None
