"""Colorization as classification (Zhang et al., 2016): quantized ab colours from luminance, with class rebalancing.

https://arxiv.org/abs/1603.08511
"""

import functools

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgen.losses import representation as rep_losses
from kgen.models.core import Endpoint, GenerativeModel, SingleObjectiveSteps, TensorSpec
from kgen.models.representation.base import EncoderFeatures, _image_shape, compile_adam
from kgen.networks.representation import build_conv_trunk, build_pixel_head
from kgen.zoo import register_builder

_M_RGB2XYZ = np.array([[0.412453, 0.357580, 0.180423],
                       [0.212671, 0.715160, 0.072169],
                       [0.019334, 0.119193, 0.950227]], np.float32)
_M_XYZ2RGB = np.linalg.inv(_M_RGB2XYZ).astype(np.float32)
_WHITE = np.array([0.950456, 1.0, 1.088754], np.float32)  # D65
_DELTA = 6.0 / 29.0
AB_RANGE = 110.0


def rgb_to_lab(rgb):
    """sRGB in [0, 1] `(..., 3)` -> CIE Lab (L in [0, 100], a and b roughly in [-110, 110]), D65 white."""
    rgb = ops.clip(ops.cast(rgb, "float32"), 0.0, 1.0)
    linear = ops.where(rgb <= 0.04045, rgb / 12.92, ops.power((rgb + 0.055) / 1.055, 2.4))
    xyz = ops.matmul(linear, ops.convert_to_tensor(_M_RGB2XYZ.T)) / _WHITE
    f = ops.where(xyz > _DELTA ** 3, ops.power(ops.maximum(xyz, 1e-12), 1.0 / 3.0),
                  xyz / (3 * _DELTA ** 2) + 4.0 / 29.0)
    lum = 116.0 * f[..., 1:2] - 16.0
    a = 500.0 * (f[..., 0:1] - f[..., 1:2])
    b = 200.0 * (f[..., 1:2] - f[..., 2:3])
    return ops.concatenate([lum, a, b], axis=-1)


def lab_to_rgb(lab):
    """CIE Lab `(..., 3)` -> sRGB in [0, 1] (clipped to the gamut)."""
    lab = ops.cast(lab, "float32")
    fy = (lab[..., 0:1] + 16.0) / 116.0
    fx = fy + lab[..., 1:2] / 500.0
    fz = fy - lab[..., 2:3] / 200.0
    f = ops.concatenate([fx, fy, fz], axis=-1)
    xyz = ops.where(f > _DELTA, f ** 3, 3 * _DELTA ** 2 * (f - 4.0 / 29.0)) * _WHITE
    linear = ops.clip(ops.matmul(xyz, ops.convert_to_tensor(_M_XYZ2RGB.T)), 0.0, 1.0)
    rgb = ops.where(linear <= 0.0031308, 12.92 * linear,
                    1.055 * ops.power(ops.maximum(linear, 1e-12), 1.0 / 2.4) - 0.055)
    return ops.clip(rgb, 0.0, 1.0)


def ab_bin_centres(bin_size):
    """Centres `(Q, 2)` of the square ab bins of side `bin_size` tiling [-110, 110]^2 (Q = (220 / bin_size)^2)."""
    n = int(round(2 * AB_RANGE / bin_size))
    if n < 2 or abs(n * bin_size - 2 * AB_RANGE) > 1e-6:
        raise ValueError(f"expected a bin_size that divides 220 into at least 2 bins (10 in the paper). "
                         f"Received: bin_size={bin_size}")
    edges = -AB_RANGE + bin_size * (np.arange(n) + 0.5)
    a, b = np.meshgrid(edges, edges, indexing="ij")
    return np.stack([a.ravel(), b.ravel()], axis=1).astype(np.float32)


#: Zhang et al.'s 313 in-gamut ab bins (grid 10; `pts_in_hull.npy` of their release), per a: the b range
#: (inclusive, step 10). They hold every cell of the sRGB gamut (`srgb_gamut_bins(10)`, 261 cells) and a
#: rim of one bin around it (tested).
_ZHANG_313 = {-90: (50, 90), -80: (20, 90), -70: (0, 90), -60: (-20, 90), -50: (-30, 100), -40: (-40, 100),
              -30: (-50, 100), -20: (-50, 100), -10: (-60, 100), 0: (-70, 100), 10: (-80, 90), 20: (-80, 90),
              30: (-90, 90), 40: (-100, 90), 50: (-100, 80), 60: (-110, 80), 70: (-110, 80), 80: (-110, 70),
              90: (-110, 70), 100: (-90, 0)}
GAMUTS = ("zhang", "srgb", "square")


