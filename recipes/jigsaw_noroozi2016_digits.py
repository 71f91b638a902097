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
    import keras

    import kgen
    from kgen.models.representation import min_hamming_distance

    keras.utils.set_random_seed(args.seed)
    data = common.arrays(args)
    xtr, ytr, xte, yte = common.split(data.x, data.y, seed=args.seed)
    model = kgen.zoo.build("jigsaw", xtr.shape[1:], tiny=args.smoke, seed=args.seed,
                           num_permutations=4 if args.smoke else args.permutations)
    print(f"{model.num_permutations} permutations, minimal Hamming distance "
          f"{min_hamming_distance(model.permutations)}; tiles {model.tile_size}px in {model.cell}px cells")
    run_dir = args.run_dir or "runs/jigsaw_noroozi2016"
    hist = common.train(model, common.dataset(xtr, batch_size=16 if args.smoke else args.batch_size), args, run_dir)
    print(f"puzzle accuracy (train): {hist.history['accuracy'][-1]:.3f}")
    print(f"linear probe accuracy: {common.probe(model, xtr, ytr, xte, yte):.3f}")
    common.outputs(model, xte, run_dir, name="solved_puzzles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
