"""Streaming metrics: feed real and generated batches, read the value, with bounded memory.

Every metric has `update_state(real=None, fake=None)`, `result()`,
`result_dict()` and `reset_state(real=True, fake=True)`. Inputs are images
(when the metric has a feature `extractor`) or feature vectors (extractor
None). State lives on the host in numpy:

- FID keeps sums and sums of outer products in float64: O(D^2) memory
  whatever the number of samples.
- KID and precision/recall keep a uniform reservoir of at most
  `max_samples` feature vectors per side (default 5,000; float32), so memory
  is bounded by `2 * max_samples * D * 4` bytes.
- Inception score / class coverage keep O(splits * classes) sums.

Distributed values (`tf.distribute` per-replica tensors) are gathered from
all replicas before accumulation.
"""

import numpy as np
import tensorflow as tf

from kgen.data import get_mixture
from kgen.features import get_extractor
from kgen.files import atomic_path
from kgen.metrics import functional as F
from kgen.metrics.mode_coverage import mode_coverage

_METRICS = {}


def register_metric(name):
    """Register a streaming metric class under `name` (for `get_metric` and the evaluator)."""

    def decorator(cls):
        _METRICS[name] = cls
        cls.registry_name = name
        return cls

    return decorator


def get_metric(name, **kwargs):
    """Build a registered streaming metric by name ("fid", "kid", "precision_recall", ...)."""
    if name not in _METRICS:
        raise ValueError(f"unknown metric {name!r}. Known metrics: {sorted(_METRICS)}")
    return _METRICS[name](**kwargs)


def metric_names():
    """Names of the registered streaming metrics."""
    return sorted(_METRICS)


def to_numpy(values):
    """A batch (array, tensor, or per-replica values) as one numpy array."""
    if values is None:
        return None
    if isinstance(values, tf.distribute.DistributedValues):
        strategy = tf.distribute.get_strategy()
        values = tf.concat(strategy.experimental_local_results(values), axis=0)
    if tf.is_tensor(values):
        values = values.numpy()
    return np.asarray(values)


class StreamingMetric:
    """Base of kgen's streaming metrics.

    Args:
        extractor: None (inputs are features / probabilities), or a feature
            extractor name, `FeatureExtractor` or Keras model (inputs are images).
        value_range: value range of image inputs.
        name: metric name (the key in logs).
    """

    default_name = "metric"
    needs_probabilities = False

    def __init__(self, extractor=None, value_range=(-1.0, 1.0), name=None):
        self.name = name or self.default_name
        self.value_range = value_range
        self._extractor_spec = extractor
        self._extractor = None
        self.reset_state()

    @property
    def extractor(self):
        """The resolved `FeatureExtractor`, or None."""
        if self._extractor is None and self._extractor_spec is not None:
            self._extractor = get_extractor(self._extractor_spec)
        return self._extractor

    def _prepare(self, values):
        values = to_numpy(values)
        if values is None:
            return None
        if self.extractor is not None:
            fn = self.extractor.probabilities if self.needs_probabilities else self.extractor.features
            return np.asarray(fn(values, value_range=self.value_range), np.float64)
        values = np.asarray(values, np.float64)
        return values.reshape(len(values), -1)

    def update_state(self, real=None, fake=None):
        """Accumulate a batch of real and/or generated samples."""
        real, fake = self._prepare(real), self._prepare(fake)
        if real is not None and len(real):
            self._update("real", real)
        if fake is not None and len(fake):
            self._update("fake", fake)

    def _update(self, side, values):
        raise NotImplementedError

    def reset_state(self, real=True, fake=True):
        """Forget accumulated samples (`real=False` keeps reference statistics)."""
        raise NotImplementedError

    def result(self):
        """The metric value (a float, or a dict of floats for multi-valued metrics)."""
        raise NotImplementedError

    def result_dict(self):
        """The result as `{key: float}` (keys as they appear in logs)."""
        value = self.result()
        return dict(value) if isinstance(value, dict) else {self.name: value}


