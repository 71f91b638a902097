"""CycleGAN (Zhu et al., 2017): unpaired translation with two generators, two discriminators and cycle consistency."""

import dataclasses

import keras
import tensorflow as tf
from keras import ops

from kgen import distribute, losses
from kgen.models.gan.engine import GAN, Fakes, GANOutputs
from kgen.models.gan.replay import ExperienceReplay
from kgen.models.translation.common import TranslatorMixin, check_images, translate_endpoint
from kgen.networks.translation import build_patchgan_discriminator, build_resnet_generator
from kgen.zoo import register_builder

DIRECTIONS = ("a2b", "b2a")


@keras.saving.register_keras_serializable(package="kgen")
class HistoryPool(ExperienceReplay):
    """CycleGAN's image pool (Shrivastava et al.'s history, Zhu et al. Sec. 4): the discriminator sees past fakes.

    Until the pool holds `pool_size` fakes, each new fake is stored and
    passed on. Then each fake is, with probability 1/2, passed on, or else
    swapped with a uniformly drawn stored one (that stored fake is passed
    on, the new one takes its place): the reference implementation's
    `ImagePool.query`, one coin per image, so it also works at CycleGAN's
    batch size 1 (where a fixed replay fraction of 1/2 rounds to zero).
    Two fakes of one batch that draw the same slot both return its old
    entry, the later one is stored. A kgen `ExperienceReplay`: the pool is
    a variable of the model (checkpointed), one pool per replica under a
    strategy, draws from stateless seeds.

    Args:
        pool_size: 50 in the paper.
        seed: seed of the draws.
    """

    def __init__(self, pool_size=50, seed=None, name="history_pool", **kwargs):
        kwargs.pop("replay_fraction", None)
        super().__init__(pool_size=pool_size, replay_fraction=0.5, seed=seed, name=name, **kwargs)

    def mix(self, fake, labels=None):
        if self.pool is None:
            raise ValueError("HistoryPool has no pool: give it to a CycleGAN or call build_pool().")
        fake = tf.stop_gradient(fake)
        n = tf.shape(fake)[0]
        count = tf.convert_to_tensor(self.count)
        pool = tf.convert_to_tensor(self.pool)
        seed = 0 if self.seed is None else int(self.seed)
        draw_seed = tf.stack([tf.cast(seed, tf.int64) * 1_000_003 + tf.cast(distribute.replica_id(), tf.int64),
                              count])
        position = count + tf.range(tf.cast(n, tf.int64))  # each fake's place in the history
        filling = position < self.pool_size
        coin = tf.random.stateless_uniform((n,), draw_seed) < 0.5
        slot = tf.random.stateless_uniform((n,), draw_seed + 1, 0, self.pool_size, dtype=tf.int32)
        swap = tf.logical_and(tf.logical_not(filling), coin)
        mask = tf.reshape(swap, [-1] + [1] * (len(fake.shape) - 1))
        out = tf.where(mask, tf.gather(pool, slot), tf.cast(fake, pool.dtype))
        # Stored: every fake while filling (at its position), swapped fakes at their slot.
        target = tf.where(filling, tf.cast(position, tf.int32), slot)
        store = tf.logical_or(filling, swap)
        idx = tf.boolean_mask(target, store)[:, None]
        self.pool.assign(tf.tensor_scatter_nd_update(pool, idx, tf.boolean_mask(tf.cast(fake, pool.dtype), store)))
        self.count.assign_add(tf.cast(n, tf.int64))
        return tf.cast(out, fake.dtype), labels

    def get_config(self):
        return {"name": self.name, "pool_size": self.pool_size, "seed": self.seed}


@keras.saving.register_keras_serializable(package="kgen")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant for `hold_steps`, then linearly to zero over `decay_steps` (CycleGAN: 100 + 100 epochs).

    Args:
        initial_learning_rate: the constant rate (2e-4).
        hold_steps: steps at the constant rate.
        decay_steps: steps of the linear decay to 0.

    Example:
        >>> LinearDecay(2e-4, 100, 100)(150)  # 1e-4
    """

    def __init__(self, initial_learning_rate=2e-4, hold_steps=0, decay_steps=1):
        self.initial_learning_rate = float(initial_learning_rate)
        self.hold_steps = int(hold_steps)
        self.decay_steps = max(int(decay_steps), 1)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        frac = ops.clip((step - self.hold_steps) / float(self.decay_steps), 0.0, 1.0)
        return self.initial_learning_rate * (1.0 - frac)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "hold_steps": self.hold_steps,
                "decay_steps": self.decay_steps}


@dataclasses.dataclass
class CycleFakes(Fakes):
    """Both directions' fakes: `generated` = G(a) (fake B), `fake_a` = F(b); `fake`/`pooled_a`: what the Ds see."""

    fake_a: object = None
    pooled_a: object = None


