"""Denoising diffusion probabilistic models (Ho et al. 2020) with DDPM and DDIM samplers.

https://arxiv.org/abs/2006.11239 (DDPM), https://arxiv.org/abs/2010.02502 (DDIM),
https://arxiv.org/abs/2102.09672 (cosine schedule, respacing), https://arxiv.org/abs/2207.12598
(classifier-free guidance), https://arxiv.org/abs/2202.00512 (v-prediction).
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgen import distribute, priors
from kgen.losses.diffusion import (diffusion_simple_loss, discretized_gaussian_log_likelihood, hybrid_loss,
                                   learned_log_variance, normal_kl, vlb_term_bits)
from kgen.models.core import Endpoint, GenerativeModel, SingleObjectiveSteps, TensorSpec
from kgen.models.diffusion import samplers
from kgen.models.diffusion.schedules import SPACINGS, Schedule, spaced_timesteps
from kgen.networks import diffusion as nets
from kgen.zoo import register_builder

SAMPLERS = ("ddpm", "ddim")
LOSSES = ("simple", "hybrid")
#: How the device runners (export/kgen_litert.py, the Android class) pick the timesteps.
TIMESTEP_FORMULAS = {"uniform": "round(linspace(0, T - 1, steps))",
                     "quadratic": "round(linspace(0, 1, steps)^2 (T - 1)), each at least the previous + 1"}


class _Cache:
    """Traced samplers, kept outside Keras' attribute tracking (they are functions, not state)."""

    def __init__(self):
        self.functions = {}