class FeatureStatistics:
    """Running count, sum and sum of outer products of feature vectors (float64).

    Example:
        >>> stats = FeatureStatistics()
        >>> for batch in feature_batches: stats.update(batch)
        >>> stats.mean, stats.covariance
    """

    def __init__(self):
        self.count = 0
        self.total = None
        self.outer = None

    def update(self, features):
        x = np.asarray(features, np.float64)
        x = x.reshape(len(x), -1)
        if self.total is None:
            self.total = np.zeros(x.shape[1])
            self.outer = np.zeros((x.shape[1], x.shape[1]))
        elif x.shape[1] != len(self.total):
            raise ValueError(f"expected features of size {len(self.total)}. Received: {x.shape[1]}")
        self.count += len(x)
        self.total += x.sum(axis=0)
        self.outer += x.T @ x

    @property
    def mean(self):
        return self.total / self.count

    @property
    def covariance(self):
        """Unbiased covariance (divides by count - 1)."""
        if self.count < 2:
            raise ValueError(f"need at least 2 samples for a covariance. Received: {self.count}")
        mean = self.mean
        return (self.outer - self.count * np.outer(mean, mean)) / (self.count - 1)

    def save(self, path):
        """Save the statistics (reusable reference statistics of a data set)."""
        path = str(path) if str(path).endswith(".npz") else f"{path}.npz"  # what np.savez writes
        with atomic_path(path) as tmp:
            np.savez(tmp, count=self.count, total=self.total, outer=self.outer)

    @classmethod
    def load(cls, path):
        stats = cls()
        with np.load(path) as data:
            stats.count = int(data["count"])
            stats.total = data["total"].astype(np.float64)
            stats.outer = data["outer"].astype(np.float64)
        return stats


class Reservoir:
    """A uniform random sample of at most `capacity` rows of a stream (Vitter's algorithm R).

    Args:
        capacity: maximum rows kept.
        seed: seed of the replacement draws.
    """

    def __init__(self, capacity, seed=0):
        if int(capacity) < 1:
            raise ValueError(f"expected capacity >= 1. Received: {capacity}")
        self.capacity = int(capacity)
        self.seen = 0
        self._rng = np.random.default_rng(seed)
        self._data = None
        self._size = 0

    def add(self, rows):
        rows = np.asarray(rows, np.float32).reshape(len(rows), -1)
        if self._data is None:
            self._data = np.empty((self.capacity, rows.shape[1]), np.float32)
        take = min(self.capacity - self._size, len(rows))
        self._data[self._size:self._size + take] = rows[:take]
        self._size += take
        self.seen += take
        rest = rows[take:]
        if len(rest):
            # Row number t (0-based in the stream) replaces a random slot with
            # probability capacity / (t + 1).
            slots = self._rng.integers(0, self.seen + np.arange(1, len(rest) + 1))
            keep = slots < self.capacity
            for slot, row in zip(slots[keep], rest[keep]):
                self._data[slot] = row
            self.seen += len(rest)

    @property
    def values(self):
        if self._data is None:
            return np.zeros((0, 0), np.float32)
        return self._data[:self._size]

    def __len__(self):
        return self._size


@register_metric("fid")
class FrechetDistance(StreamingMetric):
    """Fréchet (Inception) Distance, streamed: only feature sums and outer-product sums are kept.

    Args:
        extractor: feature extractor for image inputs (None: inputs are features).
        real_statistics: optional precomputed `FeatureStatistics` of the real data.
        value_range, name: see `StreamingMetric`.

    Example:
        >>> fid = FrechetDistance(extractor="digits")
        >>> for real, fake in batches: fid.update_state(real=real, fake=fake)
        >>> fid.result()
    """

    default_name = "fid"

    def __init__(self, extractor=None, real_statistics=None, value_range=(-1.0, 1.0), name=None):
        super().__init__(extractor, value_range, name)
        if real_statistics is not None:
            self.real = real_statistics

    def _update(self, side, values):
        getattr(self, side).update(values)

    def reset_state(self, real=True, fake=True):
        if real:
            self.real = FeatureStatistics()
        if fake:
            self.fake = FeatureStatistics()

    def result(self):
        for side in ("real", "fake"):
            if getattr(self, side).count < 2:
                raise ValueError(f"FID needs at least 2 {side} samples; call update_state({side}=...).")
        return F.frechet_distance(self.real.mean, self.real.covariance,
                                  self.fake.mean, self.fake.covariance)


class _ReservoirMetric(StreamingMetric):
    def __init__(self, extractor=None, max_samples=5000, seed=0, value_range=(-1.0, 1.0), name=None):
        self.max_samples = int(max_samples)
        self.seed = seed
        super().__init__(extractor, value_range, name)

    def _update(self, side, values):
        getattr(self, side).add(values)

    def reset_state(self, real=True, fake=True):
        if real:
            self.real = Reservoir(self.max_samples, seed=self.seed)
        if fake:
            self.fake = Reservoir(self.max_samples, seed=None if self.seed is None else self.seed + 1)

    def _check(self, minimum):
        for side in ("real", "fake"):
            if len(getattr(self, side)) < minimum:
                raise ValueError(f"{self.name} needs at least {minimum} {side} samples. "
                                 f"Received: {len(getattr(self, side))}")


