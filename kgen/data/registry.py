"""The source registry: how a ``source`` argument becomes a loader call.

A new data source is a new module with one decorated function; nothing
central needs an extra ``elif``. Sources are found, in order, by exact name
(``"digits"``), by ``name:argument`` prefix (``"tfds:mnist:train"``), and
finally by a path matcher (``"data/faces/"``, ``"x.npz"``).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from kgen.data._validate import DataError

__all__ = [
    "Source",
    "SourceData",
    "SourceRequest",
    "available_sources",
    "get_source",
    "register_source",
    "resolve_source",
]


@dataclasses.dataclass(frozen=True)
class SourceRequest:
    """What the caller asked for, handed to a source loader.

    Attributes:
        spec: the full ``source`` argument as given (e.g. ``"tfds:mnist:test"``).
        arg: the part after ``"name:"`` for prefixed sources, the path for path
            sources, else ``None``.
        image_size: requested ``(height, width)`` or ``None`` (native size).
        channels: requested channel count or ``None``.
        labels: ``True`` if labels are required, ``False`` if they will be
            dropped, ``None`` if they are wanted when available.
        on_error: ``"raise"`` or ``"skip"`` for unreadable files.
        seed: seed for sources that sample (mixtures).
        options: source-specific keyword options (already checked against the
            source's declared ``options``).

    Example:
        >>> SourceRequest(spec="digits").image_size is None
        True
    """

    spec: str
    arg: Optional[str] = None
    image_size: Optional[tuple] = None
    channels: Optional[int] = None
    labels: Optional[bool] = None
    on_error: str = "raise"
    seed: Optional[int] = 0
    options: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class SourceData:
    """What a source loader returns, before the shared scaling/resizing.

    Attributes:
        x: images as (N, H, W[, C]) in their native values (any numeric dtype),
            or points as (N, D) when ``kind == "points"``, or sequences
            (ids (N, T) / features (N, T, F)) when ``kind == "sequences"``.
        y: integer labels (N,) or ``None``.
        raw_range: the ``(low, high)`` range that ``x``'s native values span
            (e.g. ``(0, 255)`` for uint8, ``(0, 16)`` for sklearn digits);
            ``None`` for points.
        kind: ``"images"``, ``"points"`` or ``"sequences"`` (read with
            :func:`kgen.data.load_sequences`).
        x_is_unit: ``x`` is already float in [0, 1] (decoded files); ``raw_range``
            then only says what ``scale=None`` should map it back to.
        num_classes: known class count, or ``None`` to infer from ``y``.
        class_names: names for class ids 0..K-1, or ``None``.
        info: extra metadata merged into :attr:`DataArrays.info`.

    Example:
        >>> import numpy as np
        >>> SourceData(x=np.zeros((1, 8, 8), np.uint8), raw_range=(0, 255)).kind
        'images'
    """

    x: np.ndarray
    y: Optional[np.ndarray] = None
    raw_range: Optional[tuple] = None
    kind: str = "images"
    x_is_unit: bool = False
    num_classes: Optional[int] = None
    class_names: Optional[list] = None
    info: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Source:
    """A registered data source.

    Attributes:
        name: registry key (e.g. ``"digits"``, ``"tfds"``, ``"npz"``).
        loader: ``loader(request: SourceRequest) -> SourceData``.
        prefix: accepts ``"name:argument"`` specs.
        match: optional ``match(path: Path) -> bool`` claiming existing paths.
        options: names of the extra keyword options the loader accepts.
        default_image_size: ``(h, w)`` used when the caller passes
            ``image_size=None``; ``None`` keeps the native size.
        description: one line shown in "unknown source" errors.

    Example:
        >>> get_source("digits").default_image_size
        (16, 16)
    """

    name: str
    loader: Callable[[SourceRequest], SourceData]
    prefix: bool = False
    match: Optional[Callable[[Path], bool]] = None
    options: tuple = ()
    default_image_size: Optional[tuple] = None
    description: str = ""


_REGISTRY: dict[str, Source] = {}


def register_source(
    name: str,
    *,
    prefix: bool = False,
    match: Optional[Callable[[Path], bool]] = None,
    options: tuple = (),
    default_image_size: Optional[int] = None,
    description: str = "",
    replace: bool = False,
):
    """Decorator that registers a loader as a named data source.

    Args:
        name: the source name users pass to :func:`kgen.data.load`.
        prefix: if True the source also accepts ``"name:argument"``, and the
            argument is passed as ``request.arg``.
        match: optional predicate on an existing ``Path``; a matching path
            given as the source is routed to this loader (``request.arg`` is the
            path).
        options: extra keyword options the loader understands; anything else
            passed to ``load`` is rejected with a :class:`DataError`.
        default_image_size: size used when ``image_size=None`` (int or pair).
        description: one line for error messages and :func:`available_sources`.
        replace: allow overwriting an existing registration.

    Returns:
        A decorator that registers the function and returns it unchanged.

    Example:
        >>> import numpy as np
        >>> @register_source("zeros8", description="all-black 8x8 images", replace=True)
        ... def _zeros(request):
        ...     return SourceData(x=np.zeros((4, 8, 8), np.uint8), raw_range=(0, 255))
    """
    if not isinstance(name, str) or not name or ":" in name:
        raise ValueError(
            f"source name must be a non-empty string without ':'. Received: {name!r}"
        )
    if name in _REGISTRY and not replace:
        raise ValueError(
            f"a data source named {name!r} is already registered; pick another "
            "name or pass replace=True."
        )
    size = None
    if default_image_size is not None:
        size = (
            tuple(default_image_size)
            if isinstance(default_image_size, (tuple, list))
            else (default_image_size,) * 2
        )

    def decorator(loader):
        _REGISTRY[name] = Source(
            name=name,
            loader=loader,
            prefix=prefix,
            match=match,
            options=tuple(options),
            default_image_size=size,
            description=description,
        )
        return loader

    return decorator


def available_sources() -> dict[str, str]:
    """List registered sources.

    Returns:
        ``{name: description}`` in registration order.

    Example:
        >>> "digits" in available_sources()
        True
    """
    return {name: src.description for name, src in _REGISTRY.items()}


def get_source(name: str) -> Source:
    """Look up a registered source by name.

    Args:
        name: registry key.

    Returns:
        The :class:`Source`.

    Example:
        >>> get_source("ring8").name
        'ring8'
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DataError(_unknown_message(name)) from None


def _unknown_message(spec) -> str:
    names = ", ".join(
        f"'{n}:<argument>'" if s.prefix else repr(n)
        for n, s in _REGISTRY.items()
        if s.match is None
    )
    return (
        f"unknown data source {spec!r}. Use one of {names}, a path to a .npz file, "
        "or a path to a folder of images (register new sources with "
        "kgen.data.register_source)."
    )


def _looks_like_path(text: str) -> bool:
    return (
        os.sep in text
        or "/" in text
        or text.startswith((".", "~"))
        or Path(text).suffix != ""
    )


def resolve_source(source) -> tuple[Source, Optional[str]]:
    """Find the registered source for a ``source`` argument.

    Args:
        source: a source name, ``"name:argument"``, or a path (str/PathLike).

    Returns:
        ``(Source, arg)`` where ``arg`` is the prefix argument or the path.

    Example:
        >>> resolve_source("tfds:mnist:test")[1]
        'mnist:test'
    """
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if not isinstance(source, str) or not source:
        raise DataError(
            "source must be a non-empty string (a source name or a path). "
            f"Received: source={source!r}"
        )
    if source in _REGISTRY and _REGISTRY[source].match is None:
        return _REGISTRY[source], None
    head, sep, rest = source.partition(":")
    if sep and head in _REGISTRY and _REGISTRY[head].prefix:
        if not rest:
            raise DataError(
                f"source {source!r} is missing its argument; use e.g. "
                f"'{head}:<name>'."
            )
        return _REGISTRY[head], rest

    path = Path(source).expanduser()
    if path.exists():
        for src in _REGISTRY.values():
            if src.match is not None and src.match(path):
                return src, str(path)
        raise DataError(
            f"unsupported file type for source {source!r}; pass a .npz file "
            "(keys 'images' and optional 'labels'), a folder of image files, or "
            f"'text:{source}' for a text read as characters."
        )
    if _looks_like_path(source):
        raise DataError(
            f"data path does not exist: {source!r} (resolved to '{path.resolve()}'); "
            "check the path, or pass a source name such as 'digits'."
        )
    raise DataError(_unknown_message(source))


def check_options(src: Source, options: dict[str, Any]) -> dict[str, Any]:
    """Reject keyword options the source does not understand.

    Args:
        src: the resolved source.
        options: extra keyword arguments given to ``load``/``load_arrays``.

    Returns:
        ``options`` unchanged.

    Example:
        >>> check_options(get_source("digits"), {})
        {}
    """
    unknown = sorted(set(options) - set(src.options))
    if unknown:
        accepted = list(src.options) or "none"
        raise DataError(
            f"source '{src.name}' does not accept option(s) {unknown}; "
            f"accepted extra options: {accepted}."
        )
    return options
