"""Evaluate generated samples against real data: features extracted once, metrics streamed."""

import keras
import numpy as np
import tensorflow as tf

from kgen.features import get_extractor
from kgen.metrics.streaming import get_metric, to_numpy

DEFAULT_METRICS = ("fid", "kid", "precision_recall")
PROBABILITY_METRICS = ("inception_score", "class_coverage")


def iterate_batches(data, batch_size=256, limit=None):
    """Yield numpy batches from an array, a tensor or a `tf.data.Dataset` (first element of tuples).

    Args:
        data: `(N, ...)` array/tensor, or a dataset of arrays or `(x, y)` tuples.
        batch_size: rows per batch for arrays (datasets keep their batching).
        limit: stop after this many rows.
    """
    seen = 0
    if isinstance(data, tf.data.Dataset):
        for batch in data:
            if isinstance(batch, (tuple, list)):
                batch = batch[0]
            elif isinstance(batch, dict):
                batch = batch.get("images", batch.get("x"))
            batch = to_numpy(batch)
            if limit is not None:
                batch = batch[:limit - seen]
            seen += len(batch)
            yield batch
            if limit is not None and seen >= limit:
                return
        return
    array = to_numpy(data)
    stop = len(array) if limit is None else min(limit, len(array))
    for start in range(0, stop, batch_size):
        yield array[start:min(start + batch_size, stop)]


def iterate_generated(model, n_samples, batch_size=256):
    """Yield numpy batches of `n_samples` samples from `model.generate(n)`."""
    done = 0
    while done < n_samples:
        n = min(batch_size, n_samples - done)
        yield to_numpy(model.generate(n))
        done += n


class Evaluator:
    """Scores generated samples against fixed real data; the real side is processed once.

    Features (and class probabilities, when the extractor has a classifier)
    are computed once per batch and shared by every metric; memory stays
    bounded by the metrics' own state (see `kgen.metrics.streaming`).

    Args:
        real_data: real images (array, tensor or `tf.data.Dataset`).
        extractor: feature extractor name, `FeatureExtractor` or Keras model;
            None to use the raw samples (flattened) as features, e.g. 2-D points.
        metrics: names of registered streaming metrics (default: fid, kid,
            precision_recall, plus inception_score and class_coverage when
            the extractor has a classifier).
        n_real: use at most this many real samples.
        value_range: value range of the images (real and generated).
        batch_size: samples per step.
        metric_options: `{metric_name: {kwarg: value}}` passed to each metric.

    Example:
        >>> ev = Evaluator(real_images, extractor="digits")
        >>> ev.evaluate(model=gan, n_samples=2000)
        {'fid': 3.1, 'kid': 0.002, 'kid_std': ..., 'precision': ..., 'recall': ..., ...}
    """

    def __init__(self, real_data, extractor="digits", metrics=None, n_real=None,
                 value_range=(-1.0, 1.0), batch_size=256, metric_options=None):
        self.extractor = get_extractor(extractor) if extractor is not None else None
        has_probs = self.extractor is not None and self.extractor.has_probabilities
        if metrics is None:
            metrics = DEFAULT_METRICS + (PROBABILITY_METRICS if has_probs else ())
        for name in metrics:
            if name in PROBABILITY_METRICS and not has_probs:
                raise ValueError(
                    f"metric {name!r} needs class probabilities, but extractor "
                    f"{getattr(self.extractor, 'name', None)!r} has no classifier; use "
                    "extractor='digits' or drop the metric."
                )
        options = metric_options or {}
        self.metrics = {name: get_metric(name, **options.get(name, {})) for name in metrics}
        self.value_range = value_range
        self.batch_size = int(batch_size)
        self.n_real = 0
        for batch in iterate_batches(real_data, self.batch_size, n_real):
            self._update(real=batch)
            self.n_real += len(batch)
        if self.n_real < 2:
            raise ValueError(f"expected at least 2 real samples. Received: {self.n_real}")

    def _inputs(self, batch):
        if self.extractor is None:
            flat = np.asarray(batch, np.float64).reshape(len(batch), -1)
            return flat, None
        feats = self.extractor.features(batch, value_range=self.value_range, batch_size=self.batch_size)
        probs = None
        if any(m.needs_probabilities for m in self.metrics.values()):
            probs = self.extractor.probabilities(batch, value_range=self.value_range,
                                                 batch_size=self.batch_size)
        return feats, probs

    def _update(self, real=None, fake=None):
        side, batch = ("real", real) if real is not None else ("fake", fake)
        feats, probs = self._inputs(batch)
        for metric in self.metrics.values():
            values = probs if metric.needs_probabilities else feats
            metric.update_state(**{side: values})

    def evaluate(self, samples=None, model=None, n_samples=1000):
        """Score generated samples (given, or drawn from `model.generate`).

        Args:
            samples: generated samples (array, tensor or dataset).
            model: a kgen model with `generate(n)`, used when `samples` is None.
            n_samples: samples to draw from `model`.

        Returns:
            `{metric_key: float}`.
        """
        for metric in self.metrics.values():
            metric.reset_state(real=False, fake=True)
        if samples is not None:
            batches = iterate_batches(samples, self.batch_size)
        elif model is not None:
            batches = iterate_generated(model, int(n_samples), self.batch_size)
        else:
            raise ValueError("pass generated samples or a model to evaluate().")
        for batch in batches:
            self._update(fake=batch)
        results = {}
        for metric in self.metrics.values():
            results.update({k: float(v) for k, v in metric.result_dict().items()})
        return results