@register_metric("kid")
class KernelDistance(_ReservoirMetric):
    """Kernel Inception Distance (unbiased MMD^2, cubic polynomial kernel): mean and std over subsets.

    Memory: a reservoir of at most `max_samples` features per side.

    Args:
        extractor: feature extractor for image inputs (None: inputs are features).
        max_samples: reservoir cap per side (default 5,000).
        num_subsets: subsets averaged (100).
        subset_size: samples per subset and side (1,000, or fewer if fewer kept).
        seed: seed of the reservoirs and subset draws.

    Returns (from `result()`): `{"kid": mean, "kid_std": std}`.
    """

    default_name = "kid"

    def __init__(self, extractor=None, max_samples=5000, num_subsets=100, subset_size=1000, seed=0,
                 value_range=(-1.0, 1.0), name=None):
        self.num_subsets = int(num_subsets)
        self.subset_size = int(subset_size)
        super().__init__(extractor, max_samples, seed, value_range, name)

    def result(self):
        self._check(2)
        mean, std = F.kernel_distance(self.real.values, self.fake.values, self.num_subsets,
                                      self.subset_size, seed=self.seed or 0)
        return {self.name: mean, f"{self.name}_std": std}


@register_metric("precision_recall")
class PrecisionRecall(_ReservoirMetric):
    """Improved precision and recall (k-NN manifolds, Kynkäänniemi et al. 2019).

    Memory: a reservoir of at most `max_samples` features per side; the
    k-NN search runs in row chunks (O(chunk * max_samples) at a time).

    Returns (from `result()`): `{"precision": p, "recall": r}`.
    """

    default_name = "precision_recall"

    def __init__(self, extractor=None, k=3, max_samples=5000, seed=0, value_range=(-1.0, 1.0),
                 name=None):
        self.k = int(k)
        super().__init__(extractor, max_samples, seed, value_range, name)

    def result(self):
        self._check(self.k + 1)
        precision, recall = F.precision_recall(self.real.values, self.fake.values, self.k)
        return {"precision": precision, "recall": recall}


class _ProbabilityMetric(StreamingMetric):
    needs_probabilities = True

    def _check_probabilities(self, p):
        if p.min() < -1e-6 or np.abs(p.sum(axis=1) - 1.0).max() > 1e-3:
            raise ValueError(
                f"{self.name} expects class probabilities (rows >= 0 summing to 1); pass "
                "images with a classifier extractor, or softmax your logits."
            )


@register_metric("inception_score")
class InceptionScore(_ProbabilityMetric):
    """Inception-style score exp(E KL(p(y|x) || p(y))) from a classifier's probabilities, streamed.

    Sample i goes to split `i % num_splits`; each split keeps the sum of
    p(y|x) and of sum_y p log p, which is all the score needs:
    E KL = E[sum_y p log p] - sum_y p(y) log p(y).

    Args:
        extractor: a classifier extractor ("digits", ...) for image inputs;
            None when `fake` batches are probabilities already.
        num_splits: splits for the mean and std (1: one score on everything).

    Returns (from `result()`): `{"inception_score": mean, "inception_score_std": std}`.
    """

    default_name = "inception_score"

    def __init__(self, extractor=None, num_splits=1, value_range=(-1.0, 1.0), name=None, eps=1e-12):
        self.num_splits = int(num_splits)
        self.eps = eps
        super().__init__(extractor, value_range, name)

    def reset_state(self, real=True, fake=True):
        if fake:
            self.count = np.zeros(self.num_splits)
            self.sum_p = None
            self.sum_neg_entropy = np.zeros(self.num_splits)

    def update_state(self, real=None, fake=None):
        """Accumulate generated samples (`real` is ignored: the score uses generated data only)."""
        super().update_state(None, fake)

    def _update(self, side, p):
        self._check_probabilities(p)
        if self.sum_p is None:
            self.sum_p = np.zeros((self.num_splits, p.shape[1]))
        start = int(self.count.sum())
        split = (start + np.arange(len(p))) % self.num_splits
        neg_entropy = (p * np.log(p + self.eps)).sum(axis=1)
        for s in range(self.num_splits):
            rows = split == s
            self.count[s] += rows.sum()
            self.sum_p[s] += p[rows].sum(axis=0)
            self.sum_neg_entropy[s] += neg_entropy[rows].sum()

    def result(self):
        if self.sum_p is None or self.count.min() < 1:
            raise ValueError("inception_score needs generated samples in every split; "
                             "call update_state(fake=...).")
        marginal = self.sum_p / self.count[:, None]
        kl = self.sum_neg_entropy / self.count - (marginal * np.log(marginal + self.eps)).sum(axis=1)
        scores = np.exp(kl)
        return {self.name: float(scores.mean()), f"{self.name}_std": float(scores.std())}


