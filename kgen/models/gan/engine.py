"""The GAN engine: one forward pass, named outputs, pluggable losses, one update routine for every GAN.

TF-GAN's `GANModel` idea inside a Keras model. A step is a schedule of
updates (by default `d_steps` discriminator updates, each on fresh real
data, then one generator update). Each update runs the same routine:

1. `make_fakes` (outside the tape for the discriminator, inside it for the
   generator): prior inputs, the condition, the generator's output, and the
   fakes the discriminator trains on (experience replay);
2. `forward(role, ...)`: the discriminator on real and fake data, returning
   a `GANOutputs` with everything the losses need (outputs, intermediate
   features, the condition, the prior inputs);
3. `compute_discriminator_loss(outputs)` / `compute_generator_loss(outputs)`:
   a dict of named terms whose `"loss"` is minimized (adversarial loss plus
   the model's penalties);
4. `apply_update`: tape, replica share of the global-batch mean, loss
   scaling, apply to `variables_for(role)`; then every penalty's
   `after_update` (weight clipping, running averages).

Variants override what they compute (the forward pass, the losses, the
variables, the schedule), never how it runs.
"""

import dataclasses
import inspect

import keras
import tensorflow as tf
from keras import ops

from kgen import losses, priors
from kgen.models.core import Endpoint, GenerativeModel, TensorSpec, from_config_with_networks
from kgen.models.gan import penalties as penalties_lib
from kgen.models.gan.replay import ExperienceReplay

CONDITIONS = (None, "labels", "image")
ROLES = ("discriminator", "generator")


@dataclasses.dataclass
class Fakes:
    """What one generator pass produced.

    Attributes:
        inputs: the prior inputs by name (`latent`, ...; InfoGAN's codes are
            parts of its latent).
        generated: the generator's output.
        condition: the condition the fakes were generated with (labels or
            input images; None).
        fake: the fakes the discriminator sees (`generated`, or a mix with
            past fakes under experience replay).
        fake_condition: their condition.
    """

    inputs: dict
    generated: object
    condition: object = None
    fake: object = None
    fake_condition: object = None

    def __post_init__(self):
        if self.fake is None:
            self.fake = self.generated
            self.fake_condition = self.condition


@dataclasses.dataclass
class GANOutputs:
    """Everything one update's losses need, by name.

    Attributes:
        role: "discriminator" or "generator".
        real: the real batch (the target images of a paired batch).
        condition: the real batch's condition (labels, input images or None).
        fakes: the `Fakes` of this update.
        real_outputs, fake_outputs: discriminator logits on `real` and on
            `fakes.fake` (`real_outputs` is None when the loss needs none).
        real_features, fake_features: the discriminator's second output
            (intermediate features), when it has one.
        training: whether networks ran in training mode.
        extras: what a variant adds (InfoGAN's Q distributions, ...).
    """

    role: str
    real: object
    condition: object
    fakes: Fakes
    real_outputs: object = None
    fake_outputs: object = None
    real_features: object = None
    fake_features: object = None
    training: bool = True
    extras: dict = dataclasses.field(default_factory=dict)

    @property
    def fake(self):
        return self.fakes.fake

    @property
    def generated(self):
        return self.fakes.generated


