"""Jigsaw puzzles (Noroozi & Favaro, 2016): which of a set of permutations shuffled the 3x3 tiles?

https://arxiv.org/abs/1603.09246
"""

import functools
import itertools

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from kgen import distribute
from kgen.models.representation.base import PretextClassifier, compile_adam
from kgen.models.representation.patches import (assemble_cells, crop_patches, grid_cells, merge_patch_axis,
                                                normalize_each)
from kgen.networks.representation import build_conv_feature_encoder, build_head
from kgen.zoo import register_builder

NUM_TILES = 9


@functools.lru_cache(maxsize=4)
def _all_permutations(n):
    return np.array(list(itertools.permutations(range(n))), np.int8)


@functools.lru_cache(maxsize=32)
def _permutation_set(num, n, seed):
    candidates = _all_permutations(n)
    rng = np.random.default_rng(seed)
    chosen = [int(rng.integers(len(candidates)))]
    min_dist = (candidates != candidates[chosen[0]]).sum(1)
    for _ in range(num - 1):
        # The candidate farthest (in minimal Hamming distance) from every
        # permutation chosen so far; chosen ones have distance 0.
        j = int(np.argmax(min_dist))
        chosen.append(j)
        min_dist = np.minimum(min_dist, (candidates != candidates[j]).sum(1))
    return candidates[chosen].astype(np.int32)


def maximal_hamming_permutations(num_permutations, num_tiles=NUM_TILES, seed=0):
    """A set of tile permutations chosen greedily for maximal minimal Hamming distance.

    Noroozi & Favaro's selection (their Algorithm 1, with the minimum in
    place of the mean distance): start from a random permutation, then add,
    one at a time, the permutation whose smallest Hamming distance to the
    chosen ones is largest. Far-apart permutations make the puzzle classes
    distinguishable from any few tiles. For `num_permutations <= num_tiles`
    it reaches the upper bound `num_tiles` (rows of a Latin square).

    Args:
        num_permutations: size of the set (the classifier's classes; 100 in the paper).
        num_tiles: tiles per puzzle (9 for 3x3).
        seed: seed of the first permutation.

    Returns:
        int32 array `(num_permutations, num_tiles)`; row `p` says which cell
        each position shows.

    Example:
        >>> perms = maximal_hamming_permutations(100)
        >>> min_hamming_distance(perms)
        6
    """
    num_permutations, num_tiles = int(num_permutations), int(num_tiles)
    if num_tiles < 2 or num_tiles > 9:
        raise ValueError(f"expected 2 <= num_tiles <= 9 (all permutations are enumerated). Received: {num_tiles}")
    total = int(np.prod(range(1, num_tiles + 1)))
    if not 2 <= num_permutations <= total:
        raise ValueError(f"expected 2 <= num_permutations <= {total} ({num_tiles}!). "
                         f"Received: num_permutations={num_permutations}")
    return _permutation_set(num_permutations, num_tiles, int(seed)).copy()


def min_hamming_distance(permutations):
    """The smallest Hamming distance between two distinct rows of a permutation set."""
    p = np.asarray(permutations)
    d = (p[:, None, :] != p[None, :, :]).sum(-1)
    np.fill_diagonal(d, p.shape[1] + 1)
    return int(d.min())


