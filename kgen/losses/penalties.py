"""Critic penalties and auxiliary GAN losses, with TF-GAN's names where TF-GAN has them.

Gradient penalties take a `discriminator_fn` because they differentiate it
at new points; outputs of any rank >= 1 are summed per example, so a
PatchGAN's penalty is that of the sum of its patch logits, and a tuple or
list of outputs (an AC-GAN's `(logits, class_logits)`) is penalized on its
first element, as in TF-GAN. They use `tf.GradientTape`, so unlike TF-GAN's
they also run eagerly.
"""

import warnings

import keras
import tensorflow as tf
from keras import ops

from kgen import distribute
from kgen.losses.reduction import LOSSES, SUM_BY_NONZERO_WEIGHTS, as_float, compute_weighted_loss, summarize
from kgen.losses.registry import register_loss


def _per_example_sq_norm(grads):
    grads = ops.cast(grads, "float32")
    axes = list(range(1, len(grads.shape)))
    return ops.sum(ops.square(grads), axis=axes) if axes else ops.square(grads)


def _input_gradients(discriminator_fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = discriminator_fn(x)
        if isinstance(outputs, (tuple, list)):
            outputs = outputs[0]  # AC-GAN: (source logits, class logits)
        total = ops.sum(ops.cast(outputs, "float32"))
    return tape.gradient(total, x)


def _uniform_per_example(n, rank, seed):
    """`U[0, 1]` of shape `(n, 1, ..., 1)`; under a strategy, this replica's slice of the global batch's draw."""
    tail = (1,) * rank
    replicas = distribute.num_replicas()
    if replicas == 1:
        return keras.random.uniform((n,) + tail, 0.0, 1.0, seed=seed)
    full = keras.random.uniform((n * replicas,) + tail, 0.0, 1.0, seed=seed)
    return tf.slice(full, [distribute.replica_id() * n] + [0] * rank, [n, *tail])


def _gradient_penalties(real_data, generated_data, discriminator_fn, epsilon, target, one_sided, seed):
    """Per-example `(||grad D(x_hat)|| / target - 1)^2` at `x_hat = real + alpha (fake - real)`."""
    real = ops.cast(ops.convert_to_tensor(real_data), "float32")
    fake = ops.cast(ops.convert_to_tensor(generated_data), "float32")
    if len(real.shape) < 1 or tuple(real.shape[1:]) != tuple(fake.shape[1:]):
        raise ValueError(
            "expected real and generated batches of the same shape (N, ...). "
            f"Received: real {tuple(real.shape)}, generated {tuple(fake.shape)}"
        )
    alpha = _uniform_per_example(ops.shape(real)[0], len(real.shape) - 1, seed)
    interpolates = real + alpha * (fake - real)
    grads = _input_gradients(discriminator_fn, interpolates)
    # epsilon inside the square root keeps the gradient finite when the
    # critic's gradient is exactly zero (that of a bare norm at 0 is NaN).
    penalties = ops.sqrt(_per_example_sq_norm(grads) + epsilon) / target - 1.0
    if one_sided:
        penalties = ops.relu(penalties)
    return ops.square(penalties)


@register_loss("wasserstein_gradient_penalty")
def wasserstein_gradient_penalty(
    real_data,
    generated_data,
    generator_inputs,
    discriminator_fn=None,
    discriminator_scope=None,
    epsilon=1e-10,
    target=1.0,
    one_sided=False,
    weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
    *,
    seed=None,
    gradient_penalty_weight=None,
):
    """WGAN-GP gradient penalty (Gulrajani et al., 2017), TF-GAN's signature and value.

    `E[(||grad D(x_hat)|| / target - 1)^2]` at `x_hat = real + alpha (fake -
    real)`, `alpha ~ U[0, 1]` per example, weighted and reduced like the
    losses; **not** multiplied by a lambda (TF-GAN leaves that to the caller
    or to `weights`; `kgen.losses.gradient_penalty` takes it inside).
    `discriminator_fn(x, generator_inputs)` is called as in TF-GAN; if it
    returns a tuple, the first element is penalized. The norm is
    `sqrt(sum(g^2) + epsilon)`. `one_sided=True` penalizes only norms above
    `target` (Petzka et al., 2018). Under a distribution strategy each
    replica draws the alphas of the global batch and keeps its slice (`seed`
    is kgen's: an int or `keras.random.SeedGenerator`).
    `discriminator_scope` and `loss_collection` are accepted and ignored
    (Keras layers own their variables). https://arxiv.org/abs/1704.00028

    Args:
        real_data: real batch `(N, ...)`.
        generated_data: generated batch, same shape.
        generator_inputs: passed to `discriminator_fn` as its conditioning.
        discriminator_fn: callable `(x, generator_inputs) -> outputs`.
        discriminator_scope: ignored (TF1 variable scope).
        epsilon: added inside the square root of the norm.
        target: the gradient norm aimed at.
        one_sided: penalize only norms above `target`.
        weights: scalar or per-example weights.
        scope: name of the summary.
        loss_collection: ignored.
        reduction: see `kgen.losses.get_reduction`.
        add_summaries: write a `tf.summary` scalar.
        seed: int or `keras.random.SeedGenerator` for alpha.
        gradient_penalty_weight: only for kgen's former call
            `wasserstein_gradient_penalty(real, fake, critic,
            gradient_penalty_weight=10.0, ...)` (no `discriminator_fn`),
            which still works, with a DeprecationWarning, as
            `gradient_penalty`; rejected with TF-GAN's arguments.

    Returns:
        Scalar penalty (per-example penalties with reduction "none").

    Example:
        >>> gp = wasserstein_gradient_penalty(real, fake, None, lambda x, _: critic(x), None)
        >>> d_loss = d_loss + 10.0 * gp
    """
    if discriminator_fn is None:
        return _legacy_penalty_call(real_data, generated_data, generator_inputs, epsilon, target, one_sided,
                                    weights, seed, gradient_penalty_weight)
    if gradient_penalty_weight is not None:
        raise TypeError(
            f"TF-GAN's wasserstein_gradient_penalty has no gradient_penalty_weight (received "
            f"{gradient_penalty_weight}): multiply its result or pass weights=, or use "
            "kgen.losses.gradient_penalty(real, fake, critic, gradient_penalty_weight=10.0)."
        )
    penalties = _gradient_penalties(real_data, generated_data, lambda x: discriminator_fn(x, generator_inputs),
                                    epsilon, target, one_sided, seed)
    penalty = compute_weighted_loss(penalties, weights, reduction)
    summarize(add_summaries, scope, gradient_penalty_loss=penalty)
    return penalty


def _legacy_penalty_call(real_data, generated_data, critic, epsilon, target, one_sided, weights, seed,
                         gradient_penalty_weight):
    """kgen's former `wasserstein_gradient_penalty(real, fake, critic, gradient_penalty_weight=10, ...)`."""
    if not callable(critic):
        raise TypeError(
            "wasserstein_gradient_penalty(real_data, generated_data, generator_inputs, discriminator_fn, "
            "discriminator_scope, ...) needs discriminator_fn (TF-GAN's signature). Received "
            f"discriminator_fn=None, generator_inputs={critic!r}."
        )
    warnings.warn(
        "wasserstein_gradient_penalty(real, fake, critic, gradient_penalty_weight=...) is kgen's former "
        "signature; call kgen.losses.gradient_penalty(real, fake, critic, gradient_penalty_weight=...) "
        "(same value), or TF-GAN's wasserstein_gradient_penalty(real, fake, generator_inputs, "
        "discriminator_fn, discriminator_scope).", DeprecationWarning, stacklevel=3)
    weight = 10.0 if gradient_penalty_weight is None else gradient_penalty_weight
    return gradient_penalty(real_data, generated_data, critic, weight, epsilon, target, one_sided, weights,
                            seed=seed)


@register_loss("gradient_penalty", "wgan_gp")
def gradient_penalty(
    real_data,
    generated_data,
    discriminator_fn,
    gradient_penalty_weight=10.0,
    epsilon=1e-10,
    target=1.0,
    one_sided=False,
    weights=1.0,
    *,
    seed=None,
    reduction=SUM_BY_NONZERO_WEIGHTS,
):
    """WGAN-GP gradient penalty times lambda, with a one-argument critic (kgen's form).

    `lambda * E[(||grad D(x_hat)|| / target - 1)^2]` at random points
    `x_hat = real + alpha * (fake - real)`, `alpha ~ Uniform[0, 1]` per
    example (the paper's choice; drawing alpha from a normal, as keras.io's
    WGAN-GP example does, samples points off the segment). Differs from
    TF-GAN's `wasserstein_gradient_penalty` in two ways: lambda
    (`gradient_penalty_weight`, 10 as in the paper) is inside, and
    `discriminator_fn` takes the samples only. Computed in float32, so it
    stays finite under `mixed_float16`. Under a distribution strategy each
    replica draws the alphas of the global batch and keeps its own slice, so
    replicas get distinct alphas and N replicas use those one device would
    draw. https://arxiv.org/abs/1704.00028

    Args:
        real_data: real batch `(N, ...)`.
        generated_data: generated batch, same shape.
        discriminator_fn: callable `x -> critic outputs` (rank >= 1).
        gradient_penalty_weight: lambda.
        epsilon: added inside the square root of the norm.
        target: the gradient norm aimed at (1 for 1-Lipschitz).
        one_sided: penalize only norms above `target`.
        weights: scalar or per-example weights.
        seed: int or `keras.random.SeedGenerator` for alpha.
        reduction: see `kgen.losses.get_reduction`.

    Returns:
        Scalar penalty, already multiplied by `gradient_penalty_weight`.

    Example:
        >>> gp = gradient_penalty(real, fake, critic, seed=gan.seed_generator)
    """
    penalties = _gradient_penalties(real_data, generated_data, discriminator_fn, epsilon, target, one_sided, seed)
    return gradient_penalty_weight * compute_weighted_loss(penalties, weights, reduction)


@register_loss("r1_penalty", "r1_gradient_penalty")
def r1_penalty(real_data, discriminator_fn, gamma=10.0, weights=1.0, *, reduction=SUM_BY_NONZERO_WEIGHTS):
    """R1 penalty `gamma / 2 * E[||grad D(x)||^2]` on real data (Mescheder et al., 2018).

    https://arxiv.org/abs/1801.04406

    Args:
        real_data: real batch `(N, ...)`.
        discriminator_fn: callable `x -> outputs` (logits, rank >= 1).
        gamma: penalty weight.
        weights: scalar or per-example weights.
        reduction: see `kgen.losses.get_reduction`.

    Returns:
        Scalar penalty.

    Example:
        >>> loss = d_loss + r1_penalty(real, discriminator, gamma=10.0)
    """
    real = ops.cast(ops.convert_to_tensor(real_data), "float32")
    grads = _input_gradients(discriminator_fn, real)
    return 0.5 * gamma * compute_weighted_loss(_per_example_sq_norm(grads), weights, reduction)


@register_loss("feature_matching", "feature_matching_generator_loss")
def feature_matching_generator_loss(real_features, generated_features, weights=1.0):
    """Feature matching `||E f(x) - E f(G(z))||^2` (Salimans et al., 2016).

    The generator matches the batch mean of intermediate discriminator
    features on real data (the real features are treated as constants).
    Features of any rank >= 2 are flattened per example; lists of feature
    tensors (several layers) add up. https://arxiv.org/abs/1606.03498

    Args:
        real_features: tensor `(N, ...)` or list of them.
        generated_features: matching tensor(s) on generated data.
        weights: scalar weight.

    Returns:
        Scalar loss (squared L2 distance of the mean features).

    Example:
        >>> float(feature_matching_generator_loss([[1.0, 2.0]], [[0.0, 0.0]]))
        5.0
    """
    if not isinstance(real_features, (list, tuple)):
        real_features, generated_features = [real_features], [generated_features]
    if len(real_features) != len(generated_features):
        raise ValueError(
            f"expected as many real as generated feature tensors. Received: "
            f"{len(real_features)} and {len(generated_features)}"
        )
    total = 0.0
    for real, fake in zip(real_features, generated_features):
        real = ops.stop_gradient(ops.cast(ops.convert_to_tensor(real), "float32"))
        fake = ops.cast(ops.convert_to_tensor(fake), "float32")
        diff = ops.mean(real, axis=0) - ops.mean(fake, axis=0)
        total = total + ops.sum(ops.square(diff))
    return total * weights


def _check_codes(structured_generator_inputs, predicted_distributions):
    if not isinstance(predicted_distributions, (list, tuple)) or not all(
            callable(getattr(d, "log_prob", None)) for d in predicted_distributions):
        raise ValueError(
            "expected predicted_distributions as a list of distributions (objects with log_prob, e.g. "
            f"tfp.distributions). Received: {predicted_distributions!r}"
        )
    if len(structured_generator_inputs) != len(predicted_distributions):
        raise ValueError(
            "expected one predicted distribution per structured input. Received: "
            f"{len(structured_generator_inputs)} inputs, {len(predicted_distributions)} distributions"
        )


@register_loss("mutual_information_penalty", "mutual_information")
def mutual_information_penalty(
    structured_generator_inputs,
    predicted_distributions,
    weights=1.0,
    scope=None,
    loss_collection=LOSSES,
    reduction=SUM_BY_NONZERO_WEIGHTS,
    add_summaries=False,
):
    """InfoGAN's mutual-information penalty, TF-GAN's value (Chen et al., 2016).

    `-reduce_i(w_i * mean(log Q(c_i | G(z, c))))`: each code's log-likelihood
    is averaged over all its elements (batch and code dimensions), then the
    codes are reduced like a loss (`SUM_BY_NONZERO_WEIGHTS`: their mean with
    unit weights; `weights` may give one weight per code). Since the code
    prior's entropy H(c) is a constant, minimizing it maximizes the lower
    bound `L_I = H(c) - penalty`. kgen's `InfoGAN` sums over codes and code
    dimensions instead: `summed_mutual_information_penalty`.
    https://arxiv.org/abs/1606.03657

    Args:
        structured_generator_inputs: list of code tensors `c_i` fed to G.
        predicted_distributions: list of distributions (the Q head's
            posteriors), one per code.
        weights: scalar or per-code weights.
        scope: name of the summary.
        loss_collection: accepted for TF-GAN compatibility; ignored.
        reduction: see `kgen.losses.get_reduction` ("none": one value per code).
        add_summaries: write a `tf.summary` scalar.

    Returns:
        Scalar penalty.

    Example:
        >>> q = tfp.distributions.Categorical(logits=q_logits)
        >>> mutual_information_penalty([codes], [q])
    """
    _check_codes(structured_generator_inputs, predicted_distributions)
    log_probs = ops.stack([ops.mean(ops.cast(dist.log_prob(code), "float32"))
                           for code, dist in zip(structured_generator_inputs, predicted_distributions)])
    loss = -compute_weighted_loss(log_probs, weights, reduction)
    summarize(add_summaries, scope, mutual_information_penalty=loss)
    return loss


@register_loss("summed_mutual_information_penalty")
def summed_mutual_information_penalty(structured_generator_inputs, predicted_distributions, weights=1.0):
    """InfoGAN's penalty as the paper writes it: `-E[sum_i log Q(c_i | G(z, c))]` (Chen et al., 2016).

    The log-likelihoods of all codes, and of all dimensions of each code, are
    summed per example, then averaged over the batch (the bound on the
    information of all codes together). Differs from TF-GAN's
    `mutual_information_penalty`, which averages over codes and code
    dimensions. https://arxiv.org/abs/1606.03657

    Args:
        structured_generator_inputs: list of code tensors `c_i` fed to G.
        predicted_distributions: list of distributions, one per code, with
            batch shape `(N,)` or `(N, d)`.
        weights: scalar weight (lambda).

    Returns:
        Scalar penalty.

    Example:
        >>> summed_mutual_information_penalty([codes, cont], [q_cat, q_normal], weights=1.0)
    """
    _check_codes(structured_generator_inputs, predicted_distributions)
    total = 0.0
    for code, dist in zip(structured_generator_inputs, predicted_distributions):
        log_prob = ops.cast(dist.log_prob(code), "float32")
        if len(log_prob.shape) > 1:
            log_prob = ops.sum(ops.reshape(log_prob, (ops.shape(log_prob)[0], -1)), axis=1)
        total = total - ops.mean(log_prob)
    return total * weights


@register_loss("cycle_consistency", "cycle_consistency_loss")
def cycle_consistency_loss(data_x, reconstructed_data_x, data_y, reconstructed_data_y, scope=None,
                           add_summaries=False):
    """CycleGAN's cycle-consistency loss, as TF-GAN defines it (Zhu et al., 2017).

    `(E|x - F(G(x))| + E|y - G(F(y))|) / 2`, each term the mean absolute
    error per element (independent of the image size).
    https://arxiv.org/abs/1703.10593

    Args:
        data_x: batch from domain X.
        reconstructed_data_x: `F(G(x))`.
        data_y: batch from domain Y.
        reconstructed_data_y: `G(F(y))`.
        scope: name of the summaries.
        add_summaries: write `tf.summary` scalars.

    Returns:
        Scalar loss.

    Example:
        >>> float(cycle_consistency_loss([[1.0]], [[0.0]], [[2.0]], [[2.0]]))
        0.5
    """
    loss_x2x = ops.mean(ops.abs(as_float(data_x, "data") - as_float(reconstructed_data_x, "data")))
    loss_y2y = ops.mean(ops.abs(as_float(data_y, "data") - as_float(reconstructed_data_y, "data")))
    loss = 0.5 * (loss_x2x + loss_y2y)
    summarize(add_summaries, scope, cycle_consistency_loss_x2x=loss_x2x, cycle_consistency_loss_y2y=loss_y2y,
              cycle_consistency_loss=loss)
    return loss


@register_loss("historical_averaging_penalty", "historical_averaging")
def historical_averaging_penalty(variables, averages, weight=1.0):
    """Historical averaging `||theta - mean of past thetas||^2` (Salimans et al., 2016).

    https://arxiv.org/abs/1606.03498

    Args:
        variables: list of parameter tensors/variables.
        averages: matching list of their running averages (constants).
        weight: scalar weight.

    Returns:
        Scalar penalty (sum over every parameter).

    Example:
        >>> historical_averaging_penalty([w], [w_avg], weight=1e-3)
    """
    if len(variables) != len(averages):
        raise ValueError(
            f"expected one average per variable. Received: {len(variables)} variables, "
            f"{len(averages)} averages"
        )
    total = 0.0
    for var, avg in zip(variables, averages):
        diff = ops.cast(ops.convert_to_tensor(var), "float32") - ops.stop_gradient(
            ops.cast(ops.convert_to_tensor(avg), "float32"))
        total = total + ops.sum(ops.square(diff))
    return weight * total
