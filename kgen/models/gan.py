"""GAN: a generator and a discriminator trained adversarially with a custom `train_step`."""

import inspect

import keras
import tensorflow as tf
from keras import ops

from kgen import distribute, losses
from kgen.models.base import Endpoint, GenerativeModel, TensorSpec
from kgen.zoo import register_builder


def _accepts(fn, name):
    """Whether `fn` takes a keyword argument `name`."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


@keras.saving.register_keras_serializable(package="kgen")
class GAN(GenerativeModel):
    """Generative adversarial network (Goodfellow et al., 2014) with pluggable losses.

    One `train_step` is one generator iteration: the batch is split into
    `d_steps` equal parts, the discriminator is updated once on each (fresh
    real data every critic step), then the generator once, with latents of
    the part's size. Feed batches of `d_steps * critic_batch_size`. Losses are pure
    functions (see `kgen.losses`); subclasses add penalties by overriding
    `compute_discriminator_loss` / `compute_generator_loss`, and constraints
    by overriding `after_discriminator_step`. https://arxiv.org/abs/1406.2661

    Args:
        generator: Keras model `latent -> sample` (or `[latent, labels]`).
        discriminator: Keras model `sample -> logits` (or `[sample, labels]`).
        latent_dim: size of the latent vector.
        num_classes: set for a conditional GAN; batches are `(x, labels)`.
        d_steps: discriminator steps per generator step (the batch size must
            be a multiple of it).
        generator_loss: name or function `(discriminator_gen_outputs) -> scalar`.
        discriminator_loss: name or function
            `(discriminator_real_outputs, discriminator_gen_outputs) -> scalar`.
        label_smoothing: one-sided label smoothing of the real targets (the
            discriminator loss must accept `label_smoothing`, e.g. minimax).
        seed: seed of the model's noise.

    Example:
        >>> gan = GAN(build_dcgan_generator(64, (16, 16, 1)),
        ...           build_dcgan_discriminator((16, 16, 1)), latent_dim=64)
        >>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, 0.5),
        ...             g_optimizer=keras.optimizers.Adam(2e-4, 0.5))
        >>> gan.fit(kgen.data.load("digits"), epochs=1)
    """

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        num_classes=None,
        d_steps=1,
        generator_loss="non_saturating",
        discriminator_loss="minimax_discriminator",
        label_smoothing=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(latent_dim=latent_dim, num_classes=num_classes, seed=seed, **kwargs)
        if int(d_steps) < 1:
            raise ValueError(f"expected d_steps >= 1. Received: d_steps={d_steps}")
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"expected 0 <= label_smoothing < 1. Received: {label_smoothing}")
        self.generator = generator
        self.discriminator = discriminator
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
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_optimizer = None
        self.g_optimizer = None
        # The networks are built functional models; building the wrapper
        # stops Keras from tracing `call` on a data batch.
        self.built = True

    # -- set-up -----------------------------------------------------------
    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configure the two optimizers.

        Under a `mixed_float16` policy each optimizer is wrapped in its own
        `LossScaleOptimizer` (Keras only wraps `self.optimizer`).

        Args:
            d_optimizer: discriminator optimizer (default Adam(2e-4, beta_1=0.5)).
            g_optimizer: generator optimizer (default Adam(2e-4, beta_1=0.5)).
            **kwargs: passed to `keras.Model.compile` (`jit_compile`,
                `steps_per_execution`, ...).
        """
        d_optimizer = keras.optimizers.get(d_optimizer) if d_optimizer else keras.optimizers.Adam(2e-4, beta_1=0.5)
        g_optimizer = keras.optimizers.get(g_optimizer) if g_optimizer else keras.optimizers.Adam(2e-4, beta_1=0.5)
        if keras.config.dtype_policy().name == "mixed_float16":
            if not isinstance(d_optimizer, keras.optimizers.LossScaleOptimizer):
                d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
            if not isinstance(g_optimizer, keras.optimizers.LossScaleOptimizer):
                g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        # Build slots now: checkpoints (BackupAndRestore) load into them
        # before the first step.
        self.build()
        # Keras' own optimizer slot drives checkpointing of `iterations`; the
        # discriminator optimizer steps every batch so it is the step counter.
        kwargs.setdefault("optimizer", None)
        super().compile(**kwargs)

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

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def build(self, input_shape=None):
        if self.d_optimizer is not None and not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator.trainable_variables)
        if self.g_optimizer is not None and not self.g_optimizer.built:
            self.g_optimizer.build(self.generator.trainable_variables)
        self.built = True

    def call(self, inputs, training=False):
        """Run the generator on latents (or `[latents, labels]`)."""
        return self.generator(inputs, training=training)

    def decode_latent(self, z, labels=None, training=False):
        return self.generator(self._g_inputs(z, labels), training=training)

    def _g_inputs(self, z, labels):
        return [z, labels] if self.num_classes else z

    def _d_inputs(self, x, labels):
        return [x, labels] if self.num_classes else x

    # -- what to compute ------------------------------------------------------
    def compute_discriminator_loss(self, real, fake, real_outputs, fake_outputs, labels=None):
        """Discriminator loss on one local batch (local mean; not yet replica-scaled)."""
        kwargs = {}
        if self.label_smoothing:
            kwargs["label_smoothing"] = self.label_smoothing
        return self.discriminator_loss_fn(real_outputs, fake_outputs, **kwargs)

    def compute_generator_loss(self, fake, fake_outputs, labels=None):
        """Generator loss on one local batch (local mean; not yet replica-scaled)."""
        return self.generator_loss_fn(fake_outputs)

    def discriminator_fakes(self, fake, labels=None):
        """Hook: the fakes (and their labels) the discriminator trains on.

        Identity by default; `kgen.callbacks.tricks.ExperienceReplay` sets
        `fake_replay` to swap part of the batch for past fakes.
        """
        replay = self.__dict__.get("fake_replay")
        return (fake, labels) if replay is None else replay(fake, labels)

    def after_discriminator_step(self):
        """Hook run after each discriminator update (e.g. WGAN weight clipping)."""

    # -- how it runs ----------------------------------------------------------
    def _check_compiled(self):
        if self.d_optimizer is None or self.g_optimizer is None:
            raise ValueError("call gan.compile(d_optimizer=..., g_optimizer=...) before training.")

    def discriminator_step(self, real, labels):
        """One discriminator update on a real batch; returns the loss."""
        n = ops.shape(real)[0]
        z = self.sample_latent(n)
        fake_labels = labels  # fakes share the real batch's labels: class-balanced D input
        fake = self.generator(self._g_inputs(z, fake_labels), training=True)
        fake, fake_labels = self.discriminator_fakes(fake, fake_labels)
        with tf.GradientTape() as tape:
            real_out = self.discriminator(self._d_inputs(real, labels), training=True)
            fake_out = self.discriminator(self._d_inputs(fake, fake_labels), training=True)
            loss = self.compute_discriminator_loss(real, fake, real_out, fake_out, labels)
            scaled = self.d_optimizer.scale_loss(distribute.scale_loss(loss))
        variables = self.discriminator.trainable_variables
        grads = tape.gradient(scaled, variables)
        self.d_optimizer.apply_gradients(zip(grads, variables))
        self.after_discriminator_step()
        return loss

    def generator_step(self, n, labels):
        """One generator update with `n` fresh latents; returns the loss."""
        z = self.sample_latent(n)
        with tf.GradientTape() as tape:
            fake = self.generator(self._g_inputs(z, labels), training=True)
            fake_out = self.discriminator(self._d_inputs(fake, labels), training=True)
            loss = self.compute_generator_loss(fake, fake_out, labels)
            scaled = self.g_optimizer.scale_loss(distribute.scale_loss(loss))
        variables = self.generator.trainable_variables
        grads = tape.gradient(scaled, variables)
        self.g_optimizer.apply_gradients(zip(grads, variables))
        return loss

    def train_step(self, data):
        self._check_compiled()
        real, labels = self._unpack(data)
        if self.num_classes and labels is None:
            raise ValueError(
                "this GAN is conditional (num_classes set): expected batches of (images, labels). "
                "Load data with kgen.data.load(..., labels=True)."
            )
        # One train_step is one generator iteration. With d_steps > 1 the
        # batch is split so every critic step sees fresh real data (as in
        # Arjovsky et al.) without data-dependent control flow, which
        # tf.distribute cannot synchronize through.
        reals, label_chunks = self._split_for_d_steps(real, labels)
        for real_chunk, label_chunk in zip(reals, label_chunks):
            d_loss = self.discriminator_step(real_chunk, label_chunk)
            self.d_loss_tracker.update_state(d_loss)
        n = ops.shape(reals[-1])[0]
        self.g_loss_tracker.update_state(self.generator_step(n, label_chunks[-1]))
        return {m.name: m.result() for m in self.metrics}

    def _split_for_d_steps(self, real, labels):
        if self.d_steps == 1:
            return [real], [labels]
        strategy = tf.distribute.get_strategy()
        if distribute.collective_ordering_hazard(strategy):
            raise ValueError(
                f"d_steps={self.d_steps} under {type(strategy).__name__} with CollectiveAllReduce: "
                "TensorFlow mis-orders the several gradient all-reduces of one step. Create the "
                "strategy with kgen.distribute.get_strategy('mirrored') or "
                "tf.distribute.MirroredStrategy(cross_device_ops=tf.distribute.ReductionToOneDevice())."
            )
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
                if labels is not None:
                    labels = tf.identity(labels)
        reals = tf.split(real, self.d_steps)
        label_chunks = tf.split(labels, self.d_steps) if labels is not None else [None] * self.d_steps
        return reals, label_chunks

    def test_step(self, data):
        real, labels = self._unpack(data)
        n = ops.shape(real)[0]
        z = self.sample_latent(n)
        fake = self.generator(self._g_inputs(z, labels), training=False)
        real_out = self.discriminator(self._d_inputs(real, labels), training=False)
        fake_out = self.discriminator(self._d_inputs(fake, labels), training=False)
        self.d_loss_tracker.update_state(
            self.compute_discriminator_loss(real, fake, real_out, fake_out, labels))
        self.g_loss_tracker.update_state(self.compute_generator_loss(fake, fake_out, labels))
        return {m.name: m.result() for m in self.metrics}

    # -- export and config ----------------------------------------------------
    def export_endpoints(self):
        inputs = [TensorSpec("latent", (self.latent_dim,), "float32", "latent",
                             {"distribution": self.latent_distribution()})]
        if self.num_classes:
            inputs.append(TensorSpec("labels", (), "int32", "label",
                                     {"num_classes": self.num_classes}))
        out_shape = tuple(self.generator.output_shape[1:])
        outputs = [TensorSpec("images", out_shape, "float32", "image", {"value_range": [-1.0, 1.0]})]
        return [Endpoint("generate", self.generator, inputs, outputs)]

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "d_steps": self.d_steps,
            "generator_loss": losses.serialize(self.generator_loss_fn),
            "discriminator_loss": losses.serialize(self.discriminator_loss_fn),
            "label_smoothing": self.label_smoothing,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