@keras.saving.register_keras_serializable(package="kgen")
class Jigsaw(PretextClassifier):
    """Self-supervised jigsaw puzzles: classify which permutation of a fixed set shuffled the 3x3 tiles.

    The image is cut into a 3x3 grid of `cell`-sized cells (`cell = H // 3`);
    from each cell a `tile_size` tile is cropped at a random offset (so
    neighbouring tiles are separated by a random gap: edges do not continue
    across tiles), and every tile is normalized to zero mean and unit
    standard deviation ON ITS OWN (no low-level statistics shortcut).
    Position `i` shows the tile of cell `perm[p][i]` for a permutation `p`
    drawn per example; the shared (siamese) encoder embeds each tile, the
    head classifies the concatenated 9 embeddings into `num_permutations`
    classes.

    Args:
        encoder: fully convolutional Keras network `(N, t, t, C) -> (N, d)`.
        head: Keras network `(N, 9 d) -> (N, num_permutations)`.
        image_shape: `(H, W, C)` of the data.
        num_permutations: size of the permutation set.
        tile_size: tile side (default: `cell - max(1, cell // 4)`).
        permutation_seed: seed of the permutation set's first permutation.
        seed: seed of the model's noise (permutation and offset draws).

    Example:
        >>> jig = kgen.zoo.build("jigsaw", (32, 32, 1))
        >>> jig.fit(kgen.data.load("digits", image_size=32, labels=False), epochs=5)
    """

    def __init__(self, encoder, head, image_shape, num_permutations=100, tile_size=None, permutation_seed=0,
                 seed=None, **kwargs):
        super().__init__(encoder, head, image_shape, seed=seed, **kwargs)
        h, w = self.image_shape[:2]
        self.cell = min(h, w) // 3
        if self.cell < 2:
            raise ValueError(f"images of {h}x{w} are too small for 3x3 tiles; use --image-size >= 6.")
        self.tile_size = int(tile_size) if tile_size else self.cell - max(1, self.cell // 4)
        if not 1 <= self.tile_size <= self.cell:
            raise ValueError(f"expected 1 <= tile_size <= cell={self.cell}. Received: tile_size={tile_size}")
        self.num_permutations = int(num_permutations)
        self.permutation_seed = int(permutation_seed)
        self.permutations = maximal_hamming_permutations(self.num_permutations, NUM_TILES, self.permutation_seed)
        self.inverse_permutations = np.argsort(self.permutations, axis=1).astype(np.int32)
        if int(head.output_shape[-1]) != self.num_permutations:
            raise ValueError(f"the head must output num_permutations={self.num_permutations} logits. "
                             f"Received: {head.output_shape[-1]}")

    @property
    def max_offset(self):
        """Largest random offset of a tile inside its cell (`cell - tile_size`)."""
        return self.cell - self.tile_size

    def tile_positions(self, permutation_ids, offsets):
        """Top-left corners `(N, 9)` x2 of the tiles each position shows, for permutations and offsets `(N, 9, 2)`."""
        cells = tf.gather(ops.convert_to_tensor(self.permutations), permutation_ids)  # (N, 9)
        tops = (cells // 3) * self.cell + offsets[..., 0]
        lefts = (cells % 3) * self.cell + offsets[..., 1]
        return tops, lefts

    def make_tiles(self, x, permutation_ids, offsets):
        """The shuffled, individually normalized tiles `(N, 9, t, t, C)`."""
        tops, lefts = self.tile_positions(ops.cast(permutation_ids, "int32"), ops.cast(offsets, "int32"))
        return normalize_each(crop_patches(ops.cast(x, "float32"), tops, lefts, self.tile_size))

    def pretext_batch(self, x, training=True):
        n = ops.shape(x)[0]
        gen = self.seed_generator
        perm = distribute.draw_for_replica(
            lambda s: keras.random.randint(s, 0, self.num_permutations, seed=gen, dtype="int32"), n, ())
        offsets = distribute.draw_for_replica(
            lambda s: keras.random.randint(s, 0, self.max_offset + 1, seed=gen, dtype="int32"), n,
            (NUM_TILES, 2))
        return self.make_tiles(x, perm, offsets), perm

    def pretext_logits(self, tiles, training=True):
        feats = self.encoder(merge_patch_axis(tiles), training=training)
        feats = ops.reshape(ops.cast(feats, "float32"), (-1, NUM_TILES * self.feature_dim))
        return self.head(feats, training=training)

    def reconstruct(self, x, training=False):
        """Solve a puzzle per image: cells shuffled by permutation `i mod P`, put back by the predicted one.

        Equal to `x` wherever the permutation is recognized.
        """
        x = ops.convert_to_tensor(x, "float32")
        n = ops.shape(x)[0]
        perm = ops.arange(n, dtype="int32") % self.num_permutations
        centre = ops.full((n, NUM_TILES, 2), self.max_offset // 2, "int32")
        logits = self.pretext_logits(self.make_tiles(x, perm, centre), training=training)
        guess = ops.cast(ops.argmax(logits, -1), "int32")
        cells = grid_cells(x, self.cell)
        shuffled = tf.gather(cells, tf.gather(ops.convert_to_tensor(self.permutations), perm), batch_dims=1)
        restored = tf.gather(shuffled, tf.gather(ops.convert_to_tensor(self.inverse_permutations), guess),
                             batch_dims=1)
        return assemble_cells(restored, x)

    def get_config(self):
        return {**super().get_config(), "num_permutations": self.num_permutations, "tile_size": self.tile_size,
                "permutation_seed": self.permutation_seed}


@register_builder("jigsaw", scale="tanh", paper="Noroozi & Favaro 2016, https://arxiv.org/abs/1603.09246")
def build_jigsaw(input_shape, num_classes=None, tiny=False, seed=None, filters=None, num_permutations=None,
                 tile_size=None, learning_rate=1e-3, **compile_kwargs):
    """Jigsaw puzzles: a siamese conv encoder over 3x3 tiles, a classifier over a max-Hamming permutation set.

    Returns:
        A compiled `Jigsaw`.
    """
    shape = tuple(input_shape)
    filters = tuple(filters or ((4, 8) if tiny else (32, 64, 128)))
    num_permutations = int(num_permutations or (4 if tiny else 100))
    encoder = build_conv_feature_encoder(shape[-1], filters)
    head = build_head(NUM_TILES * filters[-1], num_permutations, () if tiny else (256,))
    model = Jigsaw(encoder, head, shape, num_permutations=num_permutations, tile_size=tile_size, seed=seed)
    return compile_adam(model, learning_rate, **compile_kwargs)