@keras.saving.register_keras_serializable(package="kgen")
class DDPM(SingleObjectiveSteps, GenerativeModel):
    """A denoising diffusion model: a time-conditioned denoiser trained with the simple loss, sampled by DDPM or DDIM.

    Training (`fit`, any strategy): per example a timestep t ~ U{0..T-1} and
    noise eps ~ N(0, I) from the model's seed generator (drawn for the global
    batch, sliced per replica), `x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps`,
    and the loss `mean((target - net(x_t, t))^2)` with target eps
    (`prediction="epsilon"`) or `v = sqrt(ab_t) eps - sqrt(1 - ab_t) x_0`
    (`prediction="v"`). A class-conditional model (`num_classes`) replaces a
    label by the null id K with probability `p_uncond`, so one network gives
    both the conditional and the unconditional prediction for classifier-free
    guidance: `out = (1 + w) out(x, c) - w out(x, null)`.

    The model holds an exponential moving average of the denoiser's weights
    (`ema_network`), updated after every optimizer step with decay
    `min(ema_decay, (1 + n) / (10 + n))` at step n when `ema_warmup` (so the
    average follows the weights early on instead of sampling noise from the
    initial weights for ~1/(1-decay) steps). Sampling, the likelihood and
    export use it (`use_ema=True`).

    The prior is `N(0, I)` over the image shape (`prior["x_t"]`): x_T. The
    sampler is chosen at sampling time (`generate(..., sampler="ddim",
    steps=50, eta=0.0)`); the config's `sampler`, `sampling_steps`, `eta` and
    `guidance` are the defaults of `generate`, sample grids and `kgen sample`.
    At eta = 0 DDIM is deterministic: `generate(x_T)` is a fixed map, inverted
    by `encode` (DDIM inversion).

    Args:
        network: the denoiser, `[x_t, t(, labels)] -> (N, H, W, C)` (`kgen.networks.build_unet`).
        num_classes: K for a class-conditional model (the network takes labels, K = null).
        schedule: "linear" or "cosine" (`kgen.models.diffusion.Schedule`).
        num_timesteps: T (1000).
        beta_start, beta_end: the linear schedule's betas.
        cosine_s: the cosine schedule's offset.
        terminal_snr: "clip" or "zero" (Lin et al.'s zero terminal SNR; needs prediction="v").
        prediction: "epsilon" or "v".
        ema_decay: the EMA's decay (0.9999 in Ho et al.).
        ema_warmup: use the warm-up decay above.
        p_uncond: label drop probability for classifier-free guidance.
        sampler: default sampler, "ddim" or "ddpm".
        sampling_steps: default number of sampling steps (respaced when < T).
        spacing: default timestep spacing of respaced samplers, "uniform" or "quadratic"
            (`kgen.models.diffusion.spaced_timesteps`; quadratic helps DDIM at ~10 steps).
        eta: default DDIM eta.
        guidance: default guidance weight w (conditional models).
        clip_denoised: clip the predicted x_0 to [-1, 1] in DDPM sampling (Ho et al.); DDIM never clips.
        loss: "simple" (L_simple, fixed reverse variances beta_tilde_t) or "hybrid" (Nichol &
            Dhariwal 2021: the network also outputs v, C more channels, for learned variances
            Sigma = exp(f log beta_t + (1 - f) log beta_tilde_t), f = (v + 1) / 2, trained by
            L_simple + hybrid_weight * L_vlb with the mean under a stop-gradient in L_vlb; DDPM
            sampling and the bound use them, DDIM ignores them).
        hybrid_weight: lambda of the hybrid loss (0.001).
        seed: seed of the model's noise.

    Example:
        >>> model = kgen.zoo.build("ddpm", (32, 32, 1))
        >>> model.fit(kgen.data.load("../shared/data/mnist7k.npz", image_size=32), epochs=20)
        >>> images = model.generate(16, sampler="ddim", steps=50)
        >>> model.bits_per_dim(x_test)["bits_per_dim"]
    """

    def __init__(self, network, num_classes=None, schedule="linear", num_timesteps=1000, beta_start=1e-4,
                 beta_end=0.02, cosine_s=0.008, terminal_snr="clip", prediction="epsilon", ema_decay=0.9999,
                 ema_warmup=True, p_uncond=0.1, sampler="ddim", sampling_steps=50, eta=0.0, guidance=0.0,
                 clip_denoised=True, spacing="uniform", loss="simple", hybrid_weight=0.001, seed=None, **kwargs):
        image_shape = tuple(int(v) for v in network.inputs[0].shape[1:])
        num_classes = int(num_classes) if num_classes else None
        prior = priors.Joint(x_t=priors.Normal(image_shape),
                             labels=priors.Categorical(num_classes) if num_classes else None)
        super().__init__(prior=prior, seed=seed, **kwargs)
        if prediction not in samplers.PREDICTIONS:
            raise ValueError(f"expected prediction in {samplers.PREDICTIONS}. Received: prediction={prediction!r}")
        if terminal_snr == "zero" and prediction == "epsilon":
            raise ValueError("terminal_snr='zero' makes x_0 unreadable from an epsilon prediction at t = T "
                             "(alpha_bar_T = 0): use prediction='v' with it, or terminal_snr='clip'.")
        expected_inputs = 3 if num_classes else 2
        if len(network.inputs) != expected_inputs:
            raise ValueError(f"expected a denoiser with {expected_inputs} inputs [x_t, t{', labels' if num_classes else ''}]"
                             f" for num_classes={num_classes}. Received: {len(network.inputs)} inputs; build it with "
                             f"kgen.networks.build_unet(..., num_classes={num_classes}).")
        if sampler not in SAMPLERS:
            raise ValueError(f"expected sampler in {SAMPLERS}. Received: sampler={sampler!r}")
        if spacing not in SPACINGS:
            raise ValueError(f"expected spacing in {SPACINGS}. Received: spacing={spacing!r}")
        if loss not in LOSSES:
            raise ValueError(f"expected loss in {LOSSES}. Received: loss={loss!r}")
        out_channels = int(network.outputs[0].shape[-1])
        expected = image_shape[-1] * (2 if loss == "hybrid" else 1)
        if out_channels != expected:
            raise ValueError(f"loss={loss!r} needs a denoiser with {expected} output channels (the image's "
                             f"{image_shape[-1]}{' and as many variance channels' if loss == 'hybrid' else ''}). "
                             f"Received: {out_channels}; build it with kgen.networks.build_unet(..., "
                             f"out_channels={expected}).")
        if float(hybrid_weight) < 0:
            raise ValueError(f"expected hybrid_weight >= 0. Received: hybrid_weight={hybrid_weight}")
        if not 0.0 <= float(ema_decay) < 1.0:
            raise ValueError(f"expected 0 <= ema_decay < 1. Received: ema_decay={ema_decay}")
        if not 0.0 <= float(p_uncond) < 1.0:
            raise ValueError(f"expected 0 <= p_uncond < 1. Received: p_uncond={p_uncond}")
        self.schedule = Schedule(schedule, num_timesteps, beta_start, beta_end, cosine_s, terminal_snr)
        self.check_steps(sampling_steps)
        self.check_eta(eta)
        self.network = network
        self.image_shape = image_shape
        self.prediction = prediction
        self.ema_decay = float(ema_decay)
        self.ema_warmup = bool(ema_warmup)
        self.p_uncond = float(p_uncond)
        self.sampler = sampler
        self.sampling_steps = int(sampling_steps)
        self.spacing = spacing
        self.eta = float(eta)
        self.guidance = float(guidance)
        self.clip_denoised = bool(clip_denoised)
        self.loss_kind = loss
        self.hybrid_weight = float(hybrid_weight)
        self.ema_network = keras.models.clone_model(network)
        self.ema_network.set_weights(network.get_weights())
        self.ema_network.trainable = False
        self._sqrt_ab = tf.constant(np.sqrt(self.schedule.alpha_bar), tf.float32)
        self._sqrt_1mab = tf.constant(np.sqrt(1.0 - self.schedule.alpha_bar), tf.float32)
        s = self.schedule
        self._coef_x0 = tf.constant(s.posterior_mean_coef_x0, tf.float32)
        self._coef_xt = tf.constant(s.posterior_mean_coef_xt, tf.float32)
        self._log_beta = tf.constant(np.log(s.betas), tf.float32)
        self._post_log_var = tf.constant(s.posterior_log_variance, tf.float32)
        self._cache = _Cache()
        self.built = True

    # -- checks -------------------------------------------------------------------------
    def check_steps(self, steps):
        steps = int(steps)
        if not 1 <= steps <= self.schedule.num_timesteps:
            raise ValueError(f"expected 1 <= steps <= num_timesteps={self.schedule.num_timesteps}. "
                             f"Received: steps={steps}")
        return steps

    @staticmethod
    def check_eta(eta):
        if not 0.0 <= float(eta) <= 1.0:
            raise ValueError(f"expected DDIM eta in [0, 1]. Received: eta={eta}")
        return float(eta)

    @property
    def num_timesteps(self):
        return self.schedule.num_timesteps

    @property
    def null_label(self):
        """The label id meaning "no label" (classifier-free guidance), K; None when unconditional."""
        return self.num_classes

    # -- training -----------------------------------------------------------------------
    def batch_inputs(self, data):
        x, labels = self.unpack_batch(data)
        if self.num_classes and labels is None:
            raise ValueError("this diffusion model is class-conditional (num_classes set): expected batches of "
                             "(images, labels). Load data with kgen.data.load(..., labels=True).")
        return tf.cast(x, tf.float32), (None if not self.num_classes else tf.cast(labels, tf.int32))

    def network_inputs(self, x_t, t, labels=None):
        return [x_t, t, labels] if self.num_classes else [x_t, t]

    def diffuse(self, x0, t, eps):
        """`x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps` for int32 timesteps t `(N,)`."""
        a = _per_example(tf.gather(self._sqrt_ab, t), x0)
        s = _per_example(tf.gather(self._sqrt_1mab, t), x0)
        return a * x0 + s * eps

    def target(self, x0, t, eps):
        """The regression target: eps, or v = sqrt(ab_t) eps - sqrt(1 - ab_t) x_0."""
        if self.prediction == "epsilon":
            return eps
        a = _per_example(tf.gather(self._sqrt_ab, t), x0)
        s = _per_example(tf.gather(self._sqrt_1mab, t), x0)
        return a * eps - s * x0

    def compute_losses(self, x, labels=None, training=True):
        """`{"loss": L_simple}`: the mean squared error of the prediction (local-batch mean)."""
        x = tf.cast(x, tf.float32)
        n = tf.shape(x)[0]
        seed = self.seed_generator
        t = distribute.draw_for_replica(
            lambda shape: keras.random.randint(shape, 0, self.num_timesteps, dtype="int32", seed=seed), n, ())
        eps = distribute.draw_for_replica(lambda shape: keras.random.normal(shape, seed=seed), n, self.image_shape)
        if self.num_classes:
            drop = distribute.draw_for_replica(lambda shape: keras.random.uniform(shape, seed=seed), n, ())
            labels = tf.where(drop < self.p_uncond, tf.fill(tf.shape(labels), self.null_label), labels)
        x_t = self.diffuse(x, t, eps)
        out = self.network(self.network_inputs(x_t, t, labels), training=training)
        if not self.learned_variance:
            return {"loss": diffusion_simple_loss(self.target(x, t, eps), out)}
        pred, v = tf.split(tf.cast(out, tf.float32), 2, axis=-1)
        vlb = self.vlb_terms(x, x_t, t, tf.stop_gradient(pred), v)
        simple = diffusion_simple_loss(self.target(x, t, eps), pred)
        return {"loss": hybrid_loss(self.target(x, t, eps), pred, vlb, self.num_timesteps, self.hybrid_weight),
                "mse": simple, "vlb": tf.reduce_mean(vlb)}

    @property
    def learned_variance(self):
        """Whether the network also outputs the reverse variances (`loss="hybrid"`)."""
        return self.loss_kind == "hybrid"

    def metric_names(self):
        return ["loss", "mse", "vlb"] if self.learned_variance else ["loss"]

    def reverse_log_variance(self, t, v, like):
        """The learned log Sigma at timesteps t `(N,)` from the variance output v."""
        g = lambda c: _per_example(tf.gather(c, t), like)  # noqa: E731
        return learned_log_variance(v, g(self._log_beta), g(self._post_log_var))

    def vlb_terms(self, x0, x_t, t, pred, v):
        """Per-example L_t in bits/dim with learned variances (`kgen.losses.diffusion.vlb_term_bits`)."""
        a = _per_example(tf.gather(self._sqrt_ab, t), x0)
        sd = _per_example(tf.gather(self._sqrt_1mab, t), x0)
        x0_hat, _ = samplers.split_prediction(pred, x_t, a, sd, self.prediction)
        g = lambda c: _per_example(tf.gather(c, t), x0)  # noqa: E731
        mean_q = g(self._coef_x0) * x0 + g(self._coef_xt) * x_t
        mean_p = g(self._coef_x0) * x0_hat + g(self._coef_xt) * x_t
        return vlb_term_bits(x0, mean_q, g(self._post_log_var), mean_p, self.reverse_log_variance(t, v, x0),
                             tf.equal(t, 0))

    def after_update(self, terms):
        self.update_ema()

    def ema_decay_now(self):
        """This step's EMA decay: `min(ema_decay, (1 + n) / (10 + n))` with warm-up, n = optimizer steps done."""
        if not self.ema_warmup:
            return tf.constant(self.ema_decay, tf.float32)
        n = tf.cast(self.optimizer.iterations, tf.float32)
        return tf.minimum(self.ema_decay, (1.0 + n) / (10.0 + n))

    def update_ema(self):
        """One EMA step of every denoiser weight (same value on every replica: the weights are mirrored)."""
        pairs = list(zip(self.ema_network.weights, self.network.weights))

        def assign_all(strategy=None):
            decay = self.ema_decay_now()
            for ema, var in pairs:
                if strategy is None:
                    ema.assign(decay * ema + (1.0 - decay) * ops.cast(var, ema.dtype))
                else:
                    # Mirrored variables are updated from cross-replica context, per device.
                    strategy.extended.update(
                        ema.value, lambda e, w: e.assign(decay * e + (1.0 - decay) * tf.cast(w, e.dtype)),
                        args=(var.value,))

        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            ctx.merge_call(lambda strategy: assign_all(strategy))
        else:
            assign_all()

    def call(self, inputs, training=False):
        """The denoiser's output for `[x_t, t(, labels)]` (the EMA network when not training)."""
        net = self.network if training else self.ema_network
        return net(inputs, training=training)

    # -- sampling -----------------------------------------------------------------------
    def denoiser(self, use_ema=True, guidance=0.0, variance=False):
        """`(x_t, t, labels) -> output` with classifier-free guidance `(1 + w) out_c - w out_null` when w != 0.

        A learned-variance model (`loss="hybrid"`) gives the eps (or v)
        prediction only, or with `variance=True` the prediction and the
        variance output concatenated on the last axis (guidance combines the
        predictions; the variance is the conditional one).
        """
        net = self.ema_network if use_ema else self.network
        w = float(guidance)

        def split(out):
            out = tf.cast(out, tf.float32)
            return tf.split(out, 2, axis=-1) if self.learned_variance else (out, None)

        def finish(pred, v):
            return tf.concat([pred, v], -1) if (variance and v is not None) else pred

        def denoise(x, t, labels=None):
            if not self.num_classes:
                return finish(*split(net([x, t], training=False)))
            if w == 0.0:
                return finish(*split(net([x, t, labels], training=False)))
            null = tf.fill(tf.shape(labels), self.null_label)
            both = net([tf.concat([x, x], 0), tf.concat([t, t], 0), tf.concat([labels, null], 0)], training=False)
            cond, uncond = tf.split(tf.cast(both, tf.float32), 2, axis=0)
            (pc, vc), (pu, _) = split(cond), split(uncond)
            return finish((1.0 + w) * pc - w * pu, vc)

        return denoise

    def sampling_schedule(self, steps=None, spacing=None):
        """The full schedule respaced to `steps` timesteps (the last one, T-1, included) by `spacing`."""
        steps = self.check_steps(self.sampling_steps if steps is None else steps)
        return self.schedule.respace(spaced_timesteps(self.num_timesteps, steps, spacing or self.spacing))

    def _sampler_fn(self, sampler, steps, eta, guidance, clip, trajectory, use_ema, spacing):
        key = (sampler, steps, eta, guidance, clip, trajectory, use_ema, spacing)
        if key not in self._cache.functions:
            schedule = self.sampling_schedule(steps, spacing)
            clip_range = (-1.0, 1.0) if clip else None

            def run(x_T, labels, seed):
                learned = self.learned_variance and sampler == "ddpm"
                base = self.denoiser(use_ema, guidance, variance=learned)
                denoise = lambda x, t: base(x, t, labels)  # noqa: E731
                if sampler == "ddim":
                    return samplers.ddim(denoise, x_T, schedule, eta, self.prediction, seed, clip_range, trajectory)
                return samplers.ddpm(denoise, x_T, schedule, self.prediction, seed, clip_range, trajectory,
                                     learned_variance=learned)

            self._cache.functions[key] = tf.function(run, reduce_retracing=True)
        return self._cache.functions[key]

    def sample(self, x_T, labels=None, sampler=None, steps=None, eta=None, guidance=None, seed=None,
               trajectory=False, use_ema=True, clip=None, spacing=None):
        """Run a sampler from given noise x_T.

        Args:
            x_T: `(N, H, W, C)` float noise (the prior's draw).
            labels: `(N,)` class ids (conditional models).
            sampler: "ddim" or "ddpm" (default: the config's).
            steps: number of (respaced) steps (default: the config's `sampling_steps`).
            eta: DDIM eta (default: the config's).
            guidance: classifier-free guidance weight w (default: the config's).
            seed: int seed of the per-step noise (DDPM, DDIM with eta > 0);
                None draws it from the model's seed generator.
            trajectory: also return every intermediate x (steps + 1, N, ...), x_T first.
            use_ema: sample with the EMA weights.
            clip: clip the predicted x_0 to [-1, 1] (default: `clip_denoised` for DDPM, never for DDIM).
            spacing: "uniform" or "quadratic" timesteps when steps < T (default: the config's).

        Returns:
            float32 images `(N, H, W, C)` (or `(images, trajectory)`).
        """
        sampler = sampler or self.sampler
        if sampler not in SAMPLERS:
            raise ValueError(f"expected sampler in {SAMPLERS}. Received: sampler={sampler!r}")
        steps = self.check_steps(self.sampling_steps if steps is None else steps)
        eta = self.check_eta(self.eta if eta is None else eta)
        guidance = float(self.guidance if guidance is None else guidance)
        spacing = spacing or self.spacing
        if spacing not in SPACINGS:
            raise ValueError(f"expected spacing in {SPACINGS}. Received: spacing={spacing!r}")
        if clip is None:
            clip = self.clip_denoised and sampler == "ddpm"
        if self.num_classes:
            if labels is None:
                raise ValueError("this model is class-conditional: pass labels= (ids in [0, K), or K for none)")
            labels = tf.cast(tf.convert_to_tensor(labels), tf.int32)
        else:
            if labels is not None:
                raise ValueError("labels given, but this model is unconditional (num_classes=None).")
            labels = tf.zeros(tf.shape(x_T)[:1], tf.int32)
        if seed is None:
            seed = keras.random.randint((2,), 0, 2 ** 31 - 1, dtype="int32", seed=self.seed_generator)
        else:
            seed = tf.constant([int(seed), 0], tf.int32)
        fn = self._sampler_fn(sampler, steps, eta if sampler == "ddim" else None, guidance, bool(clip),
                              bool(trajectory), bool(use_ema), spacing)
        return fn(tf.cast(x_T, tf.float32), labels, tf.cast(seed, tf.int32))

    def generate(self, n_or_z=None, labels=None, training=False, sampler=None, steps=None, eta=None,
                 guidance=None, seed=None, spacing=None, clip=None, **inputs):
        """Images from fresh prior draws or a given x_T `(N, H, W, C)` (or a dict with "x_t").

        The sampler's options are `sample`'s (`clip` too: clip the predicted x_0 to [-1, 1]).

        Example:
            >>> model.generate(16)                                  # the config's sampler
            >>> model.generate(x_T, sampler="ddim", steps=10)       # eta 0: a fixed map of x_T
            >>> model.generate(16, sampler="ddpm", steps=1000, seed=0)
            >>> model.generate(16, steps=10, spacing="quadratic")   # denser at low noise
        """
        if n_or_z is not None and not isinstance(n_or_z, (int, np.integer, dict)):
            inputs["x_t"] = n_or_z
            n_or_z = None
        drawn = self.prior_inputs(n_or_z, labels, **inputs)
        return self.sample(drawn["x_t"], drawn.get("labels"), sampler, steps, eta, guidance, seed,
                           spacing=spacing, clip=clip)

    def decode_prior(self, inputs, training=False):
        return self.sample(inputs["x_t"], inputs.get("labels"))

    def denoising_strip(self, n=8, seed=0, sampler="ddim", steps=None, frames=10, labels=None):
        """`(frames, n, H, W, C)`: x_T to x_0 at `frames` evenly spaced steps of one sampling run."""
        x_T = self.prior["x_t"].numpy_sample(n, np.random.default_rng(seed))
        if self.num_classes and labels is None:
            labels = np.arange(n) % self.num_classes
        _, traj = self.sample(x_T, labels, sampler=sampler, steps=steps, seed=seed, trajectory=True)
        traj = np.asarray(traj)
        pick = np.unique(np.round(np.linspace(0, len(traj) - 1, min(frames, len(traj)))).astype(int))
        return traj[pick]

    def encode(self, x, labels=None, steps=None, use_ema=True):
        """DDIM inversion: images x_0 -> the x_T that DDIM (eta = 0, same steps) maps back to them."""
        schedule = self.sampling_schedule(steps)
        base = self.denoiser(use_ema, 0.0)
        if self.num_classes and labels is None:
            raise ValueError("this model is class-conditional: pass labels=")
        labels = tf.zeros((len(x),), tf.int32) if labels is None else tf.cast(labels, tf.int32)
        fn = tf.function(lambda x0, y: samplers.ddim_invert(lambda xt, t: base(xt, t, y), x0, schedule,
                                                             self.prediction))
        return fn(tf.cast(x, tf.float32), labels)

    # -- likelihood ---------------------------------------------------------------------
    def _term_fn(self):
        if self._cache.functions.get("vlb") is None:
            s = self.schedule
            c = lambda v: tf.constant(np.asarray(v), tf.float32)  # noqa: E731
            coef_x0, coef_xt = c(s.posterior_mean_coef_x0), c(s.posterior_mean_coef_xt)
            log_var = c(s.posterior_log_variance)
            post_var = c(np.maximum(s.posterior_variance, 1e-30))
            denoise = self.denoiser(True, 0.0, variance=True)

            def terms(x0, i, eps, labels, clip):
                x_t = self.diffuse(x0, i, eps)
                out = denoise(x_t, i, labels)
                g = lambda v: _per_example(tf.gather(v, i), x0)  # noqa: E731
                if self.learned_variance:
                    out, v = tf.split(out, 2, axis=-1)
                    log_var_p = self.reverse_log_variance(i, v, x0)
                else:
                    log_var_p = g(log_var)
                a = _per_example(tf.gather(self._sqrt_ab, i), x0)
                sd = _per_example(tf.gather(self._sqrt_1mab, i), x0)
                x0_hat, _ = samplers.split_prediction(out, x_t, a, sd, self.prediction)
                x0_hat = tf.cond(clip, lambda: tf.clip_by_value(x0_hat, -1.0, 1.0), lambda: x0_hat)
                mean_q = g(coef_x0) * x0 + g(coef_xt) * x_t
                mean_p = g(coef_x0) * x0_hat + g(coef_xt) * x_t
                kl = normal_kl(mean_q, tf.math.log(g(post_var)), mean_p, log_var_p)
                axes = list(range(1, len(self.image_shape) + 1))
                kl = tf.reduce_sum(kl, axes)
                nll0 = -tf.reduce_sum(discretized_gaussian_log_likelihood(x0, mean_p, 0.5 * log_var_p), axes)
                return tf.where(i == 0, nll0, kl)

            self._cache.functions["vlb"] = tf.function(terms, reduce_retracing=True)
        return self._cache.functions["vlb"]

    def prior_bits_per_dim(self, x):
        """The bound's L_T = KL(q(x_T | x_0) || N(0, I)) per example in bits/dim (numpy)."""
        x = np.asarray(x, np.float64).reshape(len(x), -1)
        ab = self.schedule.alpha_bar[-1]
        kl = 0.5 * (-np.log1p(-ab) + (1 - ab) + ab * x ** 2 - 1.0)
        return kl.sum(1) / (x.shape[1] * math.log(2.0))

    def bits_per_dim(self, x, labels=None, timesteps=None, batch_size=100, seed=0, clip_denoised=True):
        """The variational bound on -log p(x) in bits/dim for 8-bit images in [-1, 1] (Ho et al., eq. 5 and 13).

        `L = L_T + sum_{t>1} L_{t-1} + L_0`: L_T = KL(q(x_T|x_0) || N(0, I)),
        L_{t-1} = KL(q(x_{t-1}|x_t, x_0) || p(x_{t-1}|x_t)) with the reverse variance
        beta_tilde_t, and L_0 the discretized-Gaussian decoder's -log p(x_0|x_1)
        over the 256 bins. A bound on the negative log-likelihood of the
        discrete 8-bit data (hence also of the data uniformly dequantized
        within each bin: the discrete probability is the dequantized density
        integrated over the bin), in bits per dimension. One noise draw per
        example and term.

        Args:
            x: images `(N, H, W, C)` on the 8-bit grid `-1 + 2k/255` (quantize
                first: `np.round((x + 1) * 127.5) / 127.5 - 1`).
            labels: class ids for conditional models (bound of p(x | label)).
            timesteps: None for all T terms (exact sum), or k: a stratified
                random draw of k timesteps per example, each term weighted T/k
                (an unbiased estimate of the sum).
            batch_size: examples per network call.
            seed: seed of the noise and of the drawn timesteps.
            clip_denoised: clip the predicted x_0 to [-1, 1] in the reverse mean.

        Returns:
            dict: "bits_per_dim" (mean), "stderr" (standard error over
            examples), "prior_bits_per_dim", "per_example" (numpy).
        """
        x = np.asarray(x, np.float32)
        grid = np.round((x + 1.0) * 127.5)
        if np.abs(grid / 127.5 - 1.0 - x).max() > 1e-4 or x.min() < -1 - 1e-6 or x.max() > 1 + 1e-6:
            raise ValueError("bits_per_dim needs 8-bit images in [-1, 1] (values -1 + 2k/255). Received values "
                             f"in [{x.min():g}, {x.max():g}] off that grid; quantize first: "
                             "x = np.round((x + 1) * 127.5) / 127.5 - 1.")
        if self.num_classes and labels is None:
            raise ValueError("this model is class-conditional: pass labels=")
        big_t = self.num_timesteps
        # Separate streams: the noise of term j is the same whichever timesteps are drawn.
        rng, rng_noise = np.random.default_rng([seed, 1]), np.random.default_rng([seed, 0])
        fn = self._term_fn()
        total = self.prior_bits_per_dim(x) * (np.prod(self.image_shape) * math.log(2.0))
        total = total.astype(np.float64)
        k = big_t if timesteps is None else int(timesteps)
        if not 1 <= k <= big_t:
            raise ValueError(f"expected 1 <= timesteps <= {big_t}. Received: timesteps={timesteps}")
        weight = big_t / k
        for start in range(0, len(x), batch_size):
            xb = x[start:start + batch_size]
            m = len(xb)
            lb = np.zeros(m, np.int32) if labels is None else np.asarray(labels[start:start + batch_size], np.int32)
            if timesteps is None:
                plan = np.tile(np.arange(big_t), (m, 1))
            else:  # stratified: one timestep in each of k equal strata
                edges = np.linspace(0, big_t, k + 1)
                plan = np.floor(edges[:-1] + rng.random((m, k)) * np.diff(edges)).astype(np.int64)
                plan = np.minimum(plan, big_t - 1)
            for j in range(plan.shape[1]):
                eps = rng_noise.standard_normal(xb.shape).astype(np.float32)
                term = fn(tf.constant(xb), tf.constant(plan[:, j].astype(np.int32)), tf.constant(eps),
                          tf.constant(lb), tf.constant(bool(clip_denoised)))
                total[start:start + m] += weight * np.asarray(term, np.float64)
        dims = float(np.prod(self.image_shape))
        per_example = total / (dims * math.log(2.0))
        return {"bits_per_dim": float(per_example.mean()),
                "stderr": float(per_example.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0,
                "prior_bits_per_dim": float(self.prior_bits_per_dim(x).mean()),
                "timesteps": "all" if timesteps is None else int(timesteps),
                "per_example": per_example}

    # -- export and config --------------------------------------------------------------
    def export_endpoints(self):
        """`denoise`: `(x_t, t(, labels)) -> eps` (or v) of the EMA network; the schedule is in its metadata.

        No loop inside: the sampler runs around the exported denoiser
        (`export/kgen_litert.py --steps 50 --eta 0`, the Android class).
        """
        specs = self.prior_specs()
        x_spec = next(s for s in specs if s.name == "x_t")
        label = [s for s in specs if s.role == "label"]
        for spec in label:
            spec.info["null_label"] = self.null_label
        t_spec = TensorSpec("t", (), "int32", "timestep",
                            {"distribution": priors.Categorical(self.num_timesteps).metadata(),
                             "description": "original timestep index 0..T-1 (T-1 = the noisiest)"})
        name = "eps" if self.prediction == "epsilon" else "v"
        out = TensorSpec(name, self.image_shape, "float32", "output", {
            "prediction": self.prediction,
            "schedule": self.schedule.metadata(),
            "data_range": [-1.0, 1.0],
            "sampler": {"name": "ddim", "steps": self.sampling_steps, "eta": self.eta,
                        "guidance": self.guidance, "spacing": self.spacing,
                        "timesteps": TIMESTEP_FORMULAS[self.spacing]},
        })
        network = self.ema_network
        if self.learned_variance:
            # The samplers on the device run DDIM, which needs no variance: the endpoint keeps the
            # prediction's channels (the learned variances stay in the Keras model).
            channels = self.image_shape[-1]
            network = keras.Model(network.inputs, network.outputs[0][..., :channels], name="denoise_prediction")
        return [Endpoint("denoise", network, [x_spec, t_spec, *label], [out])]

    def get_config(self):
        s = self.schedule
        return {
            **super().get_config(),
            "network": keras.saving.serialize_keras_object(self.network),
            "num_classes": self.num_classes,
            "schedule": s.kind, "num_timesteps": s.num_timesteps, "beta_start": s.beta_start,
            "beta_end": s.beta_end, "cosine_s": s.cosine_s, "terminal_snr": s.terminal_snr,
            "prediction": self.prediction, "ema_decay": self.ema_decay, "ema_warmup": self.ema_warmup,
            "p_uncond": self.p_uncond, "sampler": self.sampler, "sampling_steps": self.sampling_steps,
            "eta": self.eta, "guidance": self.guidance, "clip_denoised": self.clip_denoised,
            "loss": self.loss_kind, "hybrid_weight": self.hybrid_weight, "spacing": self.spacing,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["network"] = keras.saving.deserialize_keras_object(config["network"])
        return cls(**config)


def _per_example(values, like):
    """`(N,)` -> `(N, 1, ..., 1)` broadcasting against `like`."""
    return tf.reshape(tf.cast(values, like.dtype), [-1] + [1] * (len(like.shape) - 1))


def _unet_kwargs(input_shape, tiny, base_filters, channel_mults, num_res_blocks, attention_resolutions, dropout,
                 num_classes):
    size, _ = nets.check_image_shape(input_shape)
    if tiny:
        # One level: tracing costs ~0.3 s per variable on a CPU (optimizer and EMA updates), and a
        # second level doubles the variables (measured: first fit step 40 s -> 24 s with one level).
        return dict(base_filters=base_filters or 8, channel_mults=channel_mults or (1,),
                    num_res_blocks=num_res_blocks or 1,
                    attention_resolutions=(size,) if attention_resolutions is None else attention_resolutions,
                    dropout=dropout, num_classes=num_classes, groups=4)
    return dict(base_filters=base_filters or 64, channel_mults=channel_mults,
                num_res_blocks=2 if num_res_blocks is None else num_res_blocks,
                attention_resolutions=(8,) if attention_resolutions is None else attention_resolutions,
                dropout=dropout, num_classes=num_classes)


@register_builder("ddpm", scale="tanh", paper="Ho et al. 2020, https://arxiv.org/abs/2006.11239")
def build_ddpm(input_shape, num_classes=None, tiny=False, seed=None, base_filters=None, channel_mults=None,
               num_res_blocks=None, attention_resolutions=None, dropout=0.0, learning_rate=2e-4,
               sampling_steps=None, jit_compile=False, **model_kwargs):
    """DDPM (Ho et al. 2020): a time-conditioned U-Net, the simple loss, EMA; DDPM or DDIM sampling.

    Args:
        input_shape: `(S, S, C)` images in [-1, 1], S a power of two.
        num_classes: K for a class-conditional model (classifier-free guidance).
        tiny: a few-thousand-parameter model for tests (4 sampling steps).
        seed: the model's noise seed.
        base_filters, channel_mults, num_res_blocks, attention_resolutions, dropout: the U-Net
            (`kgen.networks.build_unet`; defaults 64, one level per halving down to 4x4, 2, (8,), 0).
        learning_rate: Adam's (2e-4 as in Ho et al.; no gradient clipping, which under a strategy
            would clip each replica's share instead of the global gradient).
        sampling_steps: default sampling steps (50; 4 when tiny).
        jit_compile: XLA for the train step (off by default: compiling the U-Net's step takes
            minutes on a CPU; `kgen train --jit` turns it on).
        **model_kwargs: `DDPM` arguments (schedule, prediction, ema_decay, sampler, eta, guidance,
            loss="hybrid" for learned variances (the U-Net gets 2C outputs), ...).

    Returns:
        A compiled `DDPM`.
    """
    network = nets.build_unet(input_shape, **_unet_kwargs(input_shape, tiny, base_filters, channel_mults,
                                                          num_res_blocks, attention_resolutions, dropout,
                                                          num_classes),
                              out_channels=input_shape[-1] * (2 if model_kwargs.get("loss") == "hybrid" else 1))
    if sampling_steps is None:
        sampling_steps = 4 if tiny else 50
    model = DDPM(network, num_classes=num_classes, seed=seed, sampling_steps=sampling_steps, **model_kwargs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
    return model


@register_builder("cddpm", labels=True, scale="tanh",
                  paper="Ho & Salimans 2022, https://arxiv.org/abs/2207.12598")
def build_cddpm(input_shape, num_classes=10, tiny=False, seed=None, guidance=1.0, **kwargs):
    """Class-conditional DDPM with classifier-free guidance (labels dropped with p 0.1; w = 1 by default)."""
    return build_ddpm(input_shape, num_classes=num_classes or 10, tiny=tiny, seed=seed, guidance=guidance,
                      **kwargs)