@register_metric("class_coverage")
class ClassCoverage(_ProbabilityMetric):
    """Class coverage of generated samples through a classifier, for labelled image data.

    Each generated sample counts for its arg-max class when the classifier's
    confidence is at least `confidence`. A class is covered when it gets at
    least `min_fraction` of its expected share (its share of the real data
    when real samples were given, else 1/K).

    Args:
        extractor: a classifier extractor ("digits", ...), or None when inputs
            are probabilities.
        min_fraction: share of the expected count a class needs to be covered.
        confidence: minimum max-probability for a sample to count.

    Returns (from `result()`): `{"class_coverage": covered fraction of
    classes, "class_kl": KL(generated class histogram || expected),
    "confident_fraction": share of samples above `confidence`}`.
    """

    default_name = "class_coverage"

    def __init__(self, extractor=None, min_fraction=0.1, confidence=0.0, value_range=(-1.0, 1.0),
                 name=None):
        self.min_fraction = float(min_fraction)
        self.confidence = float(confidence)
        super().__init__(extractor, value_range, name)

    def reset_state(self, real=True, fake=True):
        if real:
            self.real_counts = None
        if fake:
            self.fake_counts = None
            self.fake_total = 0

    def _update(self, side, p):
        self._check_probabilities(p)
        confident = p.max(axis=1) >= self.confidence
        counts = np.bincount(p.argmax(axis=1)[confident], minlength=p.shape[1]).astype(np.float64)
        attr = f"{side}_counts"
        current = getattr(self, attr)
        setattr(self, attr, counts if current is None else current + counts)
        if side == "fake":
            self.fake_total += len(p)

    def result(self):
        if self.fake_counts is None:
            raise ValueError("class_coverage needs generated samples; call update_state(fake=...).")
        k = len(self.fake_counts)
        if self.real_counts is not None and self.real_counts.sum() > 0:
            expected = self.real_counts / self.real_counts.sum()
        else:
            expected = np.full(k, 1.0 / k)
        counted = self.fake_counts.sum()
        observed = self.fake_counts / max(counted, 1.0)
        covered = observed >= self.min_fraction * expected
        support = expected > 0
        eps = 1e-12
        kl = float((observed * (np.log(observed + eps) - np.log(expected + eps))).sum())
        return {
            self.name: float(covered[support].mean()),
            "class_kl": kl,
            "confident_fraction": float(counted / max(self.fake_total, 1)),
        }


@register_metric("reconstruction")
class ReconstructionError(StreamingMetric):
    """Autoencoder reconstruction quality: MSE, PSNR (dB) and SSIM, averaged per image.

    Call `update_state(real=x, fake=reconstruction_of_x)` with paired batches.

    Args:
        value_range: value range of the images (sets PSNR/SSIM's peak value).

    Returns (from `result()`): `{"mse", "psnr", "ssim"}`.
    """

    default_name = "reconstruction"

    def __init__(self, value_range=(-1.0, 1.0), name=None):
        super().__init__(None, value_range, name)

    def reset_state(self, real=True, fake=True):
        self.count = 0
        self.sum_mse = 0.0
        self.sum_psnr = 0.0
        self.sum_ssim = 0.0

    def update_state(self, real=None, fake=None):
        x, y = to_numpy(real), to_numpy(fake)
        if x is None or y is None:
            raise ValueError("reconstruction needs paired batches: update_state(real=x, fake=x_hat).")
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        if x.shape != y.shape:
            raise ValueError(f"expected reconstructions of the inputs' shape {x.shape}. "
                             f"Received: {y.shape}")
        peak = float(self.value_range[1] - self.value_range[0])
        mse = ((x - y) ** 2).reshape(len(x), -1).mean(axis=1)
        self.count += len(x)
        self.sum_mse += mse.sum()
        self.sum_psnr += F.psnr(mse, peak).sum()
        if x.ndim == 4:
            self.sum_ssim += float(F.ssim(x, y, self.value_range).sum())
        else:
            self.sum_ssim = float("nan")

    def result(self):
        if not self.count:
            raise ValueError("reconstruction has no samples; call update_state(real=x, fake=x_hat).")
        return {"mse": self.sum_mse / self.count, "psnr": self.sum_psnr / self.count,
                "ssim": self.sum_ssim / self.count}


