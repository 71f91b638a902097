"""Unrolled GAN (Metz et al., 2017): the generator optimizes against k look-ahead discriminator steps."""

import keras
import tensorflow as tf
from keras import ops

from kgen.models.core import cross_replica_mean
from kgen.models.gan.engine import GAN, GANOutputs
from kgen.networks import build_mlp_discriminator, build_mlp_generator
from kgen.zoo import register_builder


_RULES = ("optimizer", "sgd", "adam")
_SURROGATES = ("value", "unrolled_fakes", "generator_loss")


@keras.saving.register_keras_serializable(package="kgen")
class UnrolledGAN(GAN):
    """GAN whose generator loss is taken against the discriminator unrolled `unroll_steps` steps ahead.

    Variant implemented (Metz et al., 2017, Sec. 2, with the second-order
    term): starting from the current discriminator weights `theta_0`, the
    discriminator loss on the step's real batch and fakes `G(z_u)` is
    differentiated and `k` updates `theta_{i+1} = theta_i - step(grad_i)` are
    applied *functionally* (the network runs with substituted weights via
    `stateless_call`); the generator loss is then `L_G(G(z), theta_k)` and its
    gradient flows back through every update, including how the fakes move
    each `grad_i` (nested tapes, second order). The real discriminator is
    updated from the first step only: its ordinary update, exactly as in a
    plain GAN. Update rule inside the unroll: `"optimizer"` (default, as in
    Metz et al.'s code: continue the discriminator's own Adam from its
    current moments and step count, so the look-ahead is where D would
    really go; plain SGD if D's optimizer is SGD), `"sgd"` (`lr * g`) or
    `"adam"` (Adam from zero moments, whose first step is ~`lr * sign(g)`:
    a noisier look-ahead), with `unroll_learning_rate` (default: the
    discriminator optimizer's learning rate). What the generator minimizes
    (`surrogate`): `"value"` (default, Metz et al.'s `f_K`): the GAN value
    function at `theta_k`, i.e. minus the discriminator loss on the same
    real batch and the same fakes the unroll used, so the second-order term
    also sees how D's update moves its output on real data;
    `"unrolled_fakes"`: the model's generator loss (non-saturating by
    default) at `theta_k` on the same fakes the unroll used: `f_K`'s fake
    term in its non-saturating form, whose gradient does not vanish where
    the unrolled D confidently rejects a fake (the minimax term's does);
    or `"generator_loss"`: the model's generator loss on fresh fakes at
    `theta_k`. The unroll differentiates the adversarial discriminator loss
    only (penalties act on the real weights). Batch-norm statistics are
    frozen during the unroll. Compute grows linearly with `k`
    (see `tests/benchmarks/mode_coverage.py`). Order in one `train_step`:
    the generator update (against the unroll from `theta_0`), then the
    `d_steps` discriminator updates. https://arxiv.org/abs/1611.02163

    Args:
        generator, discriminator, latent_dim, num_classes, seed: as in `GAN`.
        unroll_steps: k (5 in the paper's 2-D experiments).
        unroll_rule: "optimizer", "sgd" or "adam".
        unroll_learning_rate: step size in the unroll (None: D's rate).
        surrogate: "value", "unrolled_fakes" or "generator_loss" (see above).
        **kwargs: passed to `GAN`.

    Example:
        >>> gan = UnrolledGAN(g, d, latent_dim=64, unroll_steps=5)
    """

    def __init__(self, generator, discriminator, latent_dim, num_classes=None, unroll_steps=5,
                 unroll_rule="optimizer", unroll_learning_rate=None, surrogate="value", **kwargs):
        super().__init__(generator, discriminator, latent_dim, num_classes=num_classes, **kwargs)
        if int(unroll_steps) < 0:
            raise ValueError(f"expected unroll_steps >= 0. Received: {unroll_steps}")
        if unroll_rule not in _RULES:
            raise ValueError(f"expected unroll_rule in {_RULES}. Received: {unroll_rule!r}")
        if surrogate not in _SURROGATES:
            raise ValueError(f"expected surrogate in {_SURROGATES}. Received: {surrogate!r}")
        self.unroll_steps = int(unroll_steps)
        self.unroll_rule = unroll_rule
        self.surrogate = surrogate
        self.unroll_learning_rate = None if unroll_learning_rate is None else float(unroll_learning_rate)

    def _unroll_lr(self):
        if self.unroll_learning_rate is not None:
            return self.unroll_learning_rate
        opt = getattr(self.d_optimizer, "inner_optimizer", self.d_optimizer)
        return ops.cast(opt.learning_rate, "float32")

    def _unroll_state(self, theta):
        """Return (rule, m, v, b1, b2, eps, steps_done) the unroll starts from."""
        opt = getattr(self.d_optimizer, "inner_optimizer", self.d_optimizer)
        zeros = [ops.zeros_like(t) for t in theta]
        rule = self.unroll_rule
        if rule == "optimizer":
            if isinstance(opt, keras.optimizers.Adam) and not opt.amsgrad:
                variables = self.discriminator.trainable_variables
                m = [ops.cast(opt._momentums[opt._get_variable_index(v)], "float32") for v in variables]
                s = [ops.cast(opt._velocities[opt._get_variable_index(v)], "float32") for v in variables]
                done = ops.cast(opt.iterations, "float32")
                return "adam", m, s, float(opt.beta_1), float(opt.beta_2), float(opt.epsilon), done
            if isinstance(opt, keras.optimizers.SGD) and not opt.momentum:
                return "sgd", zeros, zeros, 0.0, 0.0, 0.0, 0.0
            raise ValueError("unroll_rule='optimizer' continues the discriminator optimizer's own update, "
                             f"which is implemented for Adam and plain SGD. Received: {type(opt).__name__}. "
                             "Use an Adam/SGD d_optimizer or unroll_rule='adam'/'sgd'.")
        return rule, zeros, [ops.zeros_like(t) for t in theta], 0.9, 0.999, 1e-8, 0.0

    def _d_call(self, theta, non_trainable, x, condition):
        d_in = x if self.condition is None else [x, condition]
        out, _ = self.discriminator.stateless_call(theta, non_trainable, d_in, training=True)
        return out[0] if isinstance(out, (list, tuple)) else out

    def unrolled_discriminator_weights(self, real, fake, condition=None):
        """Return the discriminator weights after `unroll_steps` differentiable updates."""
        theta = [ops.cast(v.value, "float32") for v in self.discriminator.trainable_variables]
        non_trainable = [v.value for v in self.discriminator.non_trainable_variables]
        lr = self._unroll_lr()
        rule, m, s, b1, b2, eps, done = self._unroll_state(theta)
        for i in range(self.unroll_steps):
            with tf.GradientTape() as inner:
                inner.watch(theta)
                outputs = GANOutputs("discriminator", real, condition, None,
                                     real_outputs=self._d_call(theta, non_trainable, real, condition),
                                     fake_outputs=self._d_call(theta, non_trainable, fake, condition))
                loss = self.discriminator_adversarial_loss(outputs)
            grads = inner.gradient(loss, theta)
            grads = [ops.zeros_like(t) if g is None else g for t, g in zip(theta, grads)]
            # Under a strategy every replica must look ahead along the
            # global batch's gradient (the mean of the replicas' local-mean
            # gradients), as the real discriminator update does; the
            # all-reduce is differentiable, so the generator's gradient
            # still reaches every replica's fakes.
            grads = cross_replica_mean(grads)
            if rule == "sgd":
                theta = [t - lr * g for t, g in zip(theta, grads)]
            else:
                m = [b1 * mi + (1 - b1) * g for mi, g in zip(m, grads)]
                s = [b2 * si + (1 - b2) * g * g for si, g in zip(s, grads)]
                step = done + (i + 1)
                c1, c2 = 1 - ops.power(b1, step), 1 - ops.power(b2, step)
                # Keras' Adam form: epsilon outside the bias-corrected root
                # (1e-16 keeps the root's gradient finite at zero).
                theta = [t - lr * (ops.sqrt(c2) / c1) * mi / (ops.sqrt(si + 1e-16) + eps)
                         for t, mi, si in zip(theta, m, s)]
        return theta, non_trainable

    # -- the engine's overrides ----------------------------------------------------
    def update_schedule(self, chunks):
        # The generator looks ahead from the current discriminator, which
        # is then updated as in a plain GAN.
        return [("generator", chunks[0])] + [("discriminator", chunk) for chunk in chunks]

    def generator_needs_real_outputs(self):
        return self.surrogate == "value"

    def forward(self, role, real, condition, fakes, training=True):
        if role == "discriminator" or not training or self.unroll_steps == 0:
            return super().forward(role, real, condition, fakes, training)
        theta, non_trainable = self.unrolled_discriminator_weights(real, fakes.generated, condition)
        outputs = GANOutputs(role, real, condition, fakes, training=training)
        if self.surrogate == "generator_loss":
            outputs.fakes = self.make_fakes(real, condition, replay=False)
        if self.surrogate == "value":
            outputs.real_outputs = self._d_call(theta, non_trainable, real, condition)
        outputs.fake_outputs = self._d_call(theta, non_trainable, outputs.fakes.generated, condition)
        return outputs

    def generator_adversarial_loss(self, outputs):
        """The generator's objective at the (unrolled) discriminator's outputs.

        With `surrogate="value"`: the GAN value function, minus the
        discriminator's adversarial loss on the same real and fake outputs
        (Metz et al.'s `f_K`); otherwise the model's generator loss.
        """
        if self.surrogate == "value":
            return -self.discriminator_adversarial_loss(outputs)
        return super().generator_adversarial_loss(outputs)

    def get_config(self):
        return {**super().get_config(), "unroll_steps": self.unroll_steps,
                "unroll_rule": self.unroll_rule, "unroll_learning_rate": self.unroll_learning_rate,
                "surrogate": self.surrogate}


