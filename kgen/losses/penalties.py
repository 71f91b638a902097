"""Critic penalties and auxiliary GAN losses with TF-GAN's names.

Gradient penalties take a `discriminator_fn` (a callable `x -> outputs`,
e.g. the discriminator itself or a closure feeding labels too) because they
differentiate it at new points; outputs of any rank >= 1 are summed per
example, so a PatchGAN's penalty is that of the sum of its patch logits.
"""

import keras
import tensorflow as tf
from keras import ops

from kgen import distribute
from kgen.losses.gan import _as_float, _weighted_mean
from kgen.losses.registry import register_loss


def _per_example_sq_norm(grads):
    grads = ops.cast(grads, "float32")
    axes = list(range(1, len(grads.shape)))
    return ops.sum(ops.square(grads), axis=axes) if axes else ops.square(grads)


def _input_gradients(discriminator_fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = ops.cast(discriminator_fn(x), "float32")
        total = ops.sum(outputs)
    return tape.gradient(total, x)


def _uniform_per_example(n, rank, seed):
    """`U[0, 1]` of shape `(n, 1, ..., 1)`; under a strategy, this replica's slice of the global batch's draw."""
    tail = (1,) * rank
    replicas = distribute.num_replicas()
    if replicas == 1:
        return keras.random.uniform((n,) + tail, 0.0, 1.0, seed=seed)
    full = keras.random.uniform((n * replicas,) + tail, 0.0, 1.0, seed=seed)
    return tf.slice(full, [distribute.replica_id() * n] + [0] * rank, [n, *tail])


@register_loss("wasserstein_gradient_penalty", "gradient_penalty", "wgan_gp")
def wasserstein_gradient_penalty(
    real_data,
    generated_data,
    discriminator_fn,
    gradient_penalty_weight=10.0,
    epsilon=1e-10,
    target=1.0,
    one_sided=False,
    weights=1.0,
    seed=None,
):
    """WGAN-GP gradient penalty (Gulrajani et al., 2017).

    `lambda * E[(||grad D(x_hat)|| - target)^2] / target^2` at random points
    `x_hat = real + alpha * (fake - real)` with `alpha ~ Uniform[0, 1]` per
    example (the paper's choice; drawing alpha from a normal, as keras.io's
    WGAN-GP example does, samples points off the segment). The norm is
    `sqrt(sum(g^2) + epsilon)`: epsilon inside the square root keeps the
    gradient finite when the critic's gradient is exactly zero (the gradient
    of a bare norm at 0 is NaN). `one_sided=True` penalizes only norms above
    `target` (`max(0, ||g|| - target)^2`). Computed in float32, so it stays
    finite under `mixed_float16`. Under a distribution strategy each replica
    draws the alphas of the global batch and keeps its own slice, so replicas
    get distinct alphas and N replicas use those one device would draw.
    https://arxiv.org/abs/1704.00028

    Args:
        real_data: real batch `(N, ...)`.
        generated_data: generated batch, same shape.
        discriminator_fn: callable `x -> critic outputs` (rank >= 1).
        gradient_penalty_weight: lambda (10 in the paper).
        epsilon: added inside the square root of the norm.
        target: the gradient norm aimed at (1 for 1-Lipschitz).
        one_sided: penalize only norms above `target`.
        weights: scalar or per-example weights.
        seed: int or `keras.random.SeedGenerator` for alpha.

    Returns:
        Scalar penalty, already multiplied by `gradient_penalty_weight`.

    Example:
        >>> gp = wasserstein_gradient_penalty(real, fake, critic, seed=gan.seed_generator)
    """
    real = ops.cast(ops.convert_to_tensor(real_data), "float32")
    fake = ops.cast(ops.convert_to_tensor(generated_data), "float32")
    if len(real.shape) < 2 or tuple(real.shape[1:]) != tuple(fake.shape[1:]):
        raise ValueError(
            "expected real and generated batches of the same shape (N, ...). "
            f"Received: real {tuple(real.shape)}, generated {tuple(fake.shape)}"
        )
    n = ops.shape(real)[0]
    alpha = _uniform_per_example(n, len(real.shape) - 1, seed)
    interpolates = real + alpha * (fake - real)
    grads = _input_gradients(discriminator_fn, interpolates)
    norm = ops.sqrt(_per_example_sq_norm(grads) + epsilon)
    gap = norm - target
    if one_sided:
        gap = ops.relu(gap)
    penalty = ops.square(gap) / (target ** 2)
    return gradient_penalty_weight * _weighted_mean(penalty, weights)


@register_loss("r1_penalty", "r1_gradient_penalty")
def r1_penalty(real_data, discriminator_fn, gamma=10.0, weights=1.0):
    """R1 penalty `gamma / 2 * E[||grad D(x)||^2]` on real data (Mescheder et al., 2018).

    https://arxiv.org/abs/1801.04406

    Args:
        real_data: real batch `(N, ...)`.
        discriminator_fn: callable `x -> outputs` (logits, rank >= 1).
        gamma: penalty weight.
        weights: scalar or per-example weights.

    Returns:
        Scalar penalty.

    Example:
        >>> loss = d_loss + r1_penalty(real, discriminator, gamma=10.0)
    """
    real = ops.cast(ops.convert_to_tensor(real_data), "float32")
    grads = _input_gradients(discriminator_fn, real)
    return 0.5 * gamma * _weighted_mean(_per_example_sq_norm(grads), weights)


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


@register_loss("mutual_information_penalty", "mutual_information")
def mutual_information_penalty(structured_generator_inputs, predicted_distributions, weights=1.0):
    """InfoGAN's negative variational lower bound on I(c; G(z, c)), minus H(c) (Chen et al., 2016).

    `-E[log Q(c | G(z, c))]`, summed over codes, averaged over the batch.
    Since the code prior's entropy H(c) is a constant, minimizing this
    maximizes the lower bound `L_I = H(c) - penalty`.
    https://arxiv.org/abs/1606.03657

    Args:
        structured_generator_inputs: list of code tensors `c_i` fed to G.
        predicted_distributions: list of `tfp.distributions` (the Q head's
            posteriors), one per code, with batch shape `(N,)` or `(N, d)`.
        weights: scalar weight (lambda).

    Returns:
        Scalar penalty.

    Example:
        >>> q = tfp.distributions.Categorical(logits=q_logits)
        >>> mutual_information_penalty([codes], [q])
    """
    if len(structured_generator_inputs) != len(predicted_distributions):
        raise ValueError(
            "expected one predicted distribution per structured input. Received: "
            f"{len(structured_generator_inputs)} inputs, {len(predicted_distributions)} distributions"
        )
    total = 0.0
    for code, dist in zip(structured_generator_inputs, predicted_distributions):
        log_prob = ops.cast(dist.log_prob(code), "float32")
        if len(log_prob.shape) > 1:
            log_prob = ops.sum(ops.reshape(log_prob, (ops.shape(log_prob)[0], -1)), axis=1)
        total = total - ops.mean(log_prob)
    return total * weights


@register_loss("cycle_consistency", "cycle_consistency_loss")
def cycle_consistency_loss(data_x, reconstructed_data_x, data_y, reconstructed_data_y):
    """CycleGAN's cycle-consistency loss, as TF-GAN defines it (Zhu et al., 2017).

    `(E|x - F(G(x))| + E|y - G(F(y))|) / 2`. https://arxiv.org/abs/1703.10593

    Args:
        data_x: batch from domain X.
        reconstructed_data_x: `F(G(x))`.
        data_y: batch from domain Y.
        reconstructed_data_y: `G(F(y))`.

    Returns:
        Scalar loss.

    Example:
        >>> float(cycle_consistency_loss([[1.0]], [[0.0]], [[2.0]], [[2.0]]))
        0.5
    """
    loss_x = ops.mean(ops.abs(_as_float(data_x) - _as_float(reconstructed_data_x)))
    loss_y = ops.mean(ops.abs(_as_float(data_y) - _as_float(reconstructed_data_y)))
    return 0.5 * (loss_x + loss_y)


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
