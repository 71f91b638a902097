"""2-D Gaussian mixtures used to measure mode collapse (PacGAN, VEEGAN).

The mode centres and std are exposed so metrics can count covered modes and
"high-quality" samples (within 3 std of a centre).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kgen.data._validate import DataError
from kgen.data.registry import SourceData, SourceRequest, register_source

__all__ = ["MIXTURES", "Mixture", "get_mixture", "grid25", "ring8"]

_DEFAULT_NUM_SAMPLES = 100_000


@dataclasses.dataclass(frozen=True, eq=False)
class Mixture:
    """An isotropic 2-D Gaussian mixture with equally weighted modes.

    Attributes:
        name: e.g. ``"ring8"``.
        centers: float32 array (K, 2) of mode centres.
        std: the per-axis standard deviation of every mode.

    Example:
        >>> m = ring8()
        >>> points, modes = m.sample(1000, seed=0)
        >>> points.shape, modes.shape, m.num_modes
        ((1000, 2), (1000,), 8)
    """

    name: str
    centers: np.ndarray
    std: float

    @property
    def num_modes(self) -> int:
        """Number of modes K."""
        return int(self.centers.shape[0])

    def sample(self, n: int, seed=None):
        """Draw points, choosing each point's mode uniformly.

        Args:
            n: number of points (>= 0).
            seed: int for reproducible draws, or ``None``.

        Returns:
            ``(points float32 (n, 2), mode_ids int32 (n,))``.

        Example:
            >>> grid25().sample(3, seed=1)[0].dtype
            dtype('float32')
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise DataError(f"n must be a non-negative integer. Received: n={n!r}")
        rng = np.random.default_rng(seed)
        modes = rng.integers(0, self.num_modes, size=int(n))
        noise = rng.standard_normal((int(n), 2)) * self.std
        points = self.centers[modes].astype(np.float64) + noise
        return points.astype(np.float32), modes.astype(np.int32)

    def nearest_mode(self, points):
        """Assign points to their nearest mode centre.

        Args:
            points: array (N, 2).

        Returns:
            ``(mode_ids int32 (N,), distances float32 (N,))``; a point is usually
            called "high quality" when its distance is below ``3 * std``.

        Example:
            >>> ids, dist = ring8().nearest_mode(np.array([[1.0, 0.0]]))
            >>> int(ids[0]), float(dist[0])
            (0, 0.0)
        """
        points = np.asarray(points, np.float32)
        if points.ndim != 2 or points.shape[1] != 2:
            raise DataError(
                f"expected points of shape (N, 2). Received: shape={points.shape}"
            )
        d = np.linalg.norm(points[:, None, :] - self.centers[None], axis=-1)
        ids = d.argmin(axis=1)
        return ids.astype(np.int32), d[np.arange(len(ids)), ids].astype(np.float32)


def ring8() -> Mixture:
    """8 modes evenly spaced on the unit circle, std 0.01 (PacGAN/VEEGAN ring).

    Returns:
        A :class:`Mixture` with 8 distinct centres (endpoint excluded).

    Example:
        >>> ring8().centers.shape
        (8, 2)
    """
    angles = np.linspace(0.0, 2.0 * np.pi, 8, endpoint=False)
    centers = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    # Round away cos(pi/2) ~ 6e-17 so axis-aligned centres are exact.
    centers = np.round(centers, 12).astype(np.float32)
    return Mixture("ring8", centers, 0.01)


def grid25() -> Mixture:
    """25 modes on the grid {-4, -2, 0, 2, 4}^2, std 0.05 (PacGAN/VEEGAN grid).

    Returns:
        A :class:`Mixture` with 25 centres.

    Example:
        >>> float(grid25().centers.min()), float(grid25().centers.max())
        (-4.0, 4.0)
    """
    axis = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    gx, gy = np.meshgrid(axis, axis, indexing="ij")
    centers = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    return Mixture("grid25", centers, 0.05)


#: Mixture factories by name.
MIXTURES = {"ring8": ring8, "grid25": grid25}


def get_mixture(name: str) -> Mixture:
    """Build a mixture by name.

    Args:
        name: ``"ring8"`` or ``"grid25"``.

    Returns:
        The :class:`Mixture`.

    Example:
        >>> get_mixture("grid25").num_modes
        25
    """
    if name not in MIXTURES:
        raise DataError(
            f"unknown mixture {name!r}; use one of {sorted(MIXTURES)}."
        )
    return MIXTURES[name]()


def _mixture_loader(name):
    def loader(request: SourceRequest) -> SourceData:
        mixture = get_mixture(name)
        n = request.options.get("num_samples", _DEFAULT_NUM_SAMPLES)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise DataError(
                f"num_samples must be a positive integer. Received: num_samples={n!r}"
            )
        points, modes = mixture.sample(int(n), seed=request.seed)
        return SourceData(
            x=points,
            y=modes,
            kind="points",
            num_classes=mixture.num_modes,
            class_names=[f"mode{i}" for i in range(mixture.num_modes)],
            info={"mixture": mixture, "num_samples": int(n)},
        )

    loader.__name__ = f"load_{name}"
    loader.__doc__ = f"Sample the {name} mixture; labels are mode ids."
    return loader


for _name, _factory in MIXTURES.items():
    register_source(
        _name,
        options=("num_samples",),
        kind="points",
        description="2-D Gaussian mixture: " + _factory.__doc__.splitlines()[0],
    )(_mixture_loader(_name))