@register_builder("dcgan")
def build_dcgan(input_shape, num_classes=None, tiny=False, latent_dim=None, base_filters=None,
                upsample="transpose", learning_rate=2e-4, beta_1=0.5, seed=None, **compile_kwargs):
    """Build and compile a DCGAN with the paper's optimizer (Adam 2e-4, beta_1 0.5).

    Args:
        input_shape: image shape `(H, W, C)`.
        num_classes: make it conditional on labels.
        tiny: a very small network for tests.
        latent_dim: latent size (100 as in the paper; 8 when tiny).
        base_filters: network width (64; 8 when tiny).
        upsample: "transpose" or "resize".
        learning_rate, beta_1: Adam settings of both optimizers.
        seed: noise seed.
        **compile_kwargs: passed to `compile` (e.g. `jit_compile=True`).

    Returns:
        A compiled `GAN`.
    """
    from kgen.networks import build_dcgan_discriminator, build_dcgan_generator

    latent_dim = latent_dim or (8 if tiny else 100)
    base_filters = base_filters or (8 if tiny else 64)
    gen = build_dcgan_generator(latent_dim, input_shape, base_filters, upsample=upsample,
                                num_classes=num_classes)
    disc = build_dcgan_discriminator(input_shape, base_filters, num_classes=num_classes)
    gan = GAN(gen, disc, latent_dim, num_classes=num_classes, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), **compile_kwargs)
    return gan
