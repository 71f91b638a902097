"""Restricted Boltzmann machines (Bernoulli-Bernoulli and Gaussian-Bernoulli) trained by CD-k or PCD.

Energies (``u(v) = v`` for binary visible units, ``v / sigma`` for Gaussian ones):

- Bernoulli: ``E(v, h) = -b.v - c.h - v W h``; free energy
  ``F(v) = -b.v - sum_j softplus(c_j + (v W)_j)``.
- Gaussian (Cho et al. 2011 / Hinton 2010's practical guide, eq. 17):
  ``E(v, h) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - c.h - (v / sigma) W h``; free energy
  ``F(v) = sum_i (v_i - b_i)^2 / (2 sigma_i^2) - sum_j softplus(c_j + ((v / sigma) W)_j)``,
  ``p(v | h) = N(b + sigma * W h, sigma^2)``.

Both give ``p(h_j = 1 | v) = sigmoid(c_j + (u(v) W)_j)``. The log-likelihood
gradient is ``-<dF/dtheta>_data + <dF/dtheta>_model``: contrastive divergence
(Hinton 2002) estimates the model term with k Gibbs steps from the data,
persistent CD (Tieleman 2008) with chains kept across updates. kgen writes it
as the gradient of the surrogate loss ``mean F(v_data) - mean F(stop_grad(v_neg))``,
which is exactly "negative minus positive phase statistics" (with hidden
probabilities in both phases, as sklearn's `BernoulliRBM` and Hinton's guide
do), and applies it through the model's optimizer with `apply_update`, so
learning rate, momentum (`keras.optimizers.SGD(momentum=...)`) and the
global-batch mean under a strategy come from the one update routine.
"""

import itertools
import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgen import distribute, priors
from kgen.models.core import Endpoint, GenerativeModel, TensorSpec
from kgen.models.core.replica import cross_replica_mean
from kgen.zoo import register_builder

_VISIBLE = ("bernoulli", "gaussian")
LOG2 = math.log(2.0)


def _flat(x, num_visible):
    x = ops.cast(x, "float32")
    return ops.reshape(x, (-1, num_visible))


def enumerate_states(n):
    """All `2**n` binary vectors of length `n`, as a float32 array `(2**n, n)` (n <= 24)."""
    if n > 24:
        raise ValueError(f"enumerating 2**{n} states is too many; use AIS (kgen.models.boltzmann.ais). "
                         f"Received: n={n}")
    if n == 0:
        return np.zeros((1, 0), np.float32)
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)), np.float32)


