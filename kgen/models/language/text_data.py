"""Character streams and the two batchings of truncated back-propagation through time.

Reading a text (UTF-8 decoding, the vocabulary as the sorted set of its
characters, the 90/10 train/validation split of the characters) is
`kgen.data.load_sequences("text:FILE")`; this module only batches what it reads:

- **fixed windows** (`window_dataset`): independent windows of `T + 1` ids
  (`load_sequences(..., length=T + 1, stride=T)`), shuffled; each starts from
  the zero state, and the model learns `x[:, :-1] -> x[:, 1:]`.
- **stateful streams** (`stream_dataset`): the stream is cut into `B`
  contiguous tracks, one per batch row, and batch `k` holds chunk `k` (ids
  `k*T .. k*T + T`) of every track, so row `b` of batch `k + 1` continues
  row `b` of batch `k`. A stateful `CharRNN` carries each row's final state
  into the next batch (gradients stop at the chunk boundary: truncated BPTT
  over `T` steps, with context from the whole track). Each batch carries a
  `reset` flag per row, 1 on a track's first chunk, so every pass over the
  data (epoch) starts from the zero state, and, with `reset_every=R`, on
  every R-th chunk of a track (staggered over the rows): a model that only
  ever continued warm states writes garbage from the zero state that every
  sample starts from (measured: ~80 characters of noise after "ROMEO:"
  with no periodic reset).

Example:
    >>> train, val, vocabulary = load_text_stream("text:../shared/data/tinyshakespeare.txt")
    >>> ds = stream_dataset(train, batch_size=64, length=100)   # {"ids": (64, 101), "reset": (64,)}
"""

import collections
from pathlib import Path

import numpy as np
import tensorflow as tf

from kgen.data import load_sequences

TextStream = collections.namedtuple("TextStream", ["train", "validation", "vocabulary"])


def _text_source(source):
    text = str(source)
    if text.startswith("text:"):
        return text
    path = Path(text).expanduser()
    if path.is_file() and path.suffix.lower() != ".npz":
        return f"text:{text}"
    return text


def load_text_stream(source, validation_split=0.1):
    """Read a text source as two id streams and its vocabulary.

    Args:
        source: `"text:FILE"` (or the path of a UTF-8 text file).
        validation_split: the last fraction of the characters held out.

    Returns:
        `TextStream(train, validation, vocabulary)`: int32 id arrays (the
        validation one None when `validation_split=0`) and the list of
        characters, id `i` being `vocabulary[i]`.

    Example:
        >>> stream = load_text_stream("notes.txt")
        >>> "".join(stream.vocabulary[i] for i in stream.train[:5])
    """
    # Windows of 2 every 2 characters tile each part of the text (the split is
    # cut before windowing), so flattening them gives the stream back, less at
    # most its last character.
    seqs = load_sequences(_text_source(source), length=2, stride=2, validation_split=validation_split)
    if not seqs.is_ids:
        raise ValueError(f"expected a text source of character ids. Received: {source!r} "
                         f"({seqs.info.get('encoding')} sequences)")
    val = None if seqs.x_val is None else np.ascontiguousarray(seqs.x_val.reshape(-1))
    return TextStream(np.ascontiguousarray(seqs.x.reshape(-1)), val, list(seqs.vocabulary))


def encode(text, vocabulary):
    """Map a string to int32 ids of `vocabulary` (a string or list of characters).

    Raises:
        ValueError: naming the characters the vocabulary lacks.

    Example:
        >>> encode("abba", "ab")
        array([0, 1, 1, 0], dtype=int32)
    """
    index = {ch: i for i, ch in enumerate(vocabulary)}
    unknown = sorted({ch for ch in text if ch not in index})
    if unknown:
        raise ValueError(f"characters {unknown} are not in the model's vocabulary of {len(index)} "
                         f"characters ({''.join(vocabulary)[:80]!r}...); remove them from the text.")
    return np.fromiter((index[ch] for ch in text), np.int32, len(text))