class LogLikelihood(StreamingMetric):
    """Importance-weighted (IWAE) log-likelihood estimate of a model, averaged over real data.

    Wraps the model's own `log_likelihood(x, k)` (e.g. kgen's VAE): a lower
    bound of log p(x) that tightens with `num_samples` (Burda et al., 2015,
    https://arxiv.org/abs/1509.00519).

    Args:
        model: a model with `log_likelihood(x, k)` returning per-example values (nats).
        num_samples: importance samples k.
        batch_size: examples per call.

    Returns (from `result()`): `{"log_likelihood": mean nats per example}`.
    """

    default_name = "log_likelihood"

    def __init__(self, model, num_samples=64, batch_size=128, name=None):
        if not callable(getattr(model, "log_likelihood", None)):
            raise TypeError(
                f"{type(model).__name__} has no log_likelihood(x, k); the IWAE metric needs a "
                "likelihood model such as kgen's VAE."
            )
        self.model = model
        self.num_samples = int(num_samples)
        self.batch_size = int(batch_size)
        super().__init__(None, (-1.0, 1.0), name)

    def reset_state(self, real=True, fake=True):
        self.count = 0
        self.total = 0.0

    def update_state(self, real=None, fake=None):
        """Accumulate the log-likelihood of real examples (`fake` is ignored)."""
        x = to_numpy(real)
        if x is None:
            return
        for start in range(0, len(x), self.batch_size):
            ll = to_numpy(self.model.log_likelihood(x[start:start + self.batch_size], self.num_samples))
            ll = np.asarray(ll, np.float64).reshape(-1)
            self.count += len(ll)
            self.total += ll.sum()

    def result(self):
        if not self.count:
            raise ValueError("log_likelihood has no samples; call update_state(real=x).")
        return {self.name: self.total / self.count}


@register_metric("mode_coverage")
class ModeCoverageMetric(StreamingMetric):
    """Mode coverage, high-quality fraction and reverse KL over modes of a 2-D mixture, streamed.

    Accumulates per-mode counts of high-quality samples (within `threshold`
    standard deviations of the nearest centre; see
    `kgen.metrics.mode_coverage`), so any number of samples fits in O(K).

    Args:
        mixture: a `kgen.data.Mixture` (or its name, "ring8"/"grid25").
        threshold: high-quality radius in standard deviations (3).

    Returns (from `result()`): `{"modes", "num_modes", "high_quality", "reverse_kl"}`.

    Example:
        >>> cov = ModeCoverageMetric("grid25")
        >>> cov.update_state(fake=gan.generate(2500))
        >>> cov.result()["modes"]
    """

    default_name = "mode_coverage"

    def __init__(self, mixture="ring8", threshold=3.0, name=None):
        if isinstance(mixture, str):
            mixture = get_mixture(mixture)
        self.mixture = mixture
        self.threshold = float(threshold)
        super().__init__(None, (-1.0, 1.0), name)

    def reset_state(self, real=True, fake=True):
        if fake:
            self.counts = np.zeros(len(self.mixture.centers), np.int64)
            self.total = 0

    def update_state(self, real=None, fake=None):
        """Accumulate generated points (`real` is ignored: the mixture is known)."""
        super().update_state(None, fake)

    def _update(self, side, points):
        self.counts += mode_coverage(points, self.mixture, threshold=self.threshold).counts
        self.total += len(points)

    def result(self):
        if not self.total:
            raise ValueError("mode_coverage has no samples; call update_state(fake=points).")
        k = len(self.counts)
        high = self.counts.sum()
        if high:
            p = self.counts / high
            nz = p > 0
            reverse_kl = float(np.sum(p[nz] * np.log(p[nz] * k)))
        else:
            reverse_kl = float("inf")
        return {"modes": float((self.counts > 0).sum()), "num_modes": float(k),
                "high_quality": float(high / self.total), "reverse_kl": reverse_kl}
