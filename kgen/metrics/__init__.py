"""Sample-quality metrics for generative models, streaming and usable offline.

- Pure functions of features (`kgen.metrics.functional`): `frechet_distance`,
  `kernel_distance`, `precision_recall`, `classifier_score_from_probabilities`, ...
- Streaming metrics (`update_state(real=None, fake=None)`, `result()`,
  `reset_state()`), bounded memory: `FrechetDistance` ("fid"), `KernelDistance`
  ("kid"), `PrecisionRecall`, `InceptionScore`, `ClassCoverage`,
  `ReconstructionError`, `LogLikelihood` (IWAE), `ModeCoverageMetric` (2-D
  mixtures; `mode_coverage` is the one-shot function).
- `Evaluator` (features extracted once for all metrics) and the Keras
  callback `EvaluationCallback`.

Example:
    >>> from kgen import metrics
    >>> cb = metrics.EvaluationCallback(real_images, extractor="digits", every=5)
    >>> gan.fit(ds, epochs=20, callbacks=[cb])
"""

from kgen.metrics.evaluation import (
    EvaluationCallback,
    Evaluator,
    iterate_batches,
    iterate_generated,
)
from kgen.metrics.functional import (
    classifier_score_from_logits,
    classifier_score_from_probabilities,
    frechet_classifier_distance_from_activations,
    frechet_distance,
    kernel_classifier_distance_and_std_from_activations,
    kernel_distance,
    mean_and_covariance,
    mmd2_unbiased,
    precision_recall,
    psnr,
    ssim,
)
from kgen.metrics.mode_coverage import ModeCoverage, mode_coverage
from kgen.metrics.streaming import (
    ClassCoverage,
    FeatureStatistics,
    FrechetDistance,
    InceptionScore,
    KernelDistance,
    LogLikelihood,
    ModeCoverageMetric,
    PrecisionRecall,
    ReconstructionError,
    Reservoir,
    StreamingMetric,
    get_metric,
    metric_names,
    register_metric,
)

__all__ = [
    "ClassCoverage",
    "EvaluationCallback",
    "Evaluator",
    "FeatureStatistics",
    "FrechetDistance",
    "InceptionScore",
    "KernelDistance",
    "LogLikelihood",
    "ModeCoverage",
    "ModeCoverageMetric",
    "PrecisionRecall",
    "ReconstructionError",
    "Reservoir",
    "StreamingMetric",
    "classifier_score_from_logits",
    "classifier_score_from_probabilities",
    "frechet_classifier_distance_from_activations",
    "frechet_distance",
    "get_metric",
    "iterate_batches",
    "iterate_generated",
    "kernel_classifier_distance_and_std_from_activations",
    "kernel_distance",
    "mean_and_covariance",
    "metric_names",
    "mode_coverage",
    "mmd2_unbiased",
    "precision_recall",
    "psnr",
    "register_metric",
    "ssim",
]
