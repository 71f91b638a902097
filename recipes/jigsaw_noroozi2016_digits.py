"""Jigsaw puzzles (Noroozi & Favaro, 2016) on the embedded digits: which permutation shuffled the 3x3 tiles.

https://arxiv.org/abs/1603.09246

Setup, as kgen builds it:
- digits resized to 32x32, 3x3 cells of 10 pixels, an 8x8 tile cropped at a
  random offset in each (the paper: 64 of 75 pixels), every tile normalized to
  zero mean and unit variance on its own;
- 100 permutations chosen greedily for maximal minimal Hamming distance;
- a siamese fully convolutional encoder per tile, an MLP over the 9
  concatenated features, 100-way cross-entropy; Adam 1e-3, batch 64;
- evaluation: a linear probe on the encoder's features of whole images.

Usage:
    python recipes/jigsaw_noroozi2016_digits.py
    python recipes/jigsaw_noroozi2016_digits.py --smoke
"""

import sys

import _representation_recipe as common


def main(argv=None):
    args = common.parse(__doc__, argv, image_size=32, epochs=30,
                        extra=lambda p: p.add_argument("--permutations", type=int, default=100))
    from kgen.models.representation import min_hamming_distance

    return common.run_pretext(
        args, "jigsaw", args.run_dir or "runs/jigsaw_noroozi2016",
        lambda h: f"puzzle accuracy (train): {h['accuracy'][-1]:.3f}", "solved_puzzles",
        describe=lambda m: (f"{m.num_permutations} permutations, minimal Hamming distance "
                            f"{min_hamming_distance(m.permutations)}; tiles {m.tile_size}px in {m.cell}px cells"),
        num_permutations=4 if args.smoke else args.permutations)


if __name__ == "__main__":
    sys.exit(main())