def _accepts(fn, name):
    """Whether `fn` takes an argument `name`."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _takes_real_outputs(fn):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "discriminator_real_outputs" in params


@keras.saving.register_keras_serializable(package="kgen")
class GAN(GenerativeModel):
    """Generative adversarial network (Goodfellow et al., 2014): the engine every kgen GAN runs on.

    One `train_step` is one generator iteration: the batch is split into
    `d_steps` equal parts, the discriminator is updated once on each (fresh
    real data every critic step), then the generator once. Feed batches of
    `d_steps * critic_batch_size`. Losses are pure functions (see
    `kgen.losses`); penalties and tricks are objects the model holds
    (`penalties=[...]`, `replay=...`). https://arxiv.org/abs/1406.2661

    Conditions (`condition`):
        None: `G(z)`, `D(x)`; batches are images.
        "labels" (set by `num_classes`): `G([z, y])`, `D([x, y])`; batches
            are `(images, labels)`, fakes reuse the real batch's labels.
        "image": paired translation, `G(c)` (or `G([z, c])` with a latent),
            `D([x, c])`; batches are `(input_images, target_images)`.

    Args:
        generator: Keras model from the latent (and condition) to a sample.
        discriminator: Keras model from a sample (and condition) to logits,
            or to `[logits, features]`.
        latent_dim: size of the N(0, 1) latent (0 or None: no latent, for
            image-conditioned generators).
        num_classes: number of classes of a label-conditioned GAN.
        condition: None, "labels" or "image" (see above).
        d_steps: discriminator steps per generator step.
        generator_loss: name or function `(discriminator_gen_outputs)` or
            `(discriminator_real_outputs, discriminator_gen_outputs)`.
        discriminator_loss: name or function
            `(discriminator_real_outputs, discriminator_gen_outputs)`.
        label_smoothing: passed to the discriminator loss (which must accept
            it). With the default "minimax_discriminator"
            (`kgen.losses.one_sided_minimax_discriminator_loss`) it is Salimans
            et al.'s one-sided smoothing: real targets become
            `1 - label_smoothing`. TF-GAN's "minimax_discriminator_loss" and
            "modified_discriminator_loss" smooth to `1 - label_smoothing / 2`.
        penalties: `kgen.models.gan.GANPenalty` objects (gradient penalty,
            weight clipping, historical averaging, reconstruction).
        replay: a `kgen.models.gan.ExperienceReplay`, or None.
        prior: a latent `kgen.priors.Prior` replacing N(0, 1) (its size sets
            `latent_dim`).
        seed: seed of the model's noise.

    Example:
        >>> gan = GAN(build_dcgan_generator(64, (16, 16, 1)),
        ...           build_dcgan_discriminator((16, 16, 1)), latent_dim=64,
        ...           penalties=[HistoricalAveraging(1e-3)])
        >>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, 0.5),
        ...             g_optimizer=keras.optimizers.Adam(2e-4, 0.5))
        >>> gan.fit(kgen.data.load("digits"), epochs=1)
    """

    def __init__(self, generator, discriminator, latent_dim=None, num_classes=None, condition=None,
                 d_steps=1, generator_loss="non_saturating", discriminator_loss="minimax_discriminator",
                 label_smoothing=0.0, penalties=(), replay=None, prior=None, seed=None, **kwargs):
        if num_classes and condition in (None, "labels"):
            condition = "labels"
        if condition not in CONDITIONS:
            raise ValueError(f"expected condition in {CONDITIONS}. Received: condition={condition!r}")
        if condition == "labels" and not num_classes:
            raise ValueError("condition='labels' needs num_classes (the number of labels).")
        if condition == "image" and num_classes:
            raise ValueError("an image-conditioned GAN takes no num_classes; pass one condition.")
        latent = priors.get(prior) if prior is not None else None
        if latent is None and latent_dim:
            if int(latent_dim) < 0:
                raise ValueError(f"expected latent_dim >= 0. Received: latent_dim={latent_dim}")
            latent = priors.Normal((int(latent_dim),))
        if latent is not None and latent_dim and latent.event_size != int(latent_dim):
            raise ValueError(f"latent_dim={latent_dim} differs from the prior's size {latent.event_size}.")
        if latent is None and condition != "image":
            raise ValueError("a GAN needs a latent: pass latent_dim >= 1 (or prior=...); only "
                             "image-conditioned GANs may have none.")
        parts = {"latent": latent}
        if condition == "labels":
            parts["labels"] = priors.Categorical(num_classes)
        super().__init__(prior=priors.Joint(parts), seed=seed, **kwargs)
        if int(d_steps) < 1:
            raise ValueError(f"expected d_steps >= 1. Received: d_steps={d_steps}")
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"expected 0 <= label_smoothing < 1. Received: {label_smoothing}")
        self.generator = generator
        self.discriminator = discriminator
        self.condition = condition
        self.d_steps = int(d_steps)
        self.generator_loss_fn = losses.get(generator_loss)
        self.discriminator_loss_fn = losses.get(discriminator_loss)
        if label_smoothing and not _accepts(self.discriminator_loss_fn, "label_smoothing"):
            name = getattr(self.discriminator_loss_fn, "__name__", self.discriminator_loss_fn)
            raise ValueError(
                f"label_smoothing={label_smoothing} needs a discriminator loss that smooths labels; "
                f"{name} takes no label_smoothing. Use discriminator_loss='minimax_discriminator' "
                "or label_smoothing=0."
            )
        self.label_smoothing = float(label_smoothing)
        self.penalties = [penalties_lib.get(p) for p in penalties]
        names = [p.name for p in self.penalties]
        if len(set(names)) != len(names):
            raise ValueError(f"expected penalties with distinct names. Received: {names}")
        for penalty in self.penalties:
            penalty.attach(self)
        self.replay = None
        if replay is not None:
            self.replay = replay if isinstance(replay, ExperienceReplay) else keras.saving.deserialize_keras_object(replay)
            self.replay.attach(self)
        self.d_optimizer = None
        self.g_optimizer = None
        # The networks are built functional models; building the wrapper
        # stops Keras from tracing `call` on a data batch.
        self.built = True

    # -- set-up -----------------------------------------------------------
    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configure the two optimizers.

        Under a `mixed_float16` policy each optimizer is wrapped in its own
        `LossScaleOptimizer` (Keras only wraps `self.optimizer`); bfloat16
        needs no loss scaling.

        Args:
            d_optimizer: discriminator optimizer (default Adam(2e-4, beta_1=0.5)).
            g_optimizer: generator optimizer (default Adam(2e-4, beta_1=0.5)).
            **kwargs: passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, ...).
        """
        self.d_optimizer = _optimizer(d_optimizer, self.default_optimizer("discriminator"))
        self.g_optimizer = _optimizer(g_optimizer, self.default_optimizer("generator"))
        # Build slots now: checkpoints (BackupAndRestore) load into them
        # before the first step.
        self.build()
        kwargs.setdefault("optimizer", None)
        super().compile(**kwargs)

    def default_optimizer(self, role):
        """The optimizer `compile` uses for `role` when none is given (DCGAN's Adam(2e-4, 0.5))."""
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    def get_compile_config(self):
        if self.d_optimizer is None:
            return None
        return {
            "d_optimizer": keras.optimizers.serialize(self.d_optimizer),
            "g_optimizer": keras.optimizers.serialize(self.g_optimizer),
            "jit_compile": bool(getattr(self, "jit_compile", False)),
        }

    def compile_from_config(self, config):
        self.compile(d_optimizer=keras.optimizers.deserialize(config["d_optimizer"]),
                     g_optimizer=keras.optimizers.deserialize(config["g_optimizer"]),
                     jit_compile=config.get("jit_compile", False))

    def metric_names(self):
        names = ["d_loss", "g_loss"]
        for penalty in self.penalties:
            names += [n for n in penalty.metric_names() if n not in names]
        return names

    def build(self, input_shape=None):
        for role in ROLES:
            optimizer = self.optimizer_for(role)
            if optimizer is not None and not optimizer.built:
                optimizer.build(self.variables_for(role))
        self.built = True

    def call(self, inputs, training=False):
        """Run the generator on its network inputs (latents, or `[latents, condition]`)."""
        return self.generator(inputs, training=training)

    # -- networks and conditions ------------------------------------------------
    def generator_inputs(self, inputs, condition=None):
        """The generator network's input from prior inputs (and the condition)."""
        z = inputs.get("latent")
        if self.condition is None:
            return z
        if self.condition == "labels":
            return [z, condition]
        return condition if z is None else [z, condition]

    def run_generator(self, inputs, condition=None, training=True):
        """The generator's output for prior inputs and a condition."""
        return self.generator(self.generator_inputs(inputs, condition), training=training)

    def discriminate(self, x, condition=None, training=True):
        """The discriminator on samples (and their condition): `(logits, features or None)`."""
        d_in = x if self.condition is None else [x, condition]
        out = self.discriminator(d_in, training=training)
        if isinstance(out, (list, tuple)):
            return out[0], (out[1] if len(out) > 1 else None)
        return out, None

    def variables_for(self, role):
        """The variables the `role` optimizer trains."""
        network = self.discriminator if role == "discriminator" else self.generator
        return network.trainable_variables

    def optimizer_for(self, role):
        return self.d_optimizer if role == "discriminator" else self.g_optimizer

    def decode_latent(self, z, labels=None, training=False):
        return self.run_generator({"latent": z}, labels, training=training)

    def translate(self, images, z=None, training=False):
        """Map input images through an image-conditioned generator.

        Args:
            images: input images `(N, H, W, C)`.
            z: latents for a generator that also takes noise (drawn when omitted).
            training: run in training mode (e.g. to keep dropout on).

        Returns:
            The generated images.
        """
        if self.condition != "image":
            raise ValueError(f"translate() needs an image-conditioned GAN (condition='image'). "
                             f"This one has condition={self.condition!r}.")
        images = ops.convert_to_tensor(images, "float32")
        if len(images.shape) != 4:
            raise ValueError(f"expected images of rank 4 (N,H,W,C). Received: shape={tuple(images.shape)}")
        inputs = {}
        if "latent" in self.prior:
            n = int(ops.shape(images)[0])
            inputs["latent"] = self.sample_latent(n) if z is None else ops.convert_to_tensor(z, "float32")
        return self.run_generator(inputs, images, training=training)

    # -- the forward pass -----------------------------------------------------------
    def unpack(self, data):
        """Split a batch into `(real, condition)` per the model's condition."""
        first, second = self.unpack_batch(data)
        if self.condition is None:
            return first, None
        if second is None:
            if self.condition == "labels":
                raise ValueError("this GAN is conditional (num_classes set): expected batches of (images, labels). "
                                 "Load data with kgen.data.load(..., labels=True).")
            raise ValueError("this GAN is conditioned on images: expected batches of (input_images, "
                             "target_images) from a paired data source.")
        if self.condition == "labels":
            return first, second
        return second, first

    def make_fakes(self, real, condition=None, training=True, replay=True):
        """Draw prior inputs and run the generator for a batch like `real`.

        Fakes reuse the real batch's condition (class-balanced labels, the
        paired input images). With `replay` and an `ExperienceReplay`, the
        discriminator's fakes mix in past ones.
        """
        n = ops.shape(real)[0]
        inputs = {name: part.sample(n, self.seed_generator) for name, part in self.prior.parts.items()
                  if name != "labels"}
        generated = self.run_generator(inputs, condition, training=training)
        fakes = Fakes(inputs, generated, condition)
        if replay and self.replay is not None:
            fakes.fake, fakes.fake_condition = self.replay.mix(generated, condition)
        return fakes

    def generator_needs_real_outputs(self):
        """Whether the generator's loss reads the discriminator's real outputs."""
        return _takes_real_outputs(self.generator_loss_fn)

    def forward(self, role, real, condition, fakes, training=True):
        """One update's forward pass: the discriminator on real and fake data.

        Args:
            role: "discriminator" or "generator".
            real, condition: the real batch and its condition.
            fakes: the update's `Fakes`.
            training: networks in training mode.

        Returns:
            A `GANOutputs`.
        """
        outputs = GANOutputs(role, real, condition, fakes, training=training)
        if role == "discriminator" or self.generator_needs_real_outputs():
            outputs.real_outputs, outputs.real_features = self.discriminate(real, condition, training)
        outputs.fake_outputs, outputs.fake_features = self.discriminate(fakes.fake, fakes.fake_condition,
                                                                        training)
        return outputs

    # -- what to compute --------------------------------------------------------------
    def discriminator_adversarial_loss(self, outputs):
        """The discriminator loss function on the outputs (local mean)."""
        # Always passed when accepted: TF-GAN's losses default to 0.25, not to
        # this model's setting.
        kwargs = ({"label_smoothing": self.label_smoothing}
                  if _accepts(self.discriminator_loss_fn, "label_smoothing") else {})
        return self.discriminator_loss_fn(outputs.real_outputs, outputs.fake_outputs, **kwargs)

    def generator_adversarial_loss(self, outputs):
        """The generator loss function on the outputs (local mean)."""
        if self.generator_needs_real_outputs():
            return self.generator_loss_fn(outputs.real_outputs, outputs.fake_outputs)
        return self.generator_loss_fn(outputs.fake_outputs)

    def add_penalties(self, loss, outputs):
        """`{"loss": loss + penalties, <penalty metric>: value, ...}` for the outputs' role."""
        terms = {}
        total = ops.cast(loss, "float32")
        for penalty in self.penalties:
            if outputs.role in penalty.roles:
                value = penalty.penalty(self, outputs)
                if value is not None:
                    terms[penalty.metric_name(outputs.role)] = value
                    total = total + value
        return {"loss": total, **terms}

    def compute_discriminator_loss(self, outputs):
        """Named discriminator terms; `"loss"` = adversarial loss + discriminator penalties."""
        return self.add_penalties(self.discriminator_adversarial_loss(outputs), outputs)

    def compute_generator_loss(self, outputs):
        """Named generator terms; `"loss"` = adversarial loss + generator penalties."""
        return self.add_penalties(self.generator_adversarial_loss(outputs), outputs)

    def compute_loss_for(self, role, outputs):
        if role == "discriminator":
            return self.compute_discriminator_loss(outputs)
        return self.compute_generator_loss(outputs)

    # -- how it runs ------------------------------------------------------------------
    def update_schedule(self, chunks):
        """The step's updates as `(role, (real, condition))`: each critic batch, then the generator."""
        return [("discriminator", chunk) for chunk in chunks] + [("generator", chunks[-1])]

    def run_update(self, role, real, condition=None):
        """One update of `role` ("discriminator" or "generator") on a real batch; returns its loss terms.

        The routine every step runs (`train_step` calls it per
        `update_schedule` entry); public for custom loops and tests.
        """
        optimizer = self.optimizer_for(role)
        # The discriminator's fakes are constants: made outside the tape.
        fakes = self.make_fakes(real, condition) if role == "discriminator" else None

        def compute():
            step_fakes = fakes if fakes is not None else self.make_fakes(real, condition, replay=False)
            return self.compute_loss_for(role, self.forward(role, real, condition, step_fakes))

        terms = self.apply_update(optimizer, compute, self.variables_for(role))
        for penalty in self.penalties:
            if role in penalty.roles:
                penalty.after_update(self, role)
        return terms

    def _check_compiled(self):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError("call gan.compile(d_optimizer=..., g_optimizer=...) before training.")

    def train_step(self, data):
        self._check_compiled()
        real, condition = self.unpack(data)
        chunks = self.split_for_d_steps(real, condition)
        for role, (chunk, chunk_condition) in self.update_schedule(chunks):
            terms = self.run_update(role, chunk, chunk_condition)
            self.update_metrics(_role_metrics(role, terms))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        real, condition = self.unpack(data)
        fakes = self.make_fakes(real, condition, training=False, replay=False)
        for role in ROLES:
            outputs = self.forward(role, real, condition, fakes, training=False)
            self.update_metrics(_role_metrics(role, self.compute_loss_for(role, outputs)))
        return {m.name: m.result() for m in self.metrics}

    def split_for_d_steps(self, real, condition):
        """Split the batch into `d_steps` critic batches `[(real, condition), ...]`.

        One train_step is one generator iteration; splitting (rather than
        a data-dependent loop) gives every critic step fresh real data, as
        in Arjovsky et al., with control flow tf.distribute can follow.
        """
        if self.d_steps == 1:
            return [(real, condition)]
        message = (
            f"with d_steps={self.d_steps} each batch is split into {self.d_steps} critic "
            f"batches, so the batch size must be a multiple of {self.d_steps}; load data with "
            f"batch_size={self.d_steps}*<critic batch> and drop_remainder=True. Received: batch size "
        )
        size = real.shape[0]
        if size is not None and size % self.d_steps:
            raise ValueError(message + str(size))
        if size is None:
            # Keras traces with an unknown batch size: check when it runs,
            # ordered before the split (which would otherwise fail first
            # with TensorFlow's own, less helpful message).
            check = tf.debugging.assert_equal(tf.shape(real)[0] % self.d_steps, 0,
                                              message=message + "(see the shape below)")
            with tf.control_dependencies([check]):
                real = tf.identity(real)
                if condition is not None:
                    condition = tf.identity(condition)
        reals = tf.split(real, self.d_steps)
        conditions = tf.split(condition, self.d_steps) if condition is not None else [None] * self.d_steps
        return list(zip(reals, conditions))

    # -- export and config ----------------------------------------------------
    def export_endpoints(self):
        out_shape = tuple(self.generator.output_shape[1:])
        outputs = [TensorSpec("images", out_shape, "float32", "image", {"value_range": [-1.0, 1.0]})]
        inputs = self.prior_specs()
        if self.condition != "image":
            return [Endpoint("generate", self.generator, inputs, outputs)]
        shape = tuple(self.generator.inputs[-1].shape[1:])
        inputs.append(TensorSpec("images", shape, "float32", "image", {"value_range": [-1.0, 1.0]}))
        outputs = [TensorSpec("translated", out_shape, "float32", "image", {"value_range": [-1.0, 1.0]})]
        return [Endpoint("translate", self.generator, inputs, outputs)]

    def get_config(self):
        latent = self.prior.parts.get("latent")
        config = {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim or 0,
            "num_classes": self.num_classes,
            "condition": self.condition,
            "d_steps": self.d_steps,
            "generator_loss": losses.serialize(self.generator_loss_fn),
            "discriminator_loss": losses.serialize(self.discriminator_loss_fn),
            "label_smoothing": self.label_smoothing,
            "penalties": [keras.saving.serialize_keras_object(p) for p in self.penalties],
            "replay": None if self.replay is None else keras.saving.serialize_keras_object(self.replay),
        }
        if latent is not None and latent != priors.Normal(latent.event_shape):
            config["prior"] = keras.saving.serialize_keras_object(latent)
        return config

    @classmethod
    def from_config(cls, config):
        return from_config_with_networks(cls, config, ("generator", "discriminator"))


def _role_metrics(role, terms):
    """Loss terms as metric values: the role's `"loss"` is `d_loss` / `g_loss`."""
    out = {k: v for k, v in terms.items() if k != "loss"}
    out["d_loss" if role == "discriminator" else "g_loss"] = terms["loss"]
    return out


def _optimizer(given, default):
    optimizer = keras.optimizers.get(given) if given else default
    if keras.config.dtype_policy().name == "mixed_float16" and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer):
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer
