"""Sequence sources: text:FILE character ids, sequence .npz files, the embedded sines."""

from pathlib import Path

import numpy as np
import pytest

from kgen import data

SHAKESPEARE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tinyshakespeare.txt"


def test_text_ids_decode_back_and_split_90_10_without_straddling(tmp_path):
    text = "".join(chr(ord("a") + i % 7) for i in range(1000))
    (tmp_path / "t.txt").write_text(text)
    seqs = data.load_sequences(f"text:{tmp_path / 't.txt'}", length=30)
    assert seqs.vocabulary == sorted(set(text)) and seqs.x.dtype == np.int32
    decode = lambda row: "".join(seqs.vocabulary[i] for i in row)  # noqa: E731
    # Non-overlapping windows of the first 900 characters, then of the last 100.
    assert seqs.x.shape == (30, 30) and seqs.x_val.shape == (3, 30)
    assert decode(seqs.x[0]) == text[:30] and decode(seqs.x[-1]) == text[870:900]
    assert decode(seqs.x_val[0]) == text[900:930] and decode(seqs.x_val[-1]) == text[960:990]
    assert seqs.info["num_validation"] == 3 and seqs.vocabulary_size == 7
    strided = data.load_sequences(f"text:{tmp_path / 't.txt'}", length=30, stride=10, validation_split=0)
    assert strided.x_val is None and len(strided.x) == (1000 - 30) // 10 + 1
    assert decode(strided.x[1]) == text[10:40]


def test_tiny_shakespeare_vocabulary_and_one_hot_batches():
    seqs = data.load_sequences(f"text:{SHAKESPEARE}", length=65)
    assert len(seqs.vocabulary) == 65 and "".join(seqs.vocabulary[i] for i in seqs.x[0][:9]) == "First Cit"
    batch = next(iter(data.sequence_dataset(seqs.x[:8], seqs.vocabulary_size, batch_size=4,
                                             shuffle=False))).numpy()
    assert batch.shape == (4, 65, 65)
    np.testing.assert_array_equal(batch.argmax(-1), seqs.x[:4])
    np.testing.assert_array_equal(batch.sum(-1), 1.0)
    ids = next(iter(data.sequence_dataset(seqs.x[:8], batch_size=4, shuffle=False))).numpy()
    assert ids.dtype == np.int32 and ids.shape == (4, 65)  # no vocabulary size: ids stay ids


def test_sequence_npz_features_and_ids(tmp_path):
    features = np.random.default_rng(0).normal(size=(20, 5)).astype(np.float32)
    np.savez(tmp_path / "f.npz", x=features)
    seqs = data.load_sequences(tmp_path / "f.npz")
    assert seqs.x.shape == (18, 5, 1) and seqs.x_val.shape == (2, 5, 1) and not seqs.is_ids
    np.testing.assert_array_equal(seqs.x_val[..., 0], features[18:])
    np.savez(tmp_path / "ids.npz", sequences=np.arange(40).reshape(10, 4) % 3,
             vocabulary=np.array(["x", "y", "z"]))
    seqs = data.load_sequences(str(tmp_path / "ids.npz"), validation_split=0)
    assert seqs.is_ids and seqs.vocabulary == ["x", "y", "z"] and seqs.features().shape == (10, 4, 3)
    np.savez(tmp_path / "short_vocab.npz", sequences=np.array([[0, 5]]), vocabulary=np.array(["a"]))
    with pytest.raises(data.DataError, match="ids go up to 5 but 'vocabulary' has 1 entries"):
        data.load_sequences(str(tmp_path / "short_vocab.npz"), validation_split=0)


def test_sines_are_padded_at_the_end_and_masked_steps_are_exactly_zero():
    seqs = data.load_sequences("sines", length=16, seed=1)
    assert seqs.x.shape == (1800, 16, 1) and seqs.x_val.shape == (200, 16, 1)
    lengths = np.asarray(seqs.info["lengths"])
    steps = np.arange(16)[None, :]
    real = np.abs(seqs.x[..., 0]) > 0
    np.testing.assert_array_equal(real, steps < lengths[:, None])
    assert lengths.min() >= 8 and lengths.max() <= 16
    np.testing.assert_array_equal(data.load_sequences("sines", length=16, seed=1).x, seqs.x)


def test_images_are_not_sequences():
    with pytest.raises(data.DataError, match="source 'digits' does not hold sequences"):
        data.load_sequences("digits")
