"""Penalties and constraints a GAN holds: terms added to a role's loss, and updates after its step.

A penalty is an object given to the model at construction
(`GAN(..., penalties=[GradientPenalty(10.0)])`), serialized in its config and
read by the engine's `compute_*_loss` through `add_penalties`; none patches a
model method. Each declares the `roles` ("discriminator", "generator") it
applies to and may implement:

- `penalty(model, outputs)`: a scalar added to the role's loss (its metric
  is `metric_name(role)`), or None;
- `after_update(model, role)`: state updates or constraints after the role's
  optimizer step (weight clipping, running averages);
- `attach(model)`: create state once the model's networks exist.

Stateful penalties are Keras layers, so their variables are tracked by the
model: saved with it, checkpointed, and mirrored under a strategy.
"""

import keras
import tensorflow as tf
from keras import ops

from kgen import losses

ROLES = ("discriminator", "generator")
# Every replica updates its own copy from identical weights: nothing to
# all-reduce, and checkpoints read the first replica's.
_REPLICA_LOCAL = {"synchronization": "on_read", "aggregation": "only_first_replica"}


class GANPenalty(keras.layers.Layer):
    """Base class of GAN penalties and constraints (see the module docstring).

    Args:
        roles: the roles it applies to.
        name: its metric name.
    """

    def __init__(self, roles=("discriminator",), name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        roles = tuple(roles)
        unknown = set(roles) - set(ROLES)
        if unknown or not roles:
            raise ValueError(f"expected roles among {ROLES}. Received: {roles}")
        self.roles = roles
        self.built = True

    def attach(self, model):
        """Create state that depends on the model (called once by the GAN's constructor)."""

    def penalty(self, model, outputs):
        """The scalar added to `outputs.role`'s loss, or None."""
        return None

    def after_update(self, model, role):
        """Run after `role`'s optimizer step."""

    def metric_name(self, role):
        """Name of the metric this penalty reports for `role`."""
        return self.name if len(self.roles) == 1 else f"{role[0]}_{self.name}"

    def metric_names(self):
        if type(self).penalty is GANPenalty.penalty:
            return []
        return [self.metric_name(role) for role in self.roles]

    def get_config(self):
        return {"name": self.name}


@keras.saving.register_keras_serializable(package="kgen")
class GradientPenalty(GANPenalty):
    """WGAN-GP's gradient penalty on the critic (Gulrajani et al., 2017).

    `weight * E[(||grad D(x_hat)|| - target)^2]` at `x_hat` uniformly on
    segments between real and fake samples (drawn with the model's seed,
    for the global batch under a strategy), through
    `kgen.losses.gradient_penalty` (kgen's form of TF-GAN's
    `wasserstein_gradient_penalty`, with lambda inside). The critic is called with the
    batch's condition (labels or input images). https://arxiv.org/abs/1704.00028

    Args:
        weight: lambda (10 in the paper).
        one_sided: penalize only norms above `target`.
        target: the gradient norm aimed at.

    Example:
        >>> gan = GAN(g, critic, latent_dim=64, penalties=[GradientPenalty(10.0)])
    """

    def __init__(self, weight=10.0, one_sided=False, target=1.0, name="gradient_penalty", **kwargs):
        super().__init__(roles=("discriminator",), name=name, **kwargs)
        self.weight = float(weight)
        self.one_sided = bool(one_sided)
        self.target = float(target)

    def penalty(self, model, outputs):
        condition = outputs.fakes.fake_condition

        def critic(x):
            return model.discriminate(x, condition, training=True)[0]

        return losses.gradient_penalty(
            outputs.real, outputs.fake, critic, gradient_penalty_weight=self.weight, target=self.target,
            one_sided=self.one_sided, seed=model.seed_generator)

    def get_config(self):
        return {**super().get_config(), "weight": self.weight, "one_sided": self.one_sided,
                "target": self.target}


@keras.saving.register_keras_serializable(package="kgen")
class WeightClipping(GANPenalty):
    """WGAN's constraint: after every critic update each critic weight is clipped to `[-c, c]`.

    Arjovsky et al. (2017), c = 0.01. https://arxiv.org/abs/1701.07875

    Args:
        clip_value: c.
    """

    def __init__(self, clip_value=0.01, name="weight_clipping", **kwargs):
        super().__init__(roles=("discriminator",), name=name, **kwargs)
        if float(clip_value) <= 0:
            raise ValueError(f"expected clip_value > 0. Received: clip_value={clip_value}")
        self.clip_value = float(clip_value)

    def after_update(self, model, role):
        c = self.clip_value
        variables = model.variables_for("discriminator")

        def clip_all(strategy=None):
            for v in variables:
                if strategy is None:
                    v.assign(ops.clip(v, -c, c))
                else:
                    # Mirrored variables are updated from cross-replica context.
                    tf_var = v.value if isinstance(v, keras.Variable) else v
                    strategy.extended.update(tf_var, lambda var: var.assign(tf.clip_by_value(var, -c, c)))

        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            ctx.merge_call(lambda strategy: clip_all(strategy))
        else:
            clip_all()

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value}