def zhang_gamut_bins():
    """The paper's Q = 313 ab bin centres `(313, 2)` (grid size 10; Zhang et al. 2016, Fig. 3a)."""
    return np.array([(a, b) for a, (lo, hi) in sorted(_ZHANG_313.items()) for b in range(lo, hi + 1, 10)],
                    np.float32)


def _rgb_cube_faces(levels):
    # The ab projection of the RGB cube's Lab image equals the projection of its surface (every
    # line of constant (a, b) through the solid leaves it through the surface), so the 6 faces suffice.
    v = np.linspace(0.0, 1.0, int(levels))
    u, w = (g.ravel() for g in np.meshgrid(v, v, indexing="ij"))
    faces = []
    for axis in range(3):
        for const in (0.0, 1.0):
            face = np.empty((u.size, 3), np.float32)
            others = [i for i in range(3) if i != axis]
            face[:, axis], face[:, others[0]], face[:, others[1]] = const, u, w
            faces.append(face)
    return np.concatenate(faces)


@functools.lru_cache(maxsize=8)
def _srgb_gamut_cells(bin_size, levels):
    ab = np.asarray(rgb_to_lab(_rgb_cube_faces(levels)))[:, 1:]
    return np.unique(np.floor(ab / bin_size + 0.5).astype(np.int64), axis=0)


def srgb_gamut_bins(bin_size=10.0, levels=64):
    """ab bin centres `(Q, 2)` on the grid of multiples of `bin_size` whose cell holds some sRGB colour (any L).

    The cell of centre `c` is `[c - bin_size / 2, c + bin_size / 2)^2`; the sRGB colours are a grid
    of `levels` values per channel on the RGB cube's surface, converted with `rgb_to_lab`. For
    `bin_size=10` this is 261 cells (at 64 and at 256 levels; a cell that the gamut barely touches may
    come and go with the sampling: 262 at 128). Zhang et al.'s 313 (`zhang_gamut_bins`) are these and
    a rim of one bin around them.

    Example:
        >>> srgb_gamut_bins(10.0).shape   # (261, 2)
    """
    bin_size = float(bin_size)
    if not 0 < bin_size <= AB_RANGE:
        raise ValueError(f"expected 0 < bin_size <= {AB_RANGE:g}. Received: bin_size={bin_size}")
    return (_srgb_gamut_cells(bin_size, int(levels)) * bin_size).astype(np.float32)


def ab_bins(bin_size=10.0, gamut="zhang"):
    """The colour classes: ab bin centres `(Q, 2)` for `gamut` "zhang" (the paper's 313, grid 10 only),
    "srgb" (`srgb_gamut_bins`) or "square" (`ab_bin_centres`, the whole [-110, 110]^2 square)."""
    if gamut == "zhang":
        if float(bin_size) != 10.0:
            raise ValueError(f"the paper's 313 bins have grid size 10. Received: bin_size={bin_size}; use "
                             "gamut='srgb' for other grid sizes.")
        return zhang_gamut_bins()
    if gamut == "srgb":
        return srgb_gamut_bins(bin_size)
    if gamut == "square":
        return ab_bin_centres(bin_size)
    raise ValueError(f"expected gamut in {GAMUTS}. Received: gamut={gamut!r}")


def rebalancing_weights(class_counts, centres, lam=0.5, sigma=5.0):
    """Zhang et al.'s class rebalancing: `w ∝ ((1 - lam) p~ + lam / Q)^-1`, normalized so `E_p~[w] = 1`.

    `p~` is the empirical colour-class distribution smoothed with a Gaussian
    of `sigma` (ab units) over the bin centres. https://arxiv.org/abs/1603.08511 (eq. 3-4)

    Args:
        class_counts: `(Q,)` counts of the pixels' nearest classes.
        centres: `(Q, 2)` bin centres.
        lam: mixing weight with the uniform distribution (0.5).
        sigma: smoothing width.

    Returns:
        float32 `(Q,)` weights.

    Example:
        >>> w = rebalancing_weights(counts, ab_bin_centres(10))
    """
    counts = np.asarray(class_counts, np.float64)
    if counts.sum() <= 0:
        raise ValueError("rebalancing_weights needs some pixels: class_counts sums to 0.")
    p = counts / counts.sum()
    d2 = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    kernel = np.exp(-d2 / (2 * sigma ** 2))
    smooth = kernel @ p
    smooth /= smooth.sum()
    q = len(p)
    w = 1.0 / ((1 - lam) * smooth + lam / q)
    w /= (smooth * w).sum()
    return w.astype(np.float32)


@keras.saving.register_keras_serializable(package="kgen")
class Luminance(keras.layers.Layer):
    """RGB images in [-1, 1] -> their CIE L channel scaled to [-1, 1] (`L / 50 - 1`)."""

    def call(self, images):
        rgb = (ops.cast(images, "float32") + 1.0) / 2.0
        return rgb_to_lab(rgb)[..., :1] / 50.0 - 1.0

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 1)