@keras.saving.register_keras_serializable(package="kgen")
class CycleGAN(TranslatorMixin, GAN):
    """CycleGAN: `L = L_LSGAN(G, D_B) + L_LSGAN(F, D_A) + lambda L_cyc + 0.5 lambda L_identity` (Zhu et al.).

    The GAN engine with two generators (G: A -> B, `generator`; F: B -> A,
    `generator_ba`) and two discriminators (D_B, `discriminator`; D_A,
    `discriminator_a`). It overrides what the engine computes, not how it
    runs: `variables_for` (G and F train together, D_A and D_B together),
    `make_fakes` / `forward` (both directions, the cycles, the identities),
    the losses (least squares: G minimises `E(D(G(a)) - 1)^2`, each D
    `[E(D(b) - 1)^2 + E D(G(a))^2] / 2`; cycle `lambda (|F(G(a)) - a| +
    |G(F(b)) - b|)`, identity `identity_weight * lambda (|G(b) - b| + |F(a) - a|)`,
    each a mean absolute error) and `update_schedule` (generators, then
    discriminators, as in the reference code). The discriminators judge
    fakes from two 50-image `HistoryPool`s. Batches are `(a_images,
    b_images)`, unpaired. The learning rate decays linearly to zero over
    the second half (`LinearDecay`, set by the builder).
    https://arxiv.org/abs/1703.10593

    Args:
        generator: G, A -> B.
        generator_ba: F, B -> A.
        discriminator: D_B (images only).
        discriminator_a: D_A.
        cycle_weight: lambda (10).
        identity_weight: identity loss weight relative to lambda (0.5).
        pool_size: history size per discriminator (50; 0 turns the pools off).
        **kwargs: passed to `GAN` (`seed`).

    Example:
        >>> cg = build_cyclegan((16, 16, 1))
        >>> cg.fit(kgen.data.paired.load("digits2inverted"), epochs=1)
        >>> b = cg.translate(a, direction="a2b")
    """

    def __init__(self, generator, generator_ba, discriminator, discriminator_a, cycle_weight=10.0,
                 identity_weight=0.5, pool_size=50, **kwargs):
        for key in ("condition", "latent_dim", "num_classes", "replay", "penalties", "generator_loss",
                    "discriminator_loss"):
            kwargs.pop(key, None)
        super().__init__(generator, discriminator, latent_dim=0, condition="image",
                         generator_loss="least_squares_generator_loss",
                         discriminator_loss="least_squares_discriminator_loss", **kwargs)
        self.generator_ba = generator_ba
        self.discriminator_a = discriminator_a
        if float(cycle_weight) < 0 or float(identity_weight) < 0 or int(pool_size) < 0:
            raise ValueError(f"expected cycle_weight, identity_weight, pool_size >= 0. Received: {cycle_weight}, "
                             f"{identity_weight}, {pool_size}")
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.pool_size = int(pool_size)
        self.pool_b = self.pool_a = None
        if self.pool_size:
            seed = 0 if self.seed is None else int(self.seed)
            self.pool_b = HistoryPool(self.pool_size, seed=seed, name="history_pool_b")
            self.pool_b.build_pool(tuple(generator.output_shape[1:]))
            self.pool_a = HistoryPool(self.pool_size, seed=seed + 1, name="history_pool_a")
            self.pool_a.build_pool(tuple(generator_ba.output_shape[1:]))

    # -- what the engine runs ---------------------------------------------------------
    def metric_names(self):
        return ["d_loss", "g_loss", "g_adversarial_loss", "cycle_loss", "identity_loss", "d_a_loss", "d_b_loss"]

    def variables_for(self, role):
        if role == "discriminator":
            return self.discriminator.trainable_variables + self.discriminator_a.trainable_variables
        return self.generator.trainable_variables + self.generator_ba.trainable_variables

    def update_schedule(self, chunks):
        # The reference code updates G and F, then D_A and D_B, every step.
        return [("generator", chunks[-1])] + [("discriminator", chunk) for chunk in chunks]

    def make_fakes(self, real, condition=None, training=True, replay=True):
        real_b, real_a = real, condition
        fake_b = self.generator(real_a, training=training)
        fake_a = self.generator_ba(real_b, training=training)
        fakes = CycleFakes({}, fake_b, real_a, fake_a=fake_a)
        fakes.pooled_a = fake_a
        if replay and self.pool_b is not None:
            fakes.fake, _ = self.pool_b.mix(fake_b)
            fakes.pooled_a, _ = self.pool_a.mix(fake_a)
        return fakes

    def forward(self, role, real, condition, fakes, training=True):
        real_b, real_a = real, condition
        out = GANOutputs(role, real_b, real_a, fakes, training=training)
        if role == "discriminator":
            out.real_outputs = self.discriminator(real_b, training=training)
            out.fake_outputs = self.discriminator(fakes.fake, training=training)
            out.extras["real_a_outputs"] = self.discriminator_a(real_a, training=training)
            out.extras["fake_a_outputs"] = self.discriminator_a(fakes.pooled_a, training=training)
            return out
        out.fake_outputs = self.discriminator(fakes.generated, training=training)
        out.extras["fake_a_outputs"] = self.discriminator_a(fakes.fake_a, training=training)
        out.extras["cycled_a"] = self.generator_ba(fakes.generated, training=training)
        out.extras["cycled_b"] = self.generator(fakes.fake_a, training=training)
        if self.identity_weight:
            out.extras["identity_b"] = self.generator(real_b, training=training)
            out.extras["identity_a"] = self.generator_ba(real_a, training=training)
        return out

    def compute_discriminator_loss(self, outputs):
        d_b = losses.least_squares_discriminator_loss(outputs.real_outputs, outputs.fake_outputs)
        d_a = losses.least_squares_discriminator_loss(outputs.extras["real_a_outputs"],
                                                      outputs.extras["fake_a_outputs"])
        return {"loss": d_a + d_b, "d_a_loss": d_a, "d_b_loss": d_b}

    def compute_generator_loss(self, outputs):
        ex = outputs.extras
        # TF-GAN's least-squares generator loss is E(D - 1)^2 / 2; CycleGAN's is E(D - 1)^2.
        adversarial = 2.0 * (losses.least_squares_generator_loss(outputs.fake_outputs)
                             + losses.least_squares_generator_loss(ex["fake_a_outputs"]))
        # TF-GAN's cycle loss is the mean of the two directions; CycleGAN sums them.
        cycle = 2.0 * losses.cycle_consistency_loss(outputs.condition, ex["cycled_a"], outputs.real, ex["cycled_b"])
        identity = ops.convert_to_tensor(0.0)
        if self.identity_weight:
            identity = (_mae(outputs.real, ex["identity_b"]) + _mae(outputs.condition, ex["identity_a"]))
        total = adversarial + self.cycle_weight * cycle + self.identity_weight * self.cycle_weight * identity
        return {"loss": total, "g_adversarial_loss": adversarial, "cycle_loss": cycle, "identity_loss": identity}

    # -- use ------------------------------------------------------------------------------
    def translate(self, images, z=None, training=False, direction="a2b"):
        """Translate A images to B (`direction="a2b"`, G) or B to A ("b2a", F)."""
        if direction not in DIRECTIONS:
            raise ValueError(f"expected direction in {DIRECTIONS}. Received: direction={direction!r}")
        network = self.generator if direction == "a2b" else self.generator_ba
        return network(check_images(images), training=training)

    def cycle(self, images, direction="a2b", training=False):
        """`F(G(a))` (or `G(F(b))` for "b2a"): the cycle reconstruction."""
        other = "b2a" if direction == "a2b" else "a2b"
        return self.translate(self.translate(images, direction=direction, training=training), direction=other,
                              training=training)

    def export_endpoints(self):
        # The B -> A input is named "images_b", so calibration data can give each direction its own domain.
        return [translate_endpoint("translate", self.generator),
                translate_endpoint("translate_b2a", self.generator_ba, input_name="images_b")]

    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "num_classes", "condition", "penalties", "replay", "generator_loss",
                    "discriminator_loss"):
            config.pop(key, None)
        return {**config, "generator_ba": keras.saving.serialize_keras_object(self.generator_ba),
                "discriminator_a": keras.saving.serialize_keras_object(self.discriminator_a),
                "cycle_weight": self.cycle_weight, "identity_weight": self.identity_weight,
                "pool_size": self.pool_size}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "generator_ba", "discriminator", "discriminator_a"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _mae(a, b):
    return ops.mean(ops.abs(ops.cast(a, "float32") - ops.cast(b, "float32")))