class EvaluationCallback(keras.callbacks.Callback):
    """Keras callback: every `every` epochs, generate `n_samples` and log sample-quality metrics.

    The values go into the epoch's `logs`, so `History`, `kgen train`'s
    history.json and a `TensorBoard` callback placed after this one record
    them. Real-data features are extracted once, at the first evaluation.
    Works under a `tf.distribute` strategy (generation runs in the
    cross-replica context; per-replica outputs are gathered).

    Args:
        real_data: real images (array, tensor or `tf.data.Dataset`).
        extractor: feature extractor name / model, or None for raw samples.
        every: evaluate every N epochs (and never on the others).
        n_samples: generated samples per evaluation.
        metrics: metric names (see `Evaluator`).
        n_real: cap on real samples used.
        prefix: prefix of the log keys (e.g. "eval_").
        value_range: value range of real and generated images.
        batch_size: samples per step.
        metric_options: per-metric keyword arguments.
        verbose: print the values when evaluating.

    Example:
        >>> cb = EvaluationCallback(real_images, extractor="digits", every=5, n_samples=1000)
        >>> history = gan.fit(dataset, epochs=20, callbacks=[cb])
        >>> history.history["fid"]
    """

    def __init__(self, real_data, extractor="digits", every=1, n_samples=1000, metrics=None,
                 n_real=None, prefix="", value_range=(-1.0, 1.0), batch_size=256,
                 metric_options=None, verbose=0):
        super().__init__()
        if int(every) < 1:
            raise ValueError(f"expected every >= 1. Received: every={every}")
        self.real_data = real_data
        self.extractor = extractor
        self.every = int(every)
        self.n_samples = int(n_samples)
        self.metric_names = metrics
        self.n_real = n_real
        self.prefix = prefix
        self.value_range = value_range
        self.batch_size = batch_size
        self.metric_options = metric_options
        self.verbose = verbose
        self.evaluator = None
        self.records = []

    def evaluate_now(self):
        """Generate from the model and return the metrics (no logging)."""
        if self.evaluator is None:
            self.evaluator = Evaluator(self.real_data, self.extractor, self.metric_names,
                                       self.n_real, self.value_range, self.batch_size,
                                       self.metric_options)
        return self.evaluator.evaluate(model=self.model, n_samples=self.n_samples)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        results = {f"{self.prefix}{k}": v for k, v in self.evaluate_now().items()}
        self.records.append({"epoch": epoch + 1, **results})
        if logs is not None:
            logs.update(results)
        if self.verbose:
            print(f"epoch {epoch + 1}: " + ", ".join(f"{k}={v:.4g}" for k, v in results.items()))