@keras.saving.register_keras_serializable(package="kgen")
class HistoricalAveraging(GANPenalty):
    """Salimans et al. (2016), Sec. 3.3: `weight * ||theta - mean of past thetas||^2` per network.

    The running mean `avg_t = avg_{t-1} + (theta_t - avg_{t-1}) / t` is
    updated after each of the network's optimizer steps and treated as a
    constant in the penalty. The averages are variables of the model (saved
    and checkpointed with it); every replica keeps its own copy, identical
    because the weights are. https://arxiv.org/abs/1606.03498

    Args:
        weight: penalty weight.
        roles: the networks penalized: "discriminator" and/or "generator".

    Example:
        >>> gan = GAN(g, d, latent_dim=64, penalties=[HistoricalAveraging(1e-3)])
    """

    def __init__(self, weight=1e-3, roles=ROLES, name="historical_averaging", **kwargs):
        super().__init__(roles=roles, name=name, **kwargs)
        self.weight = float(weight)

    def attach(self, model):
        for role in self.roles:
            averages = [keras.Variable(ops.convert_to_tensor(v), dtype="float32", trainable=False,
                                       name=f"{role}_average_{i}", **_REPLICA_LOCAL)
                        for i, v in enumerate(model.variables_for(role))]
            setattr(self, f"{role}_averages", averages)
            # theta_0 is the first entry of the mean.
            setattr(self, f"{role}_count", keras.Variable(1.0, dtype="float32", trainable=False,
                                                          name=f"{role}_count", **_REPLICA_LOCAL))

    def penalty(self, model, outputs):
        role = outputs.role
        return losses.historical_averaging_penalty(model.variables_for(role),
                                                   getattr(self, f"{role}_averages"), self.weight)

    def after_update(self, model, role):
        count = getattr(self, f"{role}_count")
        count.assign_add(1.0)
        t = ops.convert_to_tensor(count)
        for avg, var in zip(getattr(self, f"{role}_averages"), model.variables_for(role)):
            avg.assign(avg + (ops.cast(var, "float32") - avg) / t)

    def get_config(self):
        return {**super().get_config(), "weight": self.weight, "roles": list(self.roles)}


@keras.saving.register_keras_serializable(package="kgen")
class Reconstruction(GANPenalty):
    """`weight * mean |G(c) - x|` (or squared) between fakes and their paired targets.

    pix2pix's L1 term (Isola et al., 2017: lambda = 100) for image-conditioned
    GANs; the generator's fakes are compared with the real target of the
    same input. https://arxiv.org/abs/1611.07004

    Args:
        weight: lambda.
        norm: "l1" or "l2".
    """

    def __init__(self, weight=100.0, norm="l1", name="reconstruction_loss", **kwargs):
        super().__init__(roles=("generator",), name=name, **kwargs)
        if norm not in ("l1", "l2"):
            raise ValueError(f"expected norm in ('l1', 'l2'). Received: norm={norm!r}")
        self.weight = float(weight)
        self.norm = norm

    def penalty(self, model, outputs):
        diff = ops.cast(outputs.generated, "float32") - ops.cast(outputs.real, "float32")
        err = ops.abs(diff) if self.norm == "l1" else ops.square(diff)
        return self.weight * ops.mean(err)

    def get_config(self):
        return {**super().get_config(), "weight": self.weight, "norm": self.norm}


def get(identifier):
    """A penalty from an instance or its serialized config."""
    if isinstance(identifier, GANPenalty):
        return identifier
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    raise ValueError(f"expected a kgen.models.gan.GANPenalty or its config. Received: {identifier!r}")
