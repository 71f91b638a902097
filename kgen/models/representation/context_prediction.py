"""Context prediction (Doersch et al., 2015): the relative position (8 ways) of two patches of one image.

https://arxiv.org/abs/1505.05192
"""

import keras
import numpy as np
from keras import ops

from kgen import distribute
from kgen.models.representation.base import PretextClassifier, compile_adam
from kgen.models.representation.patches import crop_patches, merge_patch_axis
from kgen.networks.representation import build_conv_feature_encoder, build_head
from kgen.zoo import register_builder

#: The 8 neighbours of the centre patch, as (row, column) offsets in the 3x3 grid, in reading order.
NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def default_geometry(image_size):
    """`(patch_size, gap, jitter)` for square images of side `image_size`.

    Gaps and jitter keep the task from being solved by continuing edges or
    lines across patch borders (Doersch et al.: 96-pixel patches, 48-pixel
    gaps, up to 7 pixels of jitter). The gap always exceeds twice the jitter,
    so two patches never touch.
    """
    jitter = 1 if image_size >= 24 else 0
    gap = max(1, image_size // 10) if jitter == 0 else 2 * jitter + 1
    patch = (image_size - 2 * jitter - 2 * gap) // 3
    return patch, gap, jitter


def drop_colours(patches, keep, noise, noise_scale=0.01):
    """Doersch et al.'s colour dropping: keep one colour channel of each patch, replace the other two with noise.

    Chromatic aberration shifts the colour channels against each other
    towards the lens edges, so a network can tell where a patch was in the
    photo (and hence the relative position of two patches) from colour
    fringes alone. Dropping 2 of the 3 channels (Sec. 3.1) removes that cue;
    the dropped channels get Gaussian noise of `noise_scale` times the kept
    channel's standard deviation, so they carry no signal.

    Args:
        patches: `(N, P, h, w, 3)`.
        keep: int `(N, P)` in 0..2, the channel each patch keeps.
        noise: standard normal `(N, P, h, w, 3)`.
        noise_scale: noise std relative to the kept channel's std (1/100 in the paper).

    Returns:
        Patches of the same shape: channel `keep` unchanged, the others `noise_scale * std(kept) * noise`.

    Example:
        >>> drop_colours(pairs, keep, keras.random.normal(pairs.shape))   # (N, 2, p, p, 3)
    """
    patches = ops.cast(patches, "float32")
    mask = ops.one_hot(ops.cast(keep, "int32"), 3)[:, :, None, None, :]  # (N, P, 1, 1, 3)
    kept = ops.sum(patches * mask, axis=-1, keepdims=True)  # (N, P, h, w, 1)
    std = ops.std(kept, axis=(2, 3, 4), keepdims=True)
    return mask * patches + (1.0 - mask) * (noise_scale * std) * ops.cast(noise, "float32")


def patch_positions(positions, jitters, image_size, patch_size, gap):
    """Top-left corners of the centre patch and of its neighbour at `positions`.

    The 3x3 grid of patches (stride `patch_size + gap`) is centred in the
    image; each patch is then shifted by its jitter.

    Args:
        positions: int neighbour ids `(N,)` in 0..7 (`NEIGHBOURS`).
        jitters: int shifts `(N, 2, 2)`: (centre, neighbour) x (row, column).
        image_size: `(H, W)`.
        patch_size: patch side.
        gap: pixels between neighbouring patches before jitter.

    Returns:
        int32 `(tops, lefts)`, each `(N, 2)`: column 0 the centre patch, 1 the neighbour.

    Example:
        >>> tops, lefts = patch_positions([1], [[[0, 0], [0, 0]]], (16, 16), 4, 1)
        >>> tops.numpy(), lefts.numpy()   # [[6, 1]], [[6, 6]]
    """
    h, w = image_size
    stride = patch_size + gap
    origin_r = (h - 3 * patch_size - 2 * gap) // 2
    origin_c = (w - 3 * patch_size - 2 * gap) // 2
    table = ops.convert_to_tensor(np.asarray(NEIGHBOURS, np.int32))
    offset = ops.take(table, ops.cast(positions, "int32"), axis=0)  # (N, 2)
    jitters = ops.cast(jitters, "int32")
    tops = ops.stack([origin_r + stride + jitters[:, 0, 0],
                      origin_r + stride * (1 + offset[:, 0]) + jitters[:, 1, 0]], axis=1)
    lefts = ops.stack([origin_c + stride + jitters[:, 0, 1],
                       origin_c + stride * (1 + offset[:, 1]) + jitters[:, 1, 1]], axis=1)
    return tops, lefts


@keras.saving.register_keras_serializable(package="kgen")
class ContextPrediction(PretextClassifier):
    """Self-supervised context prediction: where does the second patch lie relative to the first?

    For each image one of the 8 neighbours of the centre patch is drawn; both
    patches (jittered independently, separated by a gap) pass through the
    same (siamese) encoder, and the head classifies their concatenated
    features into the 8 relative positions.

    Args:
        encoder: fully convolutional Keras network `(N, p, p, C) -> (N, d)`.
        head: Keras network `(N, 2 d) -> (N, 8)`.
        image_shape: `(H, W, C)` of the data.
        patch_size, gap, jitter: the patch geometry (default: `default_geometry(min(H, W))`).
        colour_dropping: for RGB data, keep one random channel of each training patch and replace
            the other two with faint noise (`drop_colours`, Doersch et al. Sec. 3.1: against the
            chromatic-aberration shortcut). Features of whole images use all channels.
        seed: seed of the model's noise (positions, jitter, dropped colours).

    Example:
        >>> ctx = kgen.zoo.build("context_prediction", (32, 32, 1))
        >>> ctx.fit(kgen.data.load("digits", image_size=32, labels=False), epochs=5)
    """

    def __init__(self, encoder, head, image_shape, patch_size=None, gap=None, jitter=None, colour_dropping=False,
                 seed=None, **kwargs):
        super().__init__(encoder, head, image_shape, seed=seed, **kwargs)
        self.colour_dropping = bool(colour_dropping)
        if self.colour_dropping and self.image_shape[-1] != 3:
            raise ValueError(f"colour_dropping drops 2 of 3 colour channels; the images have "
                             f"{self.image_shape[-1]} channel(s). Use it on RGB data, or set colour_dropping=False.")
        p0, g0, j0 = default_geometry(min(self.image_shape[:2]))
        self.patch_size = int(patch_size if patch_size is not None else p0)
        self.gap = int(gap if gap is not None else g0)
        self.jitter = int(jitter if jitter is not None else j0)
        if self.jitter < 0 or self.gap <= 2 * self.jitter:
            raise ValueError(f"expected gap > 2 * jitter >= 0, so jittered patches never touch. "
                             f"Received: gap={self.gap}, jitter={self.jitter}")
        extent = 3 * self.patch_size + 2 * self.gap + 2 * self.jitter
        if self.patch_size < 1 or extent > min(self.image_shape[:2]):
            raise ValueError(f"3 patches of {self.patch_size} with gaps of {self.gap} and jitter {self.jitter} "
                             f"need {extent} pixels; the images have {self.image_shape[:2]}: lower patch_size/gap, "
                             "or raise --image-size.")
        if int(head.output_shape[-1]) != len(NEIGHBOURS):
            raise ValueError(f"the head must output 8 logits. Received: {head.output_shape[-1]}")

    def positions(self, labels, jitters):
        """`patch_positions` for this model's geometry."""
        return patch_positions(labels, jitters, self.image_shape[:2], self.patch_size, self.gap)

    def pair(self, x, labels, jitters):
        """The (centre, neighbour) patch pairs `(N, 2, p, p, C)`."""
        tops, lefts = self.positions(labels, jitters)
        return crop_patches(ops.cast(x, "float32"), tops, lefts, self.patch_size)

    def pretext_batch(self, x, training=True):
        n = ops.shape(x)[0]
        gen = self.seed_generator
        labels = distribute.draw_for_replica(
            lambda s: keras.random.randint(s, 0, len(NEIGHBOURS), seed=gen, dtype="int32"), n, ())
        jitters = distribute.draw_for_replica(
            lambda s: keras.random.randint(s, -self.jitter, self.jitter + 1, seed=gen, dtype="int32"), n, (2, 2))
        pairs = self.pair(x, labels, jitters)
        if self.colour_dropping and training:
            keep = distribute.draw_for_replica(
                lambda s: keras.random.randint(s, 0, 3, seed=gen, dtype="int32"), n, (2,))
            p = self.patch_size
            noise = distribute.draw_for_replica(lambda s: keras.random.normal(s, seed=gen), n, (2, p, p, 3))
            pairs = drop_colours(pairs, keep, noise)
        return pairs, labels

    def pretext_logits(self, pairs, training=True):
        feats = ops.cast(self.encoder(merge_patch_axis(pairs), training=training), "float32")
        return self.head(ops.reshape(feats, (-1, 2 * self.feature_dim)), training=training)

    def reconstruct(self, x, training=False):
        """Each image re-assembled from its 9 patches, every neighbour placed where the model predicts it.

        The background is the value-range minimum; patches predicted into the
        same slot are averaged. Equal to the patch grid of `x` when every
        position is predicted right.
        """
        x = ops.convert_to_tensor(x, "float32")
        n = ops.shape(x)[0]
        k = len(NEIGHBOURS)
        labels = ops.tile(ops.arange(k, dtype="int32")[None], (n, 1))  # (N, 8)
        flat = ops.reshape(labels, (-1,))
        xs = ops.repeat(x, k, axis=0)
        pairs = self.pair(xs, flat, ops.zeros((n * k, 2, 2), "int32"))
        guess = ops.argmax(self.pretext_logits(pairs, training=False), -1)
        assign = ops.reshape(ops.one_hot(guess, k), (n, k, k))  # [n, patch, slot]
        neighbours = ops.reshape(pairs[:, 1], (n, k, self.patch_size, self.patch_size, -1))
        counts = ops.sum(assign, axis=1)  # (N, slot)
        slots = ops.einsum("nps,nphwc->nshwc", assign, neighbours) / ops.maximum(counts, 1.0)[:, :, None, None, None]
        low = self.value_range[0]
        canvas = ops.full(ops.shape(x), low, "float32")
        h, w = self.image_shape[:2]
        stride = self.patch_size + self.gap
        origin_r = (h - 3 * self.patch_size - 2 * self.gap) // 2
        origin_c = (w - 3 * self.patch_size - 2 * self.gap) // 2
        tops = [(origin_r + stride, origin_r + stride * (1 + dr)) for dr, _ in NEIGHBOURS]
        lefts = [(origin_c + stride, origin_c + stride * (1 + dc)) for _, dc in NEIGHBOURS]
        centre = pairs[::k, 0]
        placed = [(centre, tops[0][0], lefts[0][0], ops.ones((n,), "float32"))]
        placed += [(slots[:, s], tops[s][1], lefts[s][1], ops.cast(counts[:, s] > 0, "float32")) for s in range(k)]
        for patch, top, left, present in placed:
            pad = ((0, 0), (top, h - top - self.patch_size), (left, w - left - self.patch_size), (0, 0))
            canvas = canvas + ops.pad(patch - low, pad) * present[:, None, None, None]
        return canvas

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size, "gap": self.gap, "jitter": self.jitter,
                "colour_dropping": self.colour_dropping}


@register_builder("context_prediction", scale="tanh",
                  paper="Doersch et al. 2015, https://arxiv.org/abs/1505.05192")
def build_context_prediction(input_shape, num_classes=None, tiny=False, seed=None, filters=None, patch_size=None,
                             gap=None, jitter=None, colour_dropping=False, learning_rate=1e-3, **compile_kwargs):
    """Context prediction: a siamese conv encoder over two patches, an 8-way relative-position classifier.

    Returns:
        A compiled `ContextPrediction`.
    """
    shape = tuple(input_shape)
    filters = tuple(filters or ((4, 8) if tiny else (32, 64, 128)))
    encoder = build_conv_feature_encoder(shape[-1], filters)
    head = build_head(2 * filters[-1], len(NEIGHBOURS), () if tiny else (128,))
    model = ContextPrediction(encoder, head, shape, patch_size=patch_size, gap=gap, jitter=jitter,
                              colour_dropping=colour_dropping, seed=seed)
    return compile_adam(model, learning_rate, **compile_kwargs)