@register_builder("cyclegan", data="unpaired", paper="Zhu et al. 2017, https://arxiv.org/abs/1703.10593")
def build_cyclegan(input_shape, num_classes=None, tiny=False, target_channels=None, base_filters=None,
                   n_blocks=None, n_layers=None, n_downsampling=None, cycle_weight=10.0, identity_weight=0.5,
                   pool_size=50,
                   learning_rate=2e-4, beta_1=0.5, total_steps=None, seed=None, **compile_kwargs):
    """CycleGAN: ResNet generators, 70x70 (or smaller) PatchGANs, LSGAN, lambda = 10, Adam(2e-4, 0.5), pools of 50.

    Zhu et al., Sec. 4 and Appendix 7: 9 residual blocks at 256 px, 6 at 128
    px and below; instance norm in every network; the rate constant for the
    first half of training, then linearly to zero (`total_steps`: the run's
    length in steps; None keeps it constant).

    Args:
        input_shape: the A images' shape (B images: `target_channels`).
        tiny: small networks for tests.
        base_filters: 64 (4 when tiny).
        n_blocks: residual blocks (9 for >= 256 px, else 6; 1 when tiny).
        n_layers: PatchGAN strided layers (3 for >= 128 px, 2 for 32-64, 1 below).
        n_downsampling: the generators' stride-2 convolutions (the paper's 2 for
            >= 32 px; 1 below, a deviation: at 16 px two leave a 4x4
            bottleneck with no skip, too coarse for 2-pixel strokes, and the
            generators start from, and settle in, input-independent textures
            that hide the digit for the cycle; with 1 (8x8) digits2inverted
            keeps the label, see the README's benchmark).
        cycle_weight, identity_weight, pool_size: see `CycleGAN`.
        learning_rate, beta_1: Adam of all four networks.
        total_steps: training steps of the run (the decay spans the second half).
        seed: seed of the pools' draws.

    Returns:
        A compiled `CycleGAN`.
    """
    if num_classes:
        raise ValueError("cyclegan translates images between two domains and takes no labels: drop num_classes.")
    size = int(input_shape[0])
    base = base_filters or (4 if tiny else 64)
    blocks = n_blocks if n_blocks is not None else (1 if tiny else (9 if size >= 256 else 6))
    layers_ = n_layers if n_layers is not None else (3 if size >= 128 else (2 if size >= 32 else 1))
    down = n_downsampling if n_downsampling is not None else (2 if size >= 32 else 1)
    if int(down) < 0 or size % (2 ** int(down)):
        raise ValueError(f"expected 0 <= n_downsampling with the image size {size} divisible by 2^n_downsampling. "
                         f"Received: n_downsampling={n_downsampling}; use 1 or 2.")
    b_shape = (*input_shape[:2], int(target_channels or input_shape[-1]))
    g = build_resnet_generator(input_shape, b_shape[-1], base, blocks, n_downsampling=int(down), name="generator_ab")
    f = build_resnet_generator(b_shape, input_shape[-1], base, blocks, n_downsampling=int(down), name="generator_ba")
    d_b = build_patchgan_discriminator(b_shape, base_filters=base, n_layers=layers_, norm="instance",
                                       conditional=False, name="discriminator_b")
    d_a = build_patchgan_discriminator(tuple(input_shape), base_filters=base, n_layers=layers_, norm="instance",
                                       conditional=False, name="discriminator_a")
    model = CycleGAN(g, f, d_b, d_a, cycle_weight=cycle_weight, identity_weight=identity_weight,
                     pool_size=pool_size, seed=seed)

    def rate():
        if not total_steps:
            return learning_rate
        half = int(total_steps) // 2
        return LinearDecay(learning_rate, half, int(total_steps) - half)

    model.compile(d_optimizer=keras.optimizers.Adam(rate(), beta_1=beta_1),
                  g_optimizer=keras.optimizers.Adam(rate(), beta_1=beta_1), **compile_kwargs)
    return model