@keras.saving.register_keras_serializable(package="kgen")
class RBM(GenerativeModel):
    """A restricted Boltzmann machine trained with `fit` by CD-k or persistent CD.

    `train_step` runs the negative phase (k Gibbs steps from the data, or from
    the persistent chains), then minimizes the surrogate loss
    `F(data) - F(negatives)` (+ weight decay, + sparsity penalty) with the
    compiled optimizer, whose gradient is the CD/PCD update. Persistent
    chains are a non-trainable weight (`persistent_chains`, hidden states
    `(num_chains, num_hidden)`): saved with the model and by checkpoints, so
    a resumed run continues the same chains. Under a strategy each replica
    advances its slice of the chains with its slice of a global-batch noise
    draw and all replicas then hold the gathered whole.

    Metrics (by name): `loss` (the surrogate: free-energy gap + penalties),
    `free_energy` (mean F of the data batch), `reconstruction_error`
    (per-example squared error of the one-step reconstruction
    `E[v | h ~ p(h | x)]`, summed over pixels), and, for binary visible
    units, `pseudo_likelihood`: sklearn's stochastic estimate
    `D * log sigmoid(F(x~) - F(x))` with one random unit of each example
    flipped, i.e. the log pseudo-likelihood SUMMED over the `D` units (it
    estimates `sum_i log p(x_i | x_-i)`; divide by `D` for per-unit figures).
    It is not a log-likelihood and is not comparable to AIS figures.

    Args:
        visible_shape: shape of one example (e.g. `(28, 28, 1)`); flattened to `D` units.
        num_hidden: hidden units.
        visible: "bernoulli" (binary units; data in [0, 1] are read as
            probabilities) or "gaussian" (real-valued units with standard
            deviation sigma).
        k: Gibbs steps of the negative phase.
        persistent: PCD (chains kept across updates) instead of CD-k.
        num_chains: persistent chains (default: the batch size must match; set
            it to the global batch size; must divide by the replica count).
        weight_decay: L2 coefficient on W (not the biases): adds `weight_decay * W` to the gradient.
        sparsity_target: target mean activation of every hidden unit (None: off).
        sparsity_cost: weight of the sparsity penalty `sum_j BCE(target, q_j)`,
            `q_j` the global-batch mean of `p(h_j | v)` (Lee et al. 2008; Hinton 2010 §11).
        sigma: standard deviation of Gaussian visible units (initial value when learned).
        learn_sigma: learn log sigma (Gaussian only).
        init_std: standard deviation of W's normal initialization (Hinton's 0.01).
        sample_steps: Gibbs steps of the `generate` endpoint (its noise inputs scale with it).
        seed: seed of the model's SeedGenerator (all Gibbs noise).

    Example:
        >>> rbm = RBM((28, 28, 1), 500, k=1)
        >>> rbm.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5))
        >>> rbm.fit(binarized_mnist.batch(100), epochs=10)
        >>> features = rbm.encode(images)          # p(h | v)
        >>> chains = rbm.gibbs(images, k=1000)     # a long Gibbs chain from data
    """

    def __init__(self, visible_shape, num_hidden, visible="bernoulli", k=1, persistent=False, num_chains=None,
                 weight_decay=0.0, sparsity_target=None, sparsity_cost=0.0, sigma=1.0, learn_sigma=False,
                 init_std=0.01, sample_steps=10, seed=None, **kwargs):
        kwargs.pop("prior", None)
        # RBMs compute in float32 (statistics of binary states; no gain from 16 bits on these matmuls).
        kwargs.pop("dtype", None)
        visible_shape = tuple(int(s) for s in np.atleast_1d(visible_shape))
        if visible not in _VISIBLE:
            raise ValueError(f"expected visible in {_VISIBLE}. Received: visible={visible!r}")
        for name, value in (("num_hidden", num_hidden), ("k", k), ("sample_steps", sample_steps)):
            if int(value) < 1:
                raise ValueError(f"expected {name} >= 1. Received: {name}={value}")
        if persistent and (num_chains is None or int(num_chains) < 1):
            raise ValueError("persistent=True needs num_chains (the global batch size, e.g. 100). "
                             f"Received: num_chains={num_chains}")
        if sparsity_target is not None and not 0.0 < float(sparsity_target) < 1.0:
            raise ValueError(f"expected 0 < sparsity_target < 1 (or None). Received: {sparsity_target}")
        if float(sigma) <= 0:
            raise ValueError(f"expected sigma > 0. Received: sigma={sigma}")
        if learn_sigma and visible != "gaussian":
            raise ValueError("learn_sigma=True needs visible='gaussian' (binary units have no sigma).")
        self.visible_shape = visible_shape
        self.num_visible = int(np.prod(visible_shape))
        self.num_hidden = int(num_hidden)
        self.visible = visible
        self.k = int(k)
        self.persistent = bool(persistent)
        self.num_chains = None if num_chains is None else int(num_chains)
        self.weight_decay = float(weight_decay)
        self.sparsity_target = None if sparsity_target is None else float(sparsity_target)
        self.sparsity_cost = float(sparsity_cost)
        self.sigma = float(sigma)
        self.learn_sigma = bool(learn_sigma)
        self.init_std = float(init_std)
        self.sample_steps = int(sample_steps)
        d, h = self.num_visible, self.num_hidden
        prior = priors.Joint(
            visible=priors.Bernoulli(visible_shape, 0.5),
            hidden_noise=priors.Uniform((self.sample_steps, h), 0.0, 1.0),
            visible_noise=(priors.Uniform((self.sample_steps, d), 0.0, 1.0) if visible == "bernoulli"
                           else priors.Normal((self.sample_steps, d))))
        super().__init__(prior=prior, seed=seed, dtype="float32", **kwargs)
        self.W = self.add_weight(shape=(d, h), initializer=keras.initializers.RandomNormal(0.0, self.init_std,
                                                                                          seed=seed),
                                 name="W")
        self.visible_bias = self.add_weight(shape=(d,), initializer="zeros", name="visible_bias")
        self.hidden_bias = self.add_weight(shape=(h,), initializer="zeros", name="hidden_bias")
        self.log_sigma = None
        if visible == "gaussian":
            self.log_sigma = self.add_weight(shape=(d,), initializer=keras.initializers.Constant(math.log(sigma)),
                                             trainable=self.learn_sigma, name="log_sigma")
        self.persistent_chains = None
        if self.persistent:
            # Hidden states of the chains (as sklearn's `h_samples_`): one Gibbs
            # step samples v from them. Every replica holds the same gathered
            # value, so only the first replica's assignment is kept.
            self.persistent_chains = self.add_weight(shape=(self.num_chains, h), initializer="zeros",
                                                     trainable=False, aggregation="only_first_replica",
                                                     name="persistent_chains")
        self.built = True

    # -- conditionals and energies ------------------------------------------------
    def sigma_vector(self):
        """Standard deviations of the visible units `(D,)` (ones for binary units)."""
        if self.log_sigma is None:
            return ops.ones((self.num_visible,), "float32")
        return ops.exp(self.log_sigma)

    def _u(self, v):
        return v if self.log_sigma is None else v / ops.exp(self.log_sigma)

    def hidden_preactivation(self, v):
        """`c + u(v) W` for flat visible states `(N, D)`."""
        return ops.matmul(self._u(v), self.W) + self.hidden_bias

    def hidden_probabilities(self, v):
        """`p(h = 1 | v)` `(N, H)` for flat visible states."""
        return ops.sigmoid(self.hidden_preactivation(_flat(v, self.num_visible)))

    def visible_mean(self, h):
        """`E[v | h]` `(N, D)`: `sigmoid(b + W h)` or `b + sigma * W h`."""
        a = ops.matmul(h, ops.transpose(self.W))
        if self.log_sigma is None:
            return ops.sigmoid(a + self.visible_bias)
        return self.visible_bias + ops.exp(self.log_sigma) * a

    def free_energy(self, v):
        """`F(v)` per example `(N,)` (closed form; `p(v) = exp(-F(v)) / Z`)."""
        v = _flat(v, self.num_visible)
        soft = ops.sum(ops.softplus(self.hidden_preactivation(v)), axis=-1)
        if self.log_sigma is None:
            return -ops.sum(v * self.visible_bias, axis=-1) - soft
        sigma = ops.exp(self.log_sigma)
        return ops.sum(ops.square(v - self.visible_bias) / (2.0 * ops.square(sigma)), axis=-1) - soft

    def energy(self, v, h):
        """`E(v, h)` per example `(N,)`."""
        v = _flat(v, self.num_visible)
        h = ops.cast(h, "float32")
        inter = ops.sum(ops.matmul(self._u(v), self.W) * h, axis=-1) + ops.sum(h * self.hidden_bias, axis=-1)
        if self.log_sigma is None:
            return -ops.sum(v * self.visible_bias, axis=-1) - inter
        sigma = ops.exp(self.log_sigma)
        return ops.sum(ops.square(v - self.visible_bias) / (2.0 * ops.square(sigma)), axis=-1) - inter

    # -- sampling with given noise (exportable: no random op) ---------------------------
    def sample_hidden_given(self, v, uniform):
        """`h ~ p(h | v)` as `uniform < p(h | v)` for given uniform noise `(N, H)`."""
        return ops.cast(uniform < self.hidden_probabilities(v), "float32")

    def sample_visible_given(self, h, noise):
        """`v ~ p(v | h)` for given noise `(N, D)`: uniforms (binary units) or standard normals (Gaussian)."""
        mean = self.visible_mean(h)
        if self.log_sigma is None:
            return ops.cast(noise < mean, "float32"), mean
        return mean + ops.exp(self.log_sigma) * noise, mean

    def _visible_noise(self, shape):
        if self.log_sigma is None:
            return keras.random.uniform(shape, seed=self.seed_generator)
        return keras.random.normal(shape, seed=self.seed_generator)

    def _draw(self, n, width, kind="uniform"):
        if kind == "uniform":
            sampler = lambda s: keras.random.uniform(s, seed=self.seed_generator)  # noqa: E731
        else:
            sampler = self._visible_noise
        return distribute.draw_for_replica(sampler, n, (width,))

    def gibbs_from_hidden(self, h, k):
        """k steps `h -> v -> h` starting from hidden states; returns (v sample, v mean, p(h | v), h sample)."""
        n = ops.shape(h)[0]
        v = mean = p_h = None
        for _ in range(int(k)):
            v, mean = self.sample_visible_given(h, self._draw(n, self.num_visible, "visible"))
            p_h = self.hidden_probabilities(v)
            h = ops.cast(self._draw(n, self.num_hidden) < p_h, "float32")
        return v, mean, p_h, h

    def gibbs(self, v, k=1, return_mean=True):
        """Run k Gibbs steps `v -> h -> v` from visible states (data or any start).

        Args:
            v: visible states `(N, *visible_shape)` or `(N, D)`.
            k: steps.
            return_mean: return `E[v | h]` of the last step instead of the sampled v.

        Returns:
            Visible states shaped like one example per row `(N, *visible_shape)`.

        Example:
            >>> chains = rbm.gibbs(rbm.sample_prior(16)["visible"], k=1000)
        """
        v = _flat(ops.convert_to_tensor(v), self.num_visible)
        n = ops.shape(v)[0]
        h = ops.cast(self._draw(n, self.num_hidden) < self.hidden_probabilities(v), "float32")
        v_s, mean, _, _ = self.gibbs_from_hidden(h, k)
        out = mean if return_mean else v_s
        return ops.reshape(out, (-1, *self.visible_shape))

    def chain_visible(self, return_mean=True):
        """Visible states of the persistent chains (one `h -> v` step from their hidden states)."""
        if self.persistent_chains is None:
            raise ValueError("chain_visible() needs a persistent RBM (persistent=True).")
        v, mean = self.sample_visible_given(
            ops.convert_to_tensor(self.persistent_chains),
            self._visible_noise((self.num_chains, self.num_visible)))
        return ops.reshape(mean if return_mean else v, (-1, *self.visible_shape))

    # -- likelihood tools ----------------------------------------------------------------
    def exact_log_partition(self, max_states=2 ** 20, chunk=4096):
        """`log Z` by exact enumeration (binary units: over the smaller layer; Gaussian: over h).

        Gaussian visible units are integrated analytically given h:
        `log Z = logsumexp_h [c.h + sum_i (a_i b_i / sigma_i + a_i^2 / 2)] + sum_i log(sqrt(2 pi) sigma_i)`,
        `a = W h`.

        Args:
            max_states: refuse to enumerate more states than this.
            chunk: states per batch.

        Returns:
            A Python float.
        """
        h_side = self.num_hidden if (self.log_sigma is not None or self.num_hidden <= self.num_visible) \
            else None
        n = self.num_hidden if h_side is not None else self.num_visible
        if 2 ** n > max_states:
            raise ValueError(f"exact log Z needs 2**{n} states (> max_states={max_states}); use "
                             "kgen.models.boltzmann.ais_log_partition instead.")
        states = enumerate_states(n)
        W = ops.convert_to_tensor(self.W)
        terms = []
        for i in range(0, len(states), chunk):
            s = ops.convert_to_tensor(states[i:i + chunk])
            if h_side is None:  # enumerate v: log sum_v exp(-F(v))
                terms.append(-self.free_energy(s))
                continue
            a = ops.matmul(s, ops.transpose(W))
            t = ops.sum(s * self.hidden_bias, axis=-1)
            if self.log_sigma is None:
                t = t + ops.sum(ops.softplus(a + self.visible_bias), axis=-1)
            else:
                sigma = ops.exp(self.log_sigma)
                t = t + ops.sum(a * self.visible_bias / sigma + 0.5 * ops.square(a), axis=-1)
            terms.append(t)
        log_z = ops.logsumexp(ops.concatenate(terms, axis=0))
        if self.log_sigma is not None:
            log_z = log_z + ops.sum(0.5 * math.log(2 * math.pi) + self.log_sigma)
        return float(log_z)

    def log_likelihood(self, x, log_z):
        """Mean `log p(x) = -F(x) - log Z` over the rows of `x` (nats)."""
        return float(ops.mean(-self.free_energy(ops.convert_to_tensor(x)))) - float(log_z)

    def pseudo_log_likelihood(self, x, exact=True, seed=None):
        """Log pseudo-likelihood per example `(N,)`, summed over the D units (binary visible units).

        Args:
            x: binary examples.
            exact: sum `log p(x_i | x_-i)` over every unit (D free-energy
                evaluations); False gives sklearn's one-flip estimate `D * log p(x_i | x_-i)`, i random.
            seed: numpy seed of the flipped units (exact=False).

        Returns:
            numpy array `(N,)`.
        """
        if self.log_sigma is not None:
            raise ValueError("pseudo-likelihood is defined here for binary visible units (visible='bernoulli').")
        v = np.asarray(x, np.float32).reshape(-1, self.num_visible)
        f = ops.convert_to_numpy(self.free_energy(v))
        if not exact:
            idx = np.random.default_rng(seed).integers(0, self.num_visible, len(v))
            flipped = v.copy()
            flipped[np.arange(len(v)), idx] = 1 - flipped[np.arange(len(v)), idx]
            f2 = ops.convert_to_numpy(self.free_energy(flipped))
            return -self.num_visible * np.logaddexp(0, -(f2 - f))
        total = np.zeros(len(v))
        for i in range(self.num_visible):
            flipped = v.copy()
            flipped[:, i] = 1 - flipped[:, i]
            total += -np.logaddexp(0, -(ops.convert_to_numpy(self.free_energy(flipped)) - f))
        return total

    # -- training ------------------------------------------------------------------------
    def metric_names(self):
        names = ["loss", "free_energy", "reconstruction_error"]
        if self.visible == "bernoulli":
            names.append("pseudo_likelihood")
        return names

    def negative_phase(self, v):
        """Run the negative phase for flat data `v` `(n, D)` of this replica.

        Returns:
            dict with `negatives` (visible states whose free energy is
            subtracted), `reconstruction` (`E[v | h0]` of the first step from
            the data) and `chains` (new hidden states of this replica's
            persistent chains, or None).
        """
        n = ops.shape(v)[0]
        p_h0 = self.hidden_probabilities(v)
        h0 = ops.cast(self._draw(n, self.num_hidden) < p_h0, "float32")
        reconstruction = self.visible_mean(h0)
        if not self.persistent:
            v_neg, _, _, _ = self.gibbs_from_hidden(h0, self.k)
            return {"negatives": v_neg, "reconstruction": reconstruction, "chains": None}
        local = self._local_chains()
        v_neg, _, _, h_new = self.gibbs_from_hidden(local, self.k)
        return {"negatives": v_neg, "reconstruction": reconstruction, "chains": h_new}

    def _local_chains(self):
        chains = ops.convert_to_tensor(self.persistent_chains)
        replicas = distribute.num_replicas()
        if replicas == 1:
            return chains
        if self.num_chains % replicas:
            raise ValueError(f"num_chains={self.num_chains} must divide by the {replicas} replicas.")
        per = self.num_chains // replicas
        return tf.slice(chains, [distribute.replica_id() * per, 0], [per, self.num_hidden])

    def _store_chains(self, local):
        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            local = ctx.all_gather(local, axis=0)
        self.persistent_chains.assign(local)

    def compute_losses(self, v, negatives, training=True):
        """The CD/PCD surrogate: `{"loss": mean F(v) - mean F(negatives) + penalties, "free_energy": ...}`.

        Its gradient is (negative - positive) phase statistics plus
        `weight_decay * W` and the sparsity penalty's gradient (local means;
        `apply_update` turns them into the global-batch mean).
        """
        f_data = ops.mean(self.free_energy(v))
        f_neg = ops.mean(self.free_energy(ops.stop_gradient(negatives)))
        loss = f_data - f_neg
        if self.weight_decay:
            loss = loss + 0.5 * self.weight_decay * ops.sum(ops.square(self.W))
        if self.sparsity_target is not None and self.sparsity_cost:
            # A nonlinear function of the batch mean: it must see the GLOBAL batch's mean activation.
            q = ops.clip(cross_replica_mean(ops.mean(self.hidden_probabilities(v), axis=0)), 1e-6, 1 - 1e-6)
            t = self.sparsity_target
            # Divided by the replica count by apply_update, summed back over replicas.
            loss = loss + self.sparsity_cost * ops.sum(-(t * ops.log(q) + (1 - t) * ops.log(1 - q)))
        return {"loss": loss, "free_energy": f_data}

    def _pseudo_likelihood_estimate(self, v):
        n = ops.shape(v)[0]
        u = self._draw(n, 1)[:, 0]
        idx = ops.cast(ops.minimum(ops.floor(u * self.num_visible), self.num_visible - 1), "int32")
        mask = ops.one_hot(idx, self.num_visible)
        flipped = v + mask * (1.0 - 2.0 * v)
        diff = self.free_energy(flipped) - self.free_energy(v)
        return ops.mean(self.num_visible * -ops.softplus(-diff))

    def train_step(self, data):
        x, _ = self.unpack_batch(data)
        v = _flat(x, self.num_visible)
        phase = self.negative_phase(v)
        terms = self.apply_update(self.optimizer, lambda: self.compute_losses(v, phase["negatives"]),
                                  self.trainable_variables)
        if phase["chains"] is not None:
            self._store_chains(phase["chains"])
        terms = dict(terms)
        terms["reconstruction_error"] = ops.mean(ops.sum(ops.square(v - phase["reconstruction"]), axis=-1))
        if self.visible == "bernoulli":
            terms["pseudo_likelihood"] = self._pseudo_likelihood_estimate(v)
        return self.update_metrics(terms)

    def test_step(self, data):
        x, _ = self.unpack_batch(data)
        v = _flat(x, self.num_visible)
        phase = self.negative_phase(v) if not self.persistent else {
            "negatives": self.gibbs_from_hidden(self._local_chains(), self.k)[0],
            "reconstruction": self.visible_mean(self.hidden_probabilities(v))}
        terms = dict(self.compute_losses(v, phase["negatives"], training=False))
        terms["reconstruction_error"] = ops.mean(ops.sum(ops.square(v - phase["reconstruction"]), axis=-1))
        if self.visible == "bernoulli":
            terms["pseudo_likelihood"] = self._pseudo_likelihood_estimate(v)
        return self.update_metrics(terms)

    def cd_gradients(self, x):
        """The CD/PCD update direction for a batch without applying it: {variable name: -gradient}.

        `-gradient` of the surrogate is the log-likelihood ascent direction
        the optimizer follows (positive minus negative statistics).
        """
        v = _flat(ops.convert_to_tensor(x), self.num_visible)
        phase = self.negative_phase(v)
        with tf.GradientTape() as tape:
            loss = self.compute_losses(v, phase["negatives"])["loss"]
        grads = tape.gradient(loss, self.trainable_variables)
        return {var.path.split("/")[-1]: -ops.convert_to_numpy(g) for var, g in zip(self.trainable_variables, grads)}

    # -- inference -----------------------------------------------------------------------
    def call(self, x, training=False):
        """`p(h | x)`: the hidden features."""
        return self.hidden_probabilities(x)

    def encode(self, x, training=False):
        """Hidden features `p(h = 1 | x)` `(N, H)` (the linear-probe features)."""
        return self.hidden_probabilities(ops.convert_to_tensor(x, "float32"))

    def reconstruct(self, x, training=False):
        """Mean-field reconstruction `E[v | h = p(h | x)]`, shaped like `x`."""
        return ops.reshape(self.visible_mean(self.encode(x)), (-1, *self.visible_shape))

    def run_chain(self, visible, hidden_noise, visible_noise):
        """Gibbs steps with given noise: one per row of the noise `(N, steps, H)` / `(N, steps, D)`.

        Returns:
            (E[v | h] of the last step, the last sampled v), both `(N, *visible_shape)`.
        """
        v = _flat(visible, self.num_visible)
        steps = int(hidden_noise.shape[1])
        mean = v
        for t in range(steps):
            h = self.sample_hidden_given(v, hidden_noise[:, t])
            v, mean = self.sample_visible_given(h, visible_noise[:, t])
        shape = (-1, *self.visible_shape)
        return ops.reshape(mean, shape), ops.reshape(v, shape)

    def decode_prior(self, inputs, training=False):
        """`sample_steps` Gibbs steps from the prior's initial visible states; returns `E[v | h]` of the last."""
        return self.run_chain(inputs["visible"], ops.cast(inputs["hidden_noise"], "float32"),
                              ops.cast(inputs["visible_noise"], "float32"))[0]

    # -- figures (the report's chains and filters) -----------------------------------------
    def filter_images(self, n=64):
        """The first `n` hidden units' weights as images `(n, *visible_shape)` in [0, 1].

        Each filter `W[:, j]` is scaled to its own range (a global scale would
        leave most filters grey), so a filter shows which pixels excite
        (light) or inhibit (dark) hidden unit j.
        """
        w = ops.convert_to_numpy(self.W).T[:int(n)]
        lo, span = w.min(1, keepdims=True), np.ptp(w, 1, keepdims=True)
        return ((w - lo) / np.maximum(span, 1e-8)).reshape(-1, *self.visible_shape).astype(np.float32)

    def chain_states(self, n=8, steps=(1, 10, 100, 1000), start=None, seed=0):
        """Snapshots of `n` Gibbs chains: `(means, samples)`, each `(n, len(steps), D)`.

        Column j holds the chains after `steps[j]` steps `v -> h -> v` of ONE
        run (the chains continue from column to column). The noise is drawn
        with `numpy.random.default_rng(seed)` and passed to the exportable
        conditionals, so the snapshots are reproducible and use no model state.

        Args:
            n: chains.
            steps: increasing step counts to record (>= 1).
            start: visible start states `(n, ...)` (default: the prior's Bernoulli(0.5) draws).
            seed: numpy seed of the start and the noise.
        """
        steps = [int(s) for s in steps]
        if not steps or steps[0] < 1 or any(b <= a for a, b in zip(steps, steps[1:])):
            raise ValueError(f"expected increasing steps >= 1, e.g. (1, 10, 100). Received: steps={steps}")
        rng = np.random.default_rng(seed)
        v = (self.prior["visible"].numpy_sample(n, rng) if start is None else np.asarray(start, np.float32))
        v = ops.convert_to_tensor(v.reshape(-1, self.num_visible).astype(np.float32))
        n = int(v.shape[0])
        means, samples, t = [], [], 0
        for target in steps:
            for _ in range(target - t):
                h = self.sample_hidden_given(v, rng.uniform(size=(n, self.num_hidden)).astype(np.float32))
                noise = (rng.uniform(size=(n, self.num_visible)) if self.log_sigma is None
                         else rng.standard_normal((n, self.num_visible)))
                v, mean = self.sample_visible_given(h, noise.astype(np.float32))
            t = target
            means.append(ops.convert_to_numpy(mean))
            samples.append(ops.convert_to_numpy(v))
        return np.stack(means, 1), np.stack(samples, 1)

    def chain_snapshots(self, n=8, steps=(1, 10, 100, 1000), seed=0):
        """`E[v | h]` of `n` Gibbs chains after each of `steps`: `(n, len(steps), *visible_shape)`.

        Rows are chains, columns steps of the same chain (see `chain_states`).

        Example:
            >>> grid = rbm.chain_snapshots(8, (1, 10, 100, 1000))   # 8 chains x 4 snapshots
        """
        means, _ = self.chain_states(n, steps, seed=seed)
        return means.reshape(means.shape[0], means.shape[1], *self.visible_shape)

    def report_log_likelihood(self, x, train=None, num_temperatures=1000, num_runs=16, max_states=2 ** 20, seed=0):
        """Mean `log p(x)` for a report: exact when the smaller layer has at most 20 units, else AIS.

        Args:
            x: binary examples.
            train: data for AIS's base-rate RBM (default `x`).
            num_temperatures, num_runs: AIS settings (a quick estimate; the benchmark uses >= 10,000).
            max_states: largest enumeration done exactly.
            seed: AIS seed.

        Returns:
            dict: `{"log_likelihood_exact": nats}` or
            `{"log_likelihood_ais": nats, "log_likelihood_ais_std_err": std err of log Z}`.
        """
        from kgen.models.boltzmann.ais import ais_log_partition, base_rate_bias

        n = self.num_hidden if (self.log_sigma is not None or self.num_hidden <= self.num_visible) else self.num_visible
        if 2 ** n <= max_states:
            return {"log_likelihood_exact": self.log_likelihood(x, self.exact_log_partition(max_states))}
        base = None if self.log_sigma is not None else base_rate_bias(x if train is None else train)
        est = ais_log_partition(self, num_temperatures, num_runs, base_visible_bias=base, batch_size=num_runs,
                                seed=seed)
        return {"log_likelihood_ais": self.log_likelihood(x, est["log_z"]),
                "log_likelihood_ais_std_err": est["std_err"]}

    # -- export ----------------------------------------------------------------------------
    def _value_range(self):
        return [0.0, 1.0] if self.visible == "bernoulli" else None

    def export_endpoints(self):
        """`generate` (a `sample_steps` chain), `gibbs_step` (one step, for a runner's loop), `features`."""
        d, h = self.num_visible, self.num_hidden
        image = {"value_range": self._value_range()}
        vis_noise = (priors.Uniform((d,), 0.0, 1.0) if self.visible == "bernoulli" else priors.Normal((d,)))
        prior_specs = self.prior_specs()

        def generate(network, visible, hidden_noise, visible_noise):
            mean, sample = network.run_chain(visible, hidden_noise, visible_noise)
            return {"images": mean, "visible": sample}

        def gibbs_step(network, visible, hidden_noise, visible_noise):
            hid = network.sample_hidden_given(_flat(visible, d), hidden_noise)
            v, mean = network.sample_visible_given(hid, visible_noise)
            shape = (-1, *network.visible_shape)
            return {"visible": ops.reshape(v, shape), "images": ops.reshape(mean, shape), "hidden": hid}

        def features(network, images):
            return {"features": network.hidden_probabilities(images)}

        return [
            Endpoint("generate", self, prior_specs,
                     [TensorSpec("images", self.visible_shape, "float32", "image", image),
                      TensorSpec("visible", self.visible_shape, "float32", "output",
                                 {"note": "the chain's last sampled state: feed it back to continue"})],
                     call=generate),
            Endpoint("gibbs_step", self,
                     [TensorSpec("visible", self.visible_shape, "float32", "image",
                                 {**image, "note": "the chain's state; feed back the output `visible`"}),
                      TensorSpec("hidden_noise", (h,), "float32", "latent",
                                 priors.Uniform((h,), 0.0, 1.0).spec_info()),
                      TensorSpec("visible_noise", (d,), "float32", "latent", vis_noise.spec_info())],
                     [TensorSpec("visible", self.visible_shape, "float32", "output"),
                      TensorSpec("images", self.visible_shape, "float32", "image", image),
                      TensorSpec("hidden", (h,), "float32", "code")],
                     call=gibbs_step),
            Endpoint("features", self,
                     [TensorSpec("images", self.visible_shape, "float32", "image", image)],
                     [TensorSpec("features", (h,), "float32", "code")], call=features),
        ]

    def get_config(self):
        return {
            **super().get_config(),
            "visible_shape": list(self.visible_shape),
            "num_hidden": self.num_hidden,
            "visible": self.visible,
            "k": self.k,
            "persistent": self.persistent,
            "num_chains": self.num_chains,
            "weight_decay": self.weight_decay,
            "sparsity_target": self.sparsity_target,
            "sparsity_cost": self.sparsity_cost,
            "sigma": self.sigma,
            "learn_sigma": self.learn_sigma,
            "init_std": self.init_std,
            "sample_steps": self.sample_steps,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register_builder("rbm", data="images", scale="sigmoid",
                  paper="Hinton 2002 (CD), https://doi.org/10.1162/089976602760128018; Tieleman 2008 (PCD), "
                        "https://doi.org/10.1145/1390156.1390290")
def build_rbm(input_shape, num_classes=None, tiny=False, seed=None, num_hidden=None, visible="bernoulli", k=1,
              persistent=False, num_chains=None, learning_rate=None, momentum=0.5, weight_decay=2e-4,
              sparsity_target=None, sparsity_cost=0.0, sigma=1.0, learn_sigma=False, sample_steps=None,
              batch_size=None, learning_rate_decay=None, decay_steps=None, **kwargs):
    """Restricted Boltzmann machine (binary or Gaussian visible units) trained by CD-k or PCD.

    Args:
        input_shape: shape of one image.
        num_classes: unused (an RBM is unsupervised).
        tiny: 16 hidden units and 2 sampling steps (tests).
        seed: SeedGenerator seed (also W's initialization).
        num_hidden: hidden units (default 500; 16 when tiny).
        visible: "bernoulli" or "gaussian".
        k: Gibbs steps of CD-k / PCD-k.
        persistent: PCD (Tieleman 2008).
        num_chains: persistent chains (default: batch_size, else 100; 8 when tiny).
        learning_rate: SGD learning rate (default 0.05 binary, 0.005 Gaussian).
        momentum: SGD momentum.
        weight_decay, sparsity_target, sparsity_cost, sigma, learn_sigma: see `RBM`.
        sample_steps: Gibbs steps of `generate` (default 20; 2 when tiny).
        batch_size: the training batch size (sets the default num_chains).
        learning_rate_decay: None (constant) or "linear": the rate falls linearly to 0
            over `decay_steps` updates (see `learning_rate_schedule`).
        decay_steps: updates of the linear decay (epochs x batches per epoch).

    Returns:
        A compiled `RBM`.

    Example:
        >>> rbm = kgen.zoo.build("rbm", (28, 28, 1), persistent=True, batch_size=100)
    """
    num_hidden = num_hidden or (16 if tiny else 500)
    if persistent and num_chains is None:
        num_chains = 8 if tiny else (batch_size or 100)
    model = RBM(input_shape, num_hidden, visible=visible, k=k, persistent=persistent, num_chains=num_chains,
                weight_decay=weight_decay, sparsity_target=sparsity_target, sparsity_cost=sparsity_cost,
                sigma=sigma, learn_sigma=learn_sigma, sample_steps=sample_steps or (2 if tiny else 20),
                seed=seed, **kwargs)
    if learning_rate is None:
        learning_rate = 0.05 if visible == "bernoulli" else 0.005
    model.compile(optimizer=keras.optimizers.SGD(learning_rate_schedule(learning_rate, learning_rate_decay,
                                                                        decay_steps), momentum=momentum))
    return model


def learning_rate_schedule(learning_rate, decay=None, decay_steps=None):
    """An RBM's SGD learning rate: constant, or decaying linearly to 0 over `decay_steps` updates.

    The linear decay is Tieleman's (2008) schedule for PCD: as the rate goes
    to 0 the persistent chains catch up with the slowly moving model, and the
    last updates stop adding parameter noise (CD-k gains from it too).

    Args:
        learning_rate: the initial (or constant) rate.
        decay: None or "linear".
        decay_steps: updates until the rate reaches 0 (required with "linear"); it stays 0 after.

    Returns:
        A float or a `keras.optimizers.schedules.LearningRateSchedule`.

    Example:
        >>> sgd = keras.optimizers.SGD(learning_rate_schedule(0.05, "linear", 60 * 30), momentum=0.5)
    """
    if decay is None or decay == "none":
        return float(learning_rate)
    if decay != "linear":
        raise ValueError(f"expected learning_rate_decay None or 'linear'. Received: {decay!r}")
    if decay_steps is None or int(decay_steps) < 1:
        raise ValueError("learning_rate_decay='linear' needs decay_steps >= 1 (epochs x batches per epoch). "
                         f"Received: decay_steps={decay_steps}")
    return keras.optimizers.schedules.PolynomialDecay(float(learning_rate), int(decay_steps), 0.0, power=1.0)
