"""Sample-quality metrics for generative models, streaming and usable offline.

- Pure functions of features (`kgen.metrics.functional`): `frechet_distance`,
  `kernel_distance`, `precision_recall`, `classifier_score_from_probabilities`, and
  TF-GAN's `tfgan.eval` functions with its names and values
  (`frechet_classifier_distance_from_activations` and its mean-only / diagonal-only
  variants, `kernel_classifier_distance(_and_std)_from_activations`,
  `classifier_score_from_logits`, `trace_sqrt_product`, `kl_divergence`); the
  versions running a `classifier_fn` on inputs in batches
  (`kgen.metrics.classifier_metrics`); `sliced_wasserstein_distance`; TF-GAN's
  `image_grid` / `image_reshaper` (from `kgen.images`).
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

from kgen.images import image_grid, image_reshaper, python_image_grid
from kgen.metrics.classifier_metrics import (
    classifier_score,
    frechet_classifier_distance,
    kernel_classifier_distance,
    kernel_classifier_distance_and_std,
    run_classifier_fn,
    sample_and_run_classifier_fn,
)
from kgen.metrics.evaluation import (
    EvaluationCallback,
    Evaluator,
    iterate_batches,
    iterate_generated,
)
from kgen.metrics.functional import (
    classifier_score_from_logits,
    classifier_score_from_probabilities,
    diagonal_only_frechet_classifier_distance_from_activations,
    frechet_classifier_distance_from_activations,
    frechet_distance,
    kernel_classifier_distance_and_std_from_activations,
    kernel_classifier_distance_from_activations,
    kernel_distance,
    kl_divergence,
    mean_and_covariance,
    mean_only_frechet_classifier_distance_from_activations,
    mmd2_unbiased,
    precision_recall,
    psnr,
    ssim,
    trace_sqrt_product,
)
from kgen.metrics.mode_coverage import ModeCoverage, mode_coverage
from kgen.metrics.sliced_wasserstein import laplacian_pyramid, sliced_wasserstein_distance
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
    "classifier_score",
    "classifier_score_from_logits",
    "classifier_score_from_probabilities",
    "diagonal_only_frechet_classifier_distance_from_activations",
    "frechet_classifier_distance",
    "frechet_classifier_distance_from_activations",
    "frechet_distance",
    "get_metric",
    "image_grid",
    "image_reshaper",
    "iterate_batches",
    "iterate_generated",
    "kernel_classifier_distance",
    "kernel_classifier_distance_and_std",
    "kernel_classifier_distance_and_std_from_activations",
    "kernel_classifier_distance_from_activations",
    "kernel_distance",
    "kl_divergence",
    "laplacian_pyramid",
    "mean_and_covariance",
    "mean_only_frechet_classifier_distance_from_activations",
    "metric_names",
    "mode_coverage",
    "mmd2_unbiased",
    "precision_recall",
    "psnr",
    "python_image_grid",
    "register_metric",
    "run_classifier_fn",
    "sample_and_run_classifier_fn",
    "sliced_wasserstein_distance",
    "ssim",
    "trace_sqrt_product",
]
