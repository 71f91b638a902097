"""Sequence sources: ``text:FILE`` (character ids), sequence ``.npz`` files, ``sines``.

``text:FILE`` reads a UTF-8 text, maps each character to an integer id (the
vocabulary is the sorted set of characters, kept in ``info["vocabulary"]``),
splits the character stream into the first ``1 - validation_split`` (train)
and the rest (validation) *before* cutting windows, so no window straddles
the split, and cuts each part into windows of ``length`` ids every ``stride``
characters (default: non-overlapping). A character-level language model that
predicts the next character takes ``length = T + 1`` and trains on
``x[:, :-1] -> x[:, 1:]``.

A sequence ``.npz`` holds ``sequences`` (or ``x`` / ``x_train``): float
features ``(N, T, F)`` (``(N, T)`` gets ``F = 1``) zero-padded at the end, or
integer ids ``(N, T)`` with an optional ``vocabulary`` string array. The last
``validation_split`` of the examples is held out.

``sines`` is the embedded default: noisy sine waves of varied length.

Example:
    >>> from kgen import data
    >>> seqs = data.load_sequences("text:../shared/data/tinyshakespeare.txt", length=65)  # doctest: +SKIP
    >>> seqs.x.shape, seqs.x.dtype, len(seqs.vocabulary)  # doctest: +SKIP
    ((15686, 65), dtype('int32'), 65)
    >>> "".join(seqs.vocabulary[i] for i in seqs.x[0][:9])  # doctest: +SKIP
    'First Cit'
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import io
import zipfile
from pathlib import Path
from typing import Optional

import numpy as np

from kgen.data._validate import DataError, check_finite
from kgen.data.registry import SourceData, SourceRequest, register_source, resolve_source

__all__ = ["DEFAULT_LENGTH", "SequenceArrays", "load_sequence_npz", "load_sequences", "load_sines",
           "load_text", "sequence_dataset"]

#: Window length of ``text:FILE`` when none is given.
DEFAULT_LENGTH = 100

_SEQUENCE_KEYS = ("sequences", "x", "x_train")


def _register_sequences(name, **kwargs):
    """`register_source` for a source of sequences (`kind="sequences"`)."""
    return register_source(name, kind="sequences", **kwargs)


@dataclasses.dataclass
class SequenceArrays:
    """A loaded sequence data set: training and validation windows in memory.

    Attributes:
        x: training sequences: int32 ids ``(N, T)`` or float32 features ``(N, T, F)``.
        x_val: validation sequences of the same kind, or ``None`` (``validation_split=0``).
        vocabulary: for ids, ``vocabulary[i]`` is the token of id ``i``
            (characters for ``text:FILE``); ``None`` for features.
        info: ``source``, ``kind`` (``"sequences"``), ``encoding`` (``"ids"`` or
            ``"features"``), ``vocabulary`` (as the attribute), ``length``,
            ``stride``, ``validation_split``, ``num_examples``,
            ``num_validation`` and source-specific keys.

    Example:
        >>> seqs = SequenceArrays(np.zeros((2, 5), np.int32), None, ["a"], {})
        >>> seqs.features().shape
        (2, 5, 1)
    """

    x: np.ndarray
    x_val: Optional[np.ndarray]
    vocabulary: Optional[list]
    info: dict

    @property
    def is_ids(self) -> bool:
        """Whether the sequences are integer token ids."""
        return self.x.ndim == 2

    @property
    def vocabulary_size(self) -> Optional[int]:
        """Number of distinct ids, or ``None`` for features."""
        return len(self.vocabulary) if self.vocabulary is not None else None

    def features(self, x=None) -> np.ndarray:
        """``x`` (default: the training set) as float32 features: ids become one-hot vectors.

        Args:
            x: ids ``(N, T)`` or features ``(N, T, F)``; default ``self.x``.

        Returns:
            float32 ``(N, T, F)`` (``F`` = vocabulary size for ids).
        """
        x = self.x if x is None else x
        if x.ndim == 3:
            return x.astype(np.float32, copy=False)
        return np.eye(self.vocabulary_size, dtype=np.float32)[x]


def sequence_dataset(x, vocabulary_size=None, *, batch_size=64, shuffle=True, seed=0, repeat=False,
                     drop_remainder=True):
    """Batch sequences into a ``tf.data.Dataset``; ids become one-hot features batch by batch.

    One-hot vectors are made per batch, so a long text's windows stay int32
    in memory (a 1 MB text is 4 MB of ids but 260 MB of float32 one-hot).

    Args:
        x: int32 ids ``(N, T)`` or float32 features ``(N, T, F)``.
        vocabulary_size: one-hot width for ids; ``None`` keeps ``x`` as it is
            (ids stay ids, e.g. for a character RNN's embedding).
        batch_size: sequences per batch.
        shuffle: reshuffle every epoch.
        seed: shuffle seed.
        repeat: repeat forever.
        drop_remainder: drop the last partial batch.

    Returns:
        A dataset of ``(B, T)`` int32 or ``(B, T, F)`` float32 batches.

    Example:
        >>> seqs = load_sequences("sines")
        >>> next(iter(sequence_dataset(seqs.x, batch_size=8))).shape
        TensorShape([8, 32, 1])
    """
    import tensorflow as tf  # deferred: the loaders are numpy-only

    x = np.asarray(x)
    ds = tf.data.Dataset.from_tensor_slices(x)
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(int(batch_size), drop_remainder=drop_remainder)
    if vocabulary_size is not None and x.ndim == 2:
        ds = ds.map(lambda ids: tf.one_hot(ids, int(vocabulary_size), dtype=tf.float32),
                    num_parallel_calls=tf.data.AUTOTUNE)
    elif x.ndim == 3:
        ds = ds.map(lambda f: tf.cast(f, tf.float32))
    return ds.prefetch(tf.data.AUTOTUNE)


def _windows(ids: np.ndarray, length: int, stride: int) -> np.ndarray:
    count = (len(ids) - length) // stride + 1
    index = np.arange(length)[None, :] + stride * np.arange(count)[:, None]
    return ids[index]


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise DataError(f"{name} must be an integer >= {low}. Received: {name}={value!r}")
    return int(value)


def _check_split(validation_split):
    try:
        split = float(validation_split)
    except (TypeError, ValueError):
        split = float("nan")
    if not 0.0 <= split < 1.0:
        raise DataError("validation_split must lie in [0, 1), e.g. 0.1. "
                        f"Received: validation_split={validation_split!r}")
    return split


@_register_sequences(
    "text",
    prefix=True,
    options=("length", "stride", "validation_split"),
    description="a UTF-8 text as character-id windows: 'text:<file>'",
)
def load_text(request: SourceRequest) -> SourceData:
    """Read a UTF-8 text file into windows of character ids.

    Args:
        request: ``request.arg`` is the file path. Options: ``length``
            (default 100), ``stride`` (default ``length``),
            ``validation_split`` (default 0.1: the last 10 % of the text).

    Returns:
        :class:`SourceData` of kind ``"sequences"``: ``x`` int32 ``(N, length)``
        training windows; ``info`` holds ``vocabulary`` and ``validation`` (the
        validation windows, or ``None``).

    Example:
        >>> from kgen import data
        >>> data.load_sequences("text:notes.txt", length=32).vocabulary[:3]  # doctest: +SKIP
        ['\\n', ' ', '!']
    """
    path = Path(request.arg).expanduser()
    if not path.is_file():
        raise DataError(f"text file not found: '{path}' (resolved to '{path.resolve()}'); pass "
                        "text:<path to a UTF-8 text file>.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"'{path}' is not UTF-8 text (byte {err.start}: {raw[err.start:err.start + 1]!r}); "
                        "re-encode it, e.g. `iconv -f latin1 -t utf-8`.") from None
    return _text_windows(text, f"'{path}'", request, {"path": str(path)})


def _text_windows(text, where, request, info=None):
    """Character-id windows of `text` (first part training, last `validation_split` validation)."""
    opts = request.options
    length = _check_int("length", opts.get("length", DEFAULT_LENGTH), 2)
    stride = _check_int("stride", opts.get("stride") or length, 1)
    split = _check_split(opts.get("validation_split", 0.1))
    vocabulary = sorted(set(text))
    index = {ch: i for i, ch in enumerate(vocabulary)}
    ids = np.fromiter((index[ch] for ch in text), np.int32, len(text))
    cut = len(ids) - int(round(split * len(ids)))
    train, val = ids[:cut], ids[cut:]
    if len(train) < length:
        raise DataError(f"{where} has {len(text)} characters: its first {cut} (the training part) "
                        f"are fewer than one window of length={length}; lower length, or use a "
                        "longer text.")
    if split and len(val) < length:
        raise DataError(f"{where}: the last {split:.0%} ({len(val)} characters) hold no window of "
                        f"length={length}; lower length, or pass validation_split=0.")
    return SourceData(
        x=_windows(train, length, stride),
        kind="sequences",
        info={**(info or {}), "vocabulary": vocabulary, "num_characters": len(text),
              "validation": _windows(val, length, stride) if split else None,
              "encoding": "ids", "length": length, "stride": stride, "validation_split": split},
    )


@_register_sequences(
    "zen",
    options=("length", "stride", "validation_split"),
    description="embedded text: the Zen of Python (PEP 20), 856 characters, for smoke runs of character models",
)
def load_zen(request: SourceRequest) -> SourceData:
    """The Zen of Python (PEP 20) as character-id windows: the embedded default of character models.

    Offline and tiny (856 characters): enough to check that a character
    model trains and samples; train on a real corpus with ``text:FILE``.
    Same options and result as :func:`load_text`, but windows overlap by
    default (``stride`` 1, ``length`` 32) so the tiny text gives hundreds.

    Example:
        >>> from kgen import data
        >>> len(data.load_sequences("zen").vocabulary)  # doctest: +SKIP
        42
    """
    # `import this` prints the text on first import: read it quietly.
    with contextlib.redirect_stdout(io.StringIO()):
        import this
    text = codecs.decode(this.s, "rot13")
    opts = {"length": 32, "stride": 1, **{k: v for k, v in request.options.items() if v is not None}}
    return _text_windows(text, "the Zen of Python", dataclasses.replace(request, options=opts))


@_register_sequences(
    "sines",
    options=("num_samples", "length", "validation_split"),
    description="embedded synthetic sequences: noisy sine waves of varied length, zero-padded",
)
def load_sines(request: SourceRequest) -> SourceData:
    """Noisy sine waves ``(N, T, 1)`` with random frequency, phase and amplitude, lengths T/2..T.

    The embedded default of sequence models (like ``digits`` for images):
    offline, seeded, and with end padding that the sequence autoencoder masks.
    Values lie in [-1, 1] and real steps are never exactly 0 (so padding is
    unambiguous).

    Args:
        request: options ``num_samples`` (default 2,000), ``length`` (default
            32), ``validation_split`` (default 0.1, the last sequences).

    Returns:
        :class:`SourceData` of kind ``"sequences"``.

    Example:
        >>> from kgen import data
        >>> data.load_sequences("sines", length=16).x.shape
        (1800, 16, 1)
    """
    opts = request.options
    n = _check_int("num_samples", opts.get("num_samples", 2000), 2)
    length = _check_int("length", opts.get("length", 32), 4)
    split = _check_split(opts.get("validation_split", 0.1))
    rng = np.random.default_rng(request.seed)
    t = np.arange(length)[None, :]
    freq = rng.uniform(0.05, 0.25, (n, 1))
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1))
    amplitude = rng.uniform(0.3, 0.9, (n, 1))
    x = amplitude * np.sin(2 * np.pi * freq * t + phase) + rng.normal(0.0, 0.02, (n, length))
    x = np.where(np.abs(x) < 1e-3, 1e-3, x)  # keep real steps distinguishable from padding
    lengths = rng.integers(length // 2, length + 1, n)
    x = np.where(t < lengths[:, None], x, 0.0).astype(np.float32)[..., None]
    cut = n - int(round(split * n))
    return SourceData(x=x[:cut], kind="sequences",
                      info={"encoding": "features", "lengths": lengths[:cut].tolist(),
                            "validation": x[cut:] if split else None, "length": length,
                            "validation_split": split})


def load_sequence_npz(request: SourceRequest) -> SourceData:
    """Load sequences from a ``.npz`` file (see the module docstring for the layout).

    Args:
        request: ``request.arg`` is the path. Options: ``sequence_key``,
            ``validation_split`` (default 0.1).

    Returns:
        :class:`SourceData` of kind ``"sequences"``; ``info["validation"]`` holds
        the held-out examples.
    """
    path = Path(request.arg)
    split = _check_split(request.options.get("validation_split", 0.1))
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise DataError(f"could not read {path} as a .npz file ({type(err).__name__}: {err}); save "
                        "sequences with np.savez(path, sequences=...).") from None
    with archive:
        keys = list(archive.files)
        key = request.options.get("sequence_key") or next((k for k in _SEQUENCE_KEYS if k in keys), None)
        if key not in keys:
            raise DataError(f"no sequence array in {path}: found keys {keys}, expected one of "
                            f"{list(_SEQUENCE_KEYS)} ((N, T, F) features or (N, T) ids).")
        try:
            x = archive[key]
            vocabulary = [str(v) for v in archive["vocabulary"]] if "vocabulary" in keys else None
        except ValueError as err:
            raise DataError(f"could not read arrays from {path} ({err}); store plain numeric "
                            "arrays (no Python objects).") from None
    if x.ndim not in (2, 3) or 0 in x.shape:
        raise DataError(f"expected sequences of shape (N, T, F) or (N, T) in {path}[{key!r}]. "
                        f"Received: shape={x.shape}")
    if np.issubdtype(x.dtype, np.integer) and x.ndim == 2:
        if x.min() < 0:
            raise DataError(f"sequence ids in {path} must be >= 0. Received: min={x.min()}")
        size = int(x.max()) + 1
        if vocabulary is not None and len(vocabulary) < size:
            raise DataError(f"{path}: ids go up to {size - 1} but 'vocabulary' has {len(vocabulary)} "
                            "entries; store one entry per id.")
        vocabulary = vocabulary or [str(i) for i in range(size)]
        x, encoding = x.astype(np.int32), "ids"
    elif np.issubdtype(x.dtype, np.number):
        x = x.astype(np.float32)
        check_finite(x, f"sequences in {path}")
        x, encoding, vocabulary = (x[..., None] if x.ndim == 2 else x), "features", None
    else:
        raise DataError(f"sequences in {path} must be numeric. Received: dtype={x.dtype}")
    cut = len(x) - int(round(split * len(x)))
    if cut < 1 or (split and cut == len(x)):
        raise DataError(f"{path} holds {len(x)} sequence(s), too few to hold out "
                        f"validation_split={split:g}; pass validation_split=0 or add sequences.")
    return SourceData(x=x[:cut], kind="sequences",
                      info={"path": str(path), "sequence_key": key, "vocabulary": vocabulary,
                            "encoding": encoding, "validation": x[cut:] if split else None,
                            "length": int(x.shape[1]), "validation_split": split})


def load_sequences(source, *, length=None, stride=None, validation_split=0.1, seed=0,
                   **options) -> SequenceArrays:
    """Load a sequence source: ``text:FILE`` or a sequence ``.npz``.

    Args:
        source: ``"text:<file>"``, a ``.npz`` path, or a registered source of
            kind ``"sequences"``.
        length: window length of text sources (default 100); ignored by
            ``.npz`` files, whose sequences keep their length.
        stride: characters between window starts (default ``length``).
        seed: seed of sampling sources (``sines``).
        validation_split: fraction held out at the end (text: of the
            characters; ``.npz``: of the sequences).
        **options: source options (``sequence_key`` for ``.npz``).

    Returns:
        A :class:`SequenceArrays`.

    Example:
        >>> seqs = load_sequences("text:../shared/data/tinyshakespeare.txt", length=33)  # doctest: +SKIP
        >>> seqs.features().shape[-1] == seqs.vocabulary_size  # doctest: +SKIP
        True
    """
    spec = str(source)
    path = Path(spec).expanduser()
    if path.suffix.lower() == ".npz" and path.is_file():
        if length is not None or stride is not None:
            raise DataError(f"length/stride do not apply to {path}: .npz sequences keep their stored "
                            "length; drop length=.")
        request = SourceRequest(spec=spec, arg=str(path),
                                options={"validation_split": validation_split, **options})
        data = load_sequence_npz(request)
    else:
        src, arg = resolve_source(spec)
        opts = {"validation_split": validation_split, **options}
        if length is not None:
            opts["length"] = length
        if stride is not None:
            opts["stride"] = stride
        request = SourceRequest(spec=spec, arg=arg, options=opts, seed=seed)
        data = src.loader(request) if src.kind == "sequences" else None
        if data is None or data.kind != "sequences":
            raise DataError(f"source {spec!r} does not hold sequences; sequence models train on "
                            "text:<file> or a .npz with a 'sequences' array (N, T, F).")
    info = dict(data.info)
    x_val = info.pop("validation", None)
    vocabulary = info.get("vocabulary")
    info.update(source=spec, kind="sequences", num_examples=int(len(data.x)),
                num_validation=0 if x_val is None else int(len(x_val)))
    return SequenceArrays(x=data.x, x_val=x_val, vocabulary=vocabulary, info=info)