def decode(ids, vocabulary):
    """Map ids back to a string."""
    return "".join(vocabulary[int(i)] for i in np.asarray(ids).reshape(-1))


def stream_batches(ids, batch_size, length, reset_every=None):
    """The arrays of `stream_dataset`: ids `(K, B, T + 1)` and reset flags `(K, B)`.

    Track `b` is `ids[b*L : (b+1)*L + 1]` with `L = (len(ids) - 1) // B`;
    chunk `k` of a track is its ids `k*T .. k*T + T` (the last id of a chunk is
    the first of the next: every id but a track's first is predicted once).
    Row `b` resets on chunk 0 and, with `reset_every=R`, on the chunks `k`
    with `(k + b) % R == 0`.
    """
    ids = np.asarray(ids, np.int32).reshape(-1)
    batch_size, length = int(batch_size), int(length)
    if batch_size < 1 or length < 1:
        raise ValueError(f"expected batch_size >= 1 and length >= 1. Received: {batch_size}, {length}")
    track = (len(ids) - 1) // batch_size
    chunks = track // length
    if chunks < 1:
        raise ValueError(f"a stream of {len(ids)} characters holds no chunk of length={length} in each "
                         f"of batch_size={batch_size} tracks; lower batch_size or length.")
    starts = np.arange(batch_size)[None, :] * track + np.arange(chunks)[:, None] * length
    windows = ids[starts[..., None] + np.arange(length + 1)]
    reset = np.zeros((chunks, batch_size), np.float32)
    if reset_every:
        if int(reset_every) < 1:
            raise ValueError(f"expected reset_every >= 1 (or None). Received: reset_every={reset_every}")
        k, b = np.meshgrid(np.arange(chunks), np.arange(batch_size), indexing="ij")
        reset[(k + b) % int(reset_every) == 0] = 1.0
    reset[0] = 1.0
    return windows, reset


#: Chunks between a track's resets in `stream_dataset` (its default): 1 chunk in 10 starts cold.
DEFAULT_RESET_EVERY = 10


def stream_dataset(ids, batch_size, length, reset_every=DEFAULT_RESET_EVERY):
    """Stateful batches of a stream: `{"ids": (B, T + 1), "reset": (B,)}` (see the module docstring).

    Under a strategy the batch rows are split among replicas the same way at
    every step, so each replica carries the states of its own tracks.

    Args:
        ids: the id stream (e.g. `load_text_stream(...).train`).
        batch_size: tracks B (the global batch).
        length: BPTT length T.
        reset_every: reset each track every this many chunks, staggered over
            the rows (None: only at the start of each pass).

    Returns:
        A `tf.data.Dataset` of `K = ((len(ids) - 1) // B) // T` batches, in order.
    """
    windows, reset = stream_batches(ids, batch_size, length, reset_every)
    rows = {"ids": windows.reshape(-1, windows.shape[-1]), "reset": reset.reshape(-1)}
    return tf.data.Dataset.from_tensor_slices(rows).batch(int(batch_size), drop_remainder=True)


def window_dataset(windows, batch_size, shuffle=True, seed=0, drop_remainder=True):
    """Batches of fixed windows `(B, T + 1)` (e.g. `load_sequences(..., length=T + 1, stride=T).x`).

    Args:
        windows: int ids `(N, T + 1)`.
        batch_size: windows per batch.
        shuffle: reshuffle the windows every epoch (seeded).
        seed: shuffle seed.
        drop_remainder: drop a last, smaller batch (keep it for evaluation).

    Returns:
        A `tf.data.Dataset` of int32 `(B, T + 1)` batches.
    """
    windows = np.asarray(windows, np.int32)
    if windows.ndim != 2 or windows.shape[1] < 2:
        raise ValueError(f"expected windows of ids (N, T + 1) with T >= 1. Received: shape={windows.shape}")
    ds = tf.data.Dataset.from_tensor_slices(windows)
    if shuffle:
        ds = ds.shuffle(len(windows), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(int(batch_size), drop_remainder=drop_remainder)