@register_builder("unrolled_gan", data="points", paper="Metz et al. 2017, https://arxiv.org/abs/1611.02163")
def build_unrolled_gan(input_shape, num_classes=None, tiny=False, latent_dim=None, unroll_steps=5,
                       hidden=None, d_hidden=None, learning_rate=1e-4, beta_1=0.5, seed=None, **compile_kwargs):
    """Build Metz et al.'s 2-D unrolled GAN: MLPs, Adam(1e-4, beta_1=0.5), k=5.

    Paper, Appendix A: generator with two ReLU hidden layers of 128 units,
    discriminator with one (the paper also scales D's input down by 4 and
    uses orthogonal initialization; kgen keeps Keras' defaults).

    Args:
        input_shape: `(D,)` points (the 2-D mixtures).
        tiny: small networks for tests.
        latent_dim: latent size (256 as in the paper; 4 when tiny).
        unroll_steps: k.
        hidden: generator hidden widths ((128, 128)).
        d_hidden: discriminator hidden widths ((128,)).

    Returns:
        A compiled `UnrolledGAN`.
    """
    if len(input_shape) != 1:
        raise ValueError(f"unrolled_gan builds MLPs for points: expected input_shape (D,). "
                         f"Received: {tuple(input_shape)}")
    latent_dim = latent_dim or (4 if tiny else 256)
    hidden = hidden or ((16, 16) if tiny else (128, 128))
    d_hidden = d_hidden or ((16,) if tiny else (128,))
    g = build_mlp_generator(latent_dim, input_shape[0], hidden, activation="relu", num_classes=num_classes)
    d = build_mlp_discriminator(input_shape[0], d_hidden, activation="relu", num_classes=num_classes)
    gan = UnrolledGAN(g, d, latent_dim, num_classes=num_classes, unroll_steps=unroll_steps, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), **compile_kwargs)
    return gan
