"""TF-GAN's classifier metrics that take inputs and a `classifier_fn` (`tfgan.eval`).

`classifier_fn` maps a batch of inputs (images, usually) to logits or
activations: a Keras model, a `kgen.features` extractor's `.features` (or
`np.log` of its `.probabilities`, as logits), or any callable of a tensor.
It runs on `num_batches` consecutive parts of the inputs (bounded memory);
its outputs are gathered as numpy and passed to the `*_from_activations` /
`*_from_logits` functions of `kgen.metrics.functional`. Unlike TF-GAN's
`tf.split`, the parts may differ in size by one (`num_batches` need not
divide the batch).
"""

import numpy as np
import tensorflow as tf

from kgen.metrics import functional as F


def _to_numpy(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def _concat(outputs):
    """Concatenate a list of (possibly nested) per-batch outputs along axis 0."""
    return tf.nest.map_structure(lambda *parts: np.concatenate([_to_numpy(p) for p in parts], 0), *outputs)


def run_classifier_fn(input_tensor, classifier_fn, num_batches=1, dtypes=None, name="RunClassifierFn"):
    """Run `classifier_fn` on `num_batches` consecutive parts of `input_tensor`; concatenate the outputs.

    TF-GAN's `run_classifier_fn` (Salimans et al., 2016; Heusel et al., 2017
    evaluate generators this way). Outputs may be nested (e.g. a tuple of
    logits and pool features); each leaf is concatenated.
    https://arxiv.org/abs/1606.03498

    Args:
        input_tensor: `(N, ...)` array or tensor.
        classifier_fn: callable of a `(n, ...)` tensor.
        num_batches: number of parts (at most N).
        dtypes: accepted for TF-GAN compatibility (its `map_fn` needed them); ignored.
        name: accepted for TF-GAN compatibility; ignored.

    Returns:
        numpy array (or nest of arrays) of the outputs for all N inputs.

    Example:
        >>> feats = run_classifier_fn(images, extractor.features, num_batches=8)
    """
    inputs = _to_numpy(input_tensor)
    num_batches = int(num_batches)
    if not 1 <= num_batches <= max(len(inputs), 1):
        raise ValueError(f"expected 1 <= num_batches <= {len(inputs)} (the inputs). Received: {num_batches}")
    return _concat([classifier_fn(tf.convert_to_tensor(part)) for part in np.array_split(inputs, num_batches)])


def sample_and_run_classifier_fn(sample_fn, sample_inputs, classifier_fn, dtypes=None,
                                 name="SampleAndRunClassifierFn"):
    """`classifier_fn(sample_fn(x))` for each `x` of `sample_inputs`, concatenated (TF-GAN's name).

    Only one batch of samples is in memory at a time: sample a generator in
    batches and classify as you go. https://arxiv.org/abs/1606.03498

    Args:
        sample_fn: callable `x -> samples` (e.g. `lambda n: gan.generate(n)`).
        sample_inputs: list of inputs of `sample_fn` (e.g. `[250] * 8`).
        classifier_fn: callable of a batch of samples.
        dtypes, name: accepted for TF-GAN compatibility; ignored.

    Returns:
        numpy array (or nest of arrays) of all the outputs.

    Example:
        >>> feats = sample_and_run_classifier_fn(gan.generate, [500] * 4, extractor.features)
    """
    return _concat([classifier_fn(sample_fn(x)) for x in sample_inputs])


def classifier_score(input_tensor, classifier_fn, num_batches=1):
    """Classifier (Inception) score `exp(E KL(p(y|x) || p(y)))` of inputs (Salimans et al., 2016).

    `classifier_fn` returns logits; see `classifier_score_from_logits`.
    https://arxiv.org/abs/1606.03498

    Args:
        input_tensor: `(N, ...)` inputs, e.g. generated images.
        classifier_fn: callable `inputs -> logits (n, K)`.
        num_batches: parts to run the classifier on.

    Returns:
        The score as a float.

    Example:
        >>> classifier_score(fake_images, lambda x: np.log(extractor.probabilities(x)), num_batches=4)
    """
    return F.classifier_score_from_logits(run_classifier_fn(input_tensor, classifier_fn, num_batches))


def frechet_classifier_distance(input_tensor1, input_tensor2, classifier_fn, num_batches=1):
    """Fréchet distance of the `classifier_fn` activations of two input sets (Heusel et al., 2017).

    https://arxiv.org/abs/1706.08500

    Args:
        input_tensor1: `(N, ...)` inputs, e.g. real images.
        input_tensor2: `(M, ...)` inputs, e.g. generated images.
        classifier_fn: callable `inputs -> activations (n, D)`.
        num_batches: parts to run the classifier on (each set).

    Returns:
        A non-negative float.

    Example:
        >>> frechet_classifier_distance(real_images, fake_images, extractor.features)
    """
    return F.frechet_classifier_distance_from_activations(
        run_classifier_fn(input_tensor1, classifier_fn, num_batches),
        run_classifier_fn(input_tensor2, classifier_fn, num_batches))


def kernel_classifier_distance_and_std(input_tensor1, input_tensor2, classifier_fn, num_batches=1,
                                       max_block_size=1024, dtype=None):
    """KID of the `classifier_fn` activations of two input sets, and its standard error (Bińkowski et al., 2018).

    See `kernel_classifier_distance_and_std_from_activations`.
    https://arxiv.org/abs/1801.01401

    Args:
        input_tensor1: `(N, ...)` inputs.
        input_tensor2: `(M, ...)` inputs.
        classifier_fn: callable `inputs -> activations (n, D)`.
        num_batches: parts to run the classifier on (each set).
        max_block_size: the KID estimator's largest block.
        dtype: dtype to compute the estimate in (default float64).

    Returns:
        `(kid, standard_error)` floats.

    Example:
        >>> kid, se = kernel_classifier_distance_and_std(real_images, fake_images, extractor.features)
    """
    return F.kernel_classifier_distance_and_std_from_activations(
        run_classifier_fn(input_tensor1, classifier_fn, num_batches),
        run_classifier_fn(input_tensor2, classifier_fn, num_batches), max_block_size, dtype)


def kernel_classifier_distance(input_tensor1, input_tensor2, classifier_fn, num_batches=1, max_block_size=1024,
                               dtype=None):
    """KID of the `classifier_fn` activations of two input sets (Bińkowski et al., 2018).

    https://arxiv.org/abs/1801.01401

    Args:
        input_tensor1, input_tensor2, classifier_fn, num_batches, max_block_size,
        dtype: as in `kernel_classifier_distance_and_std`.

    Returns:
        A float.

    Example:
        >>> kernel_classifier_distance(real_images, fake_images, extractor.features)
    """
    return kernel_classifier_distance_and_std(input_tensor1, input_tensor2, classifier_fn, num_batches,
                                              max_block_size, dtype)[0]