@keras.saving.register_keras_serializable(package="kgen")
class Colorization(SingleObjectiveSteps, EncoderFeatures, GenerativeModel):
    """Self-supervised colorization: predict the quantized ab colour of every pixel from its luminance.

    Images (RGB in [-1, 1]) become Lab; the trunk sees L, a 1x1 head gives
    `Q` logits per pixel over ab bins of side `bin_size`; targets are
    soft-encoded over each pixel's 5 nearest bins (Gaussian of `bin_size / 2`,
    5 for the paper's 10), and each pixel is weighted by the rebalancing
    weight of its nearest bin (`class_weights`, uniform until
    `fit_class_weights(images)` sets them from the training data). Colours
    are read back as the annealed mean (temperature 0.38).

    Args:
        trunk: fully convolutional Keras network `(N, H, W, 1) -> (N, H, W, F)` (resolution kept).
        head: Keras network `(N, H, W, F) -> (N, H, W, Q)`.
        image_shape: `(H, W, 3)` of the data.
        bin_size: ab bin side (divides 220).
        temperature: annealed-mean temperature.
        rebalance_lambda: `lam` of `rebalancing_weights`.
        seed: seed of the model's noise.

    Example:
        >>> col = kgen.zoo.build("colorization", (16, 16, 3))
        >>> col.fit_class_weights(photo_patches)
        >>> col.fit(kgen.data.load("photos", labels=False), epochs=5)
        >>> colour = col.reconstruct(photo_patches[:8])
    """

    def __init__(self, trunk, head, image_shape, bin_size=10.0, temperature=0.38, rebalance_lambda=0.5,
                 gamut="square", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.image_shape = _image_shape(image_shape)
        if self.image_shape[-1] != 3:
            raise ValueError(f"colorization needs RGB images (3 channels). Received: image_shape={self.image_shape}; "
                             "load colour data (e.g. --data photos, or --channels 3 on a colour folder).")
        self.bin_size = float(bin_size)
        self.gamut = str(gamut)
        self.centres = ab_bins(self.bin_size, self.gamut)
        if int(head.output_shape[-1]) != len(self.centres):
            raise ValueError(f"the head must output one logit per ab bin ({len(self.centres)} for bin_size="
                             f"{self.bin_size:g}). Received: {head.output_shape[-1]}")
        if not 0 < float(temperature) <= 1:
            raise ValueError(f"expected 0 < temperature <= 1. Received: temperature={temperature}")
        if not 0 <= float(rebalance_lambda) <= 1:
            raise ValueError(f"expected 0 <= rebalance_lambda <= 1. Received: {rebalance_lambda}")
        self.temperature = float(temperature)
        self.rebalance_lambda = float(rebalance_lambda)
        self.trunk = trunk
        self.head = head
        images = keras.Input(self.image_shape, name="images")
        pooled = keras.layers.GlobalAveragePooling2D(name="pool")(trunk(Luminance(name="luminance")(images)))
        self.encoder = keras.Model(images, keras.layers.Activation("linear", dtype="float32")(pooled),
                                   name="encoder")
        self.class_weights = self.add_weight(shape=(len(self.centres),), initializer="ones", trainable=False,
                                             name="class_weights")
        self.built = True

    @property
    def num_bins(self):
        return len(self.centres)

    def metric_names(self):
        return ["loss", "accuracy"]

    def call(self, x, training=False):
        return self.features(x, training=training)

    def features(self, x, training=False):
        """Features of RGB images; grayscale images `(N, H, W, 1)` are read as R = G = B."""
        x = ops.convert_to_tensor(x, "float32")
        if x.shape[-1] == 1:
            x = ops.repeat(x, 3, axis=-1)
        return ops.cast(self.encoder(x, training=training), "float32")

    # -- colours and classes -------------------------------------------------
    def lab(self, images):
        """Lab of RGB images in [-1, 1]."""
        return rgb_to_lab((ops.cast(images, "float32") + 1.0) / 2.0)

    def nearest_bins(self, ab):
        """Index of the nearest ab bin of each pixel `(..., )`."""
        d2 = ops.sum(ops.square(ab[..., None, :] - self.centres), axis=-1)
        return ops.argmin(d2, axis=-1)

    def soft_encode(self, ab, neighbours=5):
        """Soft targets `(..., Q)`: Gaussian weights on the `neighbours` nearest bins, summing to 1."""
        d2 = ops.sum(ops.square(ab[..., None, :] - self.centres), axis=-1)
        k = min(int(neighbours), self.num_bins)
        neg, idx = tf.math.top_k(-d2, k=k)
        sigma = self.bin_size / 2.0
        w = ops.exp(neg / (2 * sigma ** 2))
        w = w / ops.sum(w, axis=-1, keepdims=True)
        return ops.sum(ops.one_hot(idx, self.num_bins) * w[..., None], axis=-2)

    def fit_class_weights(self, images, batch_size=256):
        """Set the rebalancing weights from the nearest-bin histogram of RGB `images` in [-1, 1]; returns them."""
        counts = np.zeros(self.num_bins, np.float64)
        for i in range(0, len(images), batch_size):
            ab = self.lab(np.asarray(images[i:i + batch_size], np.float32))[..., 1:]
            counts += np.bincount(np.asarray(self.nearest_bins(ab)).ravel(), minlength=self.num_bins)
        weights = rebalancing_weights(counts, self.centres, self.rebalance_lambda, sigma=self.bin_size / 2.0)
        self.class_weights.assign(weights)
        return weights

    def logits(self, images, training=False):
        """Per-pixel ab-bin logits `(N, H, W, Q)` of RGB images (only their luminance is read)."""
        lum = self.lab(images)[..., :1] / 50.0 - 1.0
        return ops.cast(self.head(self.trunk(lum, training=training), training=training), "float32")

    def compute_losses(self, x, training=True):
        """`{"loss": rebalanced soft cross-entropy, "accuracy": nearest-bin accuracy}` (local means)."""
        ab = self.lab(x)[..., 1:]
        logits = self.logits(x, training=training)
        targets = self.soft_encode(ab)
        nearest = self.nearest_bins(ab)
        weights = ops.take(ops.convert_to_tensor(self.class_weights), nearest)
        loss = rep_losses.rebalanced_soft_crossentropy(targets, logits, weights)
        acc = ops.mean(ops.cast(ops.equal(ops.argmax(logits, -1), nearest), "float32"))
        return {"loss": loss, "accuracy": acc}

    def annealed_mean(self, logits):
        """The ab of each pixel from its class logits: the mean of `softmax(log p / T)` over bin centres."""
        probs = ops.softmax(ops.cast(logits, "float32"), axis=-1)
        annealed = ops.softmax(ops.log(probs + 1e-12) / self.temperature, axis=-1)
        return ops.matmul(annealed, ops.convert_to_tensor(self.centres))

    def colorize(self, images, training=False):
        """RGB in [-1, 1] from the luminance of `images` and the predicted colours."""
        images = ops.convert_to_tensor(images, "float32")
        lab = self.lab(images)
        ab = self.annealed_mean(self.logits(images, training=training))
        return lab_to_rgb(ops.concatenate([lab[..., :1], ab], axis=-1)) * 2.0 - 1.0

    def reconstruct(self, x, training=False):
        """The colourized luminance of `x`."""
        return self.colorize(x, training=training)

    # -- export and config -----------------------------------------------------
    def export_endpoints(self):
        info = {"value_range": [-1.0, 1.0]}
        colorize = Endpoint("colorize", self.head, [TensorSpec("images", self.image_shape, "float32", "image", info)],
                            [TensorSpec("colorized", self.image_shape, "float32", "image", info)],
                            call=lambda network, images: self.colorize(images))
        return [self.features_endpoint(), colorize]

    def get_config(self):
        return {**super().get_config(), "trunk": keras.saving.serialize_keras_object(self.trunk),
                "head": keras.saving.serialize_keras_object(self.head), "image_shape": list(self.image_shape),
                "bin_size": self.bin_size, "temperature": self.temperature,
                "rebalance_lambda": self.rebalance_lambda, "gamut": self.gamut}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("trunk", "head"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


@register_builder("colorization", data="color_images", scale="tanh",
                  paper="Zhang et al. 2016, https://arxiv.org/abs/1603.08511")
def build_colorization(input_shape, num_classes=None, tiny=False, seed=None, filters=None, bin_size=None,
                       gamut=None, learning_rate=1e-3, **compile_kwargs):
    """Colorization: a conv trunk on luminance, per-pixel classification over quantized ab bins.

    Args:
        bin_size: ab grid size (10 in the paper; 55 when tiny).
        gamut: which bins are classes: "zhang" (the paper's 313; default for grid 10), "srgb" (the cells
            the sRGB gamut reaches; default otherwise) or "square" (all of [-110, 110]^2).

    Returns:
        A compiled `Colorization`.
    """
    shape = tuple(input_shape)
    filters = tuple(filters or ((4, 8) if tiny else (32, 64, 64)))
    bin_size = float(bin_size or (55.0 if tiny else 10.0))
    trunk = build_conv_trunk(1, filters, strides=(1,) * len(filters))
    gamut = gamut or ("zhang" if bin_size == 10.0 else "srgb")
    head = build_pixel_head(filters[-1], len(ab_bins(bin_size, gamut)))
    model = Colorization(trunk, head, shape, bin_size=bin_size, gamut=gamut, seed=seed)
    return compile_adam(model, learning_rate, **compile_kwargs)
