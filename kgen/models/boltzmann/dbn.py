"""Deep belief network (Hinton, Osindero & Teh 2006): a stack of RBMs, pretrained greedily.

https://doi.org/10.1162/neco.2006.18.7.1527; unrolled into a deep autoencoder as in
Hinton & Salakhutdinov 2006, https://doi.org/10.1126/science.1127647.

The generative model: an RBM over the top two layers `(h_{L-1}, h_L)` and
sigmoid belief-net connections down to the data, `p(h_{l-1} | h_l)` being
RBM `l`'s visible conditional. Recognition (the up-pass) uses each RBM's
`p(h_l | h_{l-1})`.
"""

import copy

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgen import priors
from kgen.models.boltzmann.rbm import RBM, _flat
from kgen.models.core import Endpoint, GenerativeModel, TensorSpec
from kgen.zoo import register_builder


def _log_bernoulli(x, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return (x * np.log(p) + (1 - x) * np.log1p(-p)).sum(-1)


@keras.saving.register_keras_serializable(package="kgen")
class DBN(GenerativeModel):
    """A deep belief network of RBMs, trained with `fit` (all layers, or one: `train_layer`) or `pretrain`.

    `train_step` feeds each RBM the mean-field up-pass of the layers below
    (held fixed: no gradient flows between layers) and applies every trained
    layer's own CD/PCD update (its `k`, persistence, weight decay, sparsity)
    through the one optimizer. `train_layer=None` trains all layers at once;
    `pretrain` is the greedy layer-wise schedule of Hinton et al. 2006:
    layer 0 for some epochs, then layer 1 on layer 0's features, and so on.

    Sampling (`generate`): `sample_steps` Gibbs steps in the top RBM from
    the prior's initial states, then a down-pass: sampled states through the
    intermediate layers (given noise), the data layer's probabilities last.

    Args:
        rbms: the RBMs, data layer first; each one's `num_visible` equals the
            previous one's `num_hidden`; all but the first binary.
        sample_steps: Gibbs steps in the top RBM for `generate`.
        train_layer: index of the layer `fit` trains (None: all).
        seed: seed of the model's SeedGenerator (the RBMs keep their own for CD noise).

    Example:
        >>> dbn = DBN([RBM((28, 28, 1), 500), RBM((500,), 500)])
        >>> dbn.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5))
        >>> dbn.pretrain(train_ds, epochs=10)
        >>> ae = dbn.to_autoencoder()   # fine-tune with ae.compile(...); ae.fit(...)
    """

    def __init__(self, rbms, sample_steps=10, train_layer=None, seed=None, **kwargs):
        kwargs.pop("prior", None)
        kwargs.pop("dtype", None)
        rbms = [keras.saving.deserialize_keras_object(r) if isinstance(r, dict) else r for r in rbms]
        if not rbms or not all(isinstance(r, RBM) for r in rbms):
            raise ValueError(f"expected a non-empty list of kgen RBMs. Received: {rbms!r}")
        for i in range(1, len(rbms)):
            if rbms[i].num_visible != rbms[i - 1].num_hidden or rbms[i].visible != "bernoulli":
                raise ValueError(f"RBM {i} must have {rbms[i - 1].num_hidden} binary visible units (RBM {i - 1}'s "
                                 f"hidden units). Received: {rbms[i].num_visible} {rbms[i].visible} units")
        if int(sample_steps) < 1:
            raise ValueError(f"expected sample_steps >= 1. Received: {sample_steps}")
        if train_layer is not None and not 0 <= int(train_layer) < len(rbms):
            raise ValueError(f"train_layer must be None or in [0, {len(rbms)}). Received: {train_layer}")
        self.rbms = list(rbms)
        self.sample_steps = int(sample_steps)
        self.train_layer = None if train_layer is None else int(train_layer)
        top = self.rbms[-1]
        parts = {"visible": priors.Bernoulli(top.visible_shape, 0.5),
                 "hidden_noise": priors.Uniform((self.sample_steps, top.num_hidden), 0.0, 1.0),
                 "visible_noise": (priors.Uniform((self.sample_steps, top.num_visible), 0.0, 1.0)
                                   if top.visible == "bernoulli" else priors.Normal((self.sample_steps,
                                                                                      top.num_visible)))}
        down = sum(r.num_visible for r in self.rbms[1:-1])
        if down:
            parts["down_noise"] = priors.Uniform((down,), 0.0, 1.0)
        super().__init__(prior=priors.Joint(parts), seed=seed, dtype="float32", **kwargs)
        self.built = True

    @property
    def visible_shape(self):
        return self.rbms[0].visible_shape

    def compile(self, *args, **kwargs):
        super().compile(*args, **kwargs)
        # One optimizer for every layer: built on all of them, since a step may train only one.
        if getattr(self, "optimizer", None) is not None:
            self.optimizer.build(self.trainable_variables)

    # -- the up-pass and training ---------------------------------------------------------
    def up_pass(self, x, layers=None):
        """Mean-field features `[x, p(h_1 | x), p(h_2 | h_1), ...]` (flat), through `layers` RBMs (default all)."""
        out = [_flat(x, self.rbms[0].num_visible)]
        for rbm in self.rbms[:len(self.rbms) if layers is None else layers]:
            out.append(rbm.hidden_probabilities(out[-1]))
        return out

    def encode(self, x, training=False):
        """Top-layer features `p(h_L | ...)` of the mean-field up-pass `(N, H_L)`."""
        return self.up_pass(ops.convert_to_tensor(x, "float32"))[-1]

    def call(self, x, training=False):
        return self.encode(x)

    def metric_names(self):
        return ["loss", "free_energy", "reconstruction_error"]

    def train_step(self, data):
        x, _ = self.unpack_batch(data)
        layers = range(len(self.rbms)) if self.train_layer is None else [self.train_layer]
        inputs = [ops.stop_gradient(t) for t in self.up_pass(x, layers=max(layers))]
        phases = {i: self.rbms[i].negative_phase(inputs[i]) for i in layers}
        variables = [v for i in layers for v in self.rbms[i].trainable_variables]

        def compute():
            terms = [self.rbms[i].compute_losses(inputs[i], phases[i]["negatives"]) for i in layers]
            # Disjoint parameters: the sum's gradient is each layer's own CD update.
            return {"loss": sum(t["loss"] for t in terms), "free_energy": terms[0]["free_energy"]}

        terms = dict(self.apply_update(self.optimizer, compute, variables))
        for i in layers:
            if phases[i]["chains"] is not None:
                self.rbms[i]._store_chains(phases[i]["chains"])  # noqa: SLF001 - same family
        first = layers[0]
        terms["reconstruction_error"] = ops.mean(ops.sum(ops.square(inputs[first] - phases[first]["reconstruction"]),
                                                         axis=-1))
        return self.update_metrics(terms)

    def pretrain(self, x, epochs=1, **fit_kwargs):
        """Greedy layer-wise pretraining: fit layer 0, then layer 1 on its features, ...

        Args:
            x: training data (arrays or a `tf.data.Dataset` of images), as for `fit`.
            epochs: epochs per layer (an int, or one per layer).
            **fit_kwargs: passed to `fit` (batch_size, callbacks, ...).

        Returns:
            One `History` per layer.
        """
        epochs = [int(epochs)] * len(self.rbms) if np.ndim(epochs) == 0 else [int(e) for e in epochs]
        saved, histories = self.train_layer, []
        try:
            for i, e in enumerate(epochs):
                self.train_layer = i
                self.train_function = None  # re-trace the step for this layer
                self.make_train_function(force=True)
                histories.append(self.fit(x, epochs=e, **fit_kwargs))
        finally:
            self.train_layer = saved
            self.make_train_function(force=True)
        return histories

    # -- sampling ---------------------------------------------------------------------------
    def decode_prior(self, inputs, training=False):
        """Gibbs in the top RBM from the prior's states, then the down-pass to `E[x | h_1]`."""
        top = self.rbms[-1]
        _, h = top.run_chain(inputs["visible"], ops.cast(inputs["hidden_noise"], "float32"),
                             ops.cast(inputs["visible_noise"], "float32"))
        noise = ops.cast(inputs["down_noise"], "float32") if "down_noise" in inputs else None
        return self.down_pass(h, noise)

    def down_pass(self, h, noise=None):
        """From top-RBM visible states `h` `(N, H_{L-1})` down to `E[x | h_1]` `(N, *visible_shape)`.

        Intermediate layers are sampled (ancestral sampling) with the uniform
        `noise` `(N, sum of their sizes)`, read from the top layer down.
        """
        h = _flat(h, self.rbms[-1].num_visible)
        start = 0
        for rbm in reversed(self.rbms[1:-1]):
            size = rbm.num_visible
            h = ops.cast(noise[:, start:start + size] < rbm.visible_mean(h), "float32")
            start += size
        return ops.reshape(self.rbms[0].visible_mean(h), (-1, *self.visible_shape))

    # -- figures ----------------------------------------------------------------------------
    def filter_images(self, n=64):
        """The first layer's filters as images (`RBM.filter_images`)."""
        return self.rbms[0].filter_images(n)

    def chain_snapshots(self, n=8, steps=(1, 10, 100, 1000), seed=0):
        """Chains of the top RBM, each snapshot taken down to the data: `(n, len(steps), *visible_shape)`.

        Rows are chains, columns steps of the same chain (`RBM.chain_states`
        in the top RBM); every snapshot goes through the same down-pass noise.
        """
        _, samples = self.rbms[-1].chain_states(n, steps, seed=seed)
        size = sum(r.num_visible for r in self.rbms[1:-1])
        noise = np.random.default_rng(seed + 1).uniform(size=(n, size)).astype(np.float32) if size else None
        cols = [ops.convert_to_numpy(self.down_pass(samples[:, j], noise)) for j in range(samples.shape[1])]
        return np.stack(cols, 1)

    # -- unrolling --------------------------------------------------------------------------
    def _dense_stack(self, name):
        layers = [keras.Input(self.visible_shape), keras.layers.Flatten()]
        for i, rbm in enumerate(self.rbms):
            dense = keras.layers.Dense(rbm.num_hidden, activation="sigmoid", name=f"{name}_{i}")
            layers.append(dense)
        model = keras.Sequential(layers, name=name)
        for i, rbm in enumerate(self.rbms):
            model.get_layer(f"{name}_{i}").set_weights([rbm.W.numpy(), rbm.hidden_bias.numpy()])
        return model

    def to_autoencoder(self):
        """Unroll into a deep autoencoder (Hinton & Salakhutdinov 2006): encoder W_1..W_L, decoder W_L^T..W_1^T.

        Returns:
            An uncompiled `kgen.models.autoencoders.Autoencoder` (reconstruction
            loss "bce" for binary data, "mse" for Gaussian visible units) whose
            encoder is the mean-field up-pass and decoder the mean-field down-pass.
        """
        from kgen.models.autoencoders import Autoencoder

        encoder = self._dense_stack("encoder")
        code = self.rbms[-1].num_hidden
        dec_layers = [keras.Input((code,))]
        for i, rbm in reversed(list(enumerate(self.rbms))):
            linear = i == 0 and rbm.visible == "gaussian"
            dec_layers.append(keras.layers.Dense(rbm.num_visible, activation=None if linear else "sigmoid",
                                                 name=f"decoder_{i}"))
        dec_layers.append(keras.layers.Reshape(self.visible_shape))
        decoder = keras.Sequential(dec_layers, name="decoder")
        for i, rbm in enumerate(self.rbms):
            w = rbm.W.numpy().T
            if rbm.visible == "gaussian":
                w = w * rbm.sigma_vector().numpy()[None, :]
            decoder.get_layer(f"decoder_{i}").set_weights([w, rbm.visible_bias.numpy()])
        if self.rbms[0].visible == "gaussian":
            # The encoder reads v / sigma.
            first = encoder.get_layer("encoder_0")
            w, c = first.get_weights()
            first.set_weights([w / self.rbms[0].sigma_vector().numpy()[:, None], c])
        return Autoencoder(encoder, decoder, reconstruction_loss="bce" if self.rbms[0].visible == "bernoulli"
                           else "mse", seed=self.seed)

    def to_classifier(self, num_classes):
        """Unroll the up-pass into a classifier: the DBN's sigmoid layers plus a softmax layer (uncompiled)."""
        stack = self._dense_stack("dbn_features")
        if self.rbms[0].visible == "gaussian":
            first = stack.get_layer("dbn_features_0")
            w, c = first.get_weights()
            first.set_weights([w / self.rbms[0].sigma_vector().numpy()[:, None], c])
        stack.add(keras.layers.Dense(int(num_classes), activation="softmax", name="classes"))
        return stack

    # -- likelihood -------------------------------------------------------------------------
    def log_likelihood_lower_bound(self, x, log_z_top, num_samples=10, seed=0):
        """The variational lower bound on `log p(x)` per example `(N,)` (nats), by Monte Carlo.

        `log p(x) >= E_q[log p(x | h_1) + sum_l log p(h_l | h_{l+1}) - F_top(h_{L-1}) - log q(h | x)] - log Z_top`,
        with `q` the sampled up-pass, `F_top` the top RBM's free energy of
        its visible layer and `log Z_top` its log partition function (exact
        or from AIS: `ais_log_partition(dbn.rbms[-1], ...)["log_z"]`). With
        one layer it is the RBM's exact `-F(x) - log Z`.

        Args:
            x: binary examples.
            log_z_top: log Z of the top RBM.
            num_samples: samples of the up-pass per example.
            seed: numpy seed of the up-pass samples.
        """
        x = np.asarray(x, np.float32).reshape(len(x), -1)
        top = self.rbms[-1]
        if len(self.rbms) == 1:
            return -top.free_energy(x).numpy() - float(log_z_top)
        rng = np.random.default_rng(seed)
        total = np.zeros(len(x))
        # Several up-pass samples per batch (x tiled): few large calls instead of one per sample.
        per_call = max(1, min(int(num_samples), 16384 // max(len(x), 1)))
        for done in range(0, int(num_samples), per_call):
            reps = min(per_call, int(num_samples) - done)
            states, log_q = [np.tile(x, (reps, 1))], 0.0
            for rbm in self.rbms[:-1]:
                p = rbm.hidden_probabilities(states[-1]).numpy()
                h = (rng.uniform(size=p.shape) < p).astype(np.float32)
                log_q = log_q + _log_bernoulli(h, p)
                states.append(h)
            log_p = -top.free_energy(states[-1]).numpy()
            for i, rbm in enumerate(self.rbms[:-1]):
                mean = rbm.visible_mean(states[i + 1]).numpy()
                if rbm.visible == "bernoulli":
                    log_p = log_p + _log_bernoulli(states[i], mean)
                else:
                    sigma = rbm.sigma_vector().numpy()
                    log_p = log_p + (-0.5 * ((states[i] - mean) / sigma) ** 2
                                     - np.log(np.sqrt(2 * np.pi) * sigma)).sum(-1)
            total += (log_p - log_q).reshape(reps, len(x)).sum(0)
        return total / int(num_samples) - float(log_z_top)

    # -- export and config ------------------------------------------------------------------
    def export_endpoints(self):
        """`generate` (top-RBM chain plus down-pass) and `features` (the mean-field up-pass)."""
        image = {"value_range": [0.0, 1.0] if self.rbms[0].visible == "bernoulli" else None}

        def features(network, images):
            return {"features": network.encode(images)}

        def generate(network, *inputs):
            names = [s.name for s in network.prior_specs()]
            return {"images": network.decode_prior(dict(zip(names, inputs)))}

        return [
            Endpoint("generate", self, self.prior_specs(),
                     [TensorSpec("images", self.visible_shape, "float32", "image", image)], call=generate),
            Endpoint("features", self, [TensorSpec("images", self.visible_shape, "float32", "image", image)],
                     [TensorSpec("features", (self.rbms[-1].num_hidden,), "float32", "code")], call=features),
        ]

    def get_config(self):
        return {**super().get_config(), "rbms": [keras.saving.serialize_keras_object(r) for r in self.rbms],
                "sample_steps": self.sample_steps, "train_layer": self.train_layer}

    @classmethod
    def from_config(cls, config):
        return cls(**copy.deepcopy(config))


@register_builder("dbn", data="images", scale="sigmoid",
                  paper="Hinton, Osindero & Teh 2006, https://doi.org/10.1162/neco.2006.18.7.1527")
def build_dbn(input_shape, num_classes=None, tiny=False, seed=None, hidden_units=None, visible="bernoulli", k=1,
              persistent=False, batch_size=None, learning_rate=0.05, momentum=0.5, weight_decay=2e-4,
              sample_steps=None, **kwargs):
    """Deep belief network: a stack of CD-k / PCD RBMs pretrained layer by layer.

    Args:
        input_shape: shape of one image.
        num_classes: unused (unsupervised; `to_classifier(num_classes)` unrolls it).
        tiny: hidden units (12, 8), 2 sampling steps.
        seed: seed (layer i's RBM gets seed + i).
        hidden_units: sizes of the hidden layers (default (500, 500)).
        visible: the data layer's units, "bernoulli" or "gaussian".
        k, persistent, batch_size, weight_decay: every layer's CD settings (`RBM`).
        learning_rate, momentum: the SGD optimizer.
        sample_steps: Gibbs steps in the top RBM for `generate` (default 20).

    Returns:
        A compiled `DBN`.
    """
    sizes = tuple(hidden_units or ((12, 8) if tiny else (500, 500)))
    chains = (8 if tiny else (batch_size or 100)) if persistent else None
    rbms, shape = [], tuple(input_shape)
    for i, h in enumerate(sizes):
        rbms.append(RBM(shape, h, visible=visible if i == 0 else "bernoulli", k=k, persistent=persistent,
                        num_chains=chains, weight_decay=weight_decay,
                        seed=None if seed is None else seed + i, name=f"rbm_{i}"))
        shape = (h,)
    model = DBN(rbms, sample_steps=sample_steps or (2 if tiny else 20), seed=seed, **kwargs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate, momentum=momentum))
    return model
