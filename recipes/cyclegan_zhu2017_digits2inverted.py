"""CycleGAN (Zhu, Park, Isola & Efros, 2017) between digits and inverted digits, unpaired, offline.

https://arxiv.org/abs/1703.10593

The paper's setup, as kgen builds it (`kgen.zoo` "cyclegan"):
- generators: Johnson et al.'s ResNet (c7s1-64, d128, d256, 6 residual
  blocks below 256 px, u128, u64, c7s1-C), reflect padding, instance norm
  (`GroupNormalization(groups=-1)`);
- discriminators: PatchGANs with instance norm (70x70 at 256 px; 16x16 here);
- least-squares GAN losses, cycle lambda = 10; the identity loss (0.5 lambda
  in the reference code, used by the paper for painting -> photo, Sec. 5.2;
  not in its Eq. 3) is 0 on digits2inverted, where it asks G to leave
  inverted digits unchanged while inverting plain ones and drags G to the
  identity (labels kept 11 % / 7 % with it, 99 % / 93 % without, 600 steps:
  README), and 0.5 lambda on mnist2digits;
- generators downsample once below 32 px (an 8x8 bottleneck at 16 px; the
  paper's two from 32 px up);
- each discriminator sees fakes from a 50-image history pool;
- Adam(2e-4, beta_1 = 0.5), constant for the first half of training, then
  linearly to zero; batch size 1 in the paper (8 here).
- `--data mnist2digits` translates mnist7k <-> the embedded digits.

Usage:
    python recipes/cyclegan_zhu2017_digits2inverted.py        # 10 epochs
    python recipes/cyclegan_zhu2017_digits2inverted.py --smoke
"""

import sys

import _translation_recipe as common


def main(argv=None):
    args = common.parse(__doc__, argv, "digits2inverted", epochs=10, batch_size=8, run_dir="runs/cyclegan_zhu2017")
    import keras

    import kgen
    from kgen.models.translation import metrics

    keras.utils.set_random_seed(args.seed)
    train, test, ds = common.pairs(args)
    steps = args.steps_per_epoch or len(train) // args.batch_size
    model = kgen.zoo.build("cyclegan", train.a.shape[1:], tiny=args.smoke, total_steps=(2 if args.smoke else
                           args.epochs * steps), learning_rate=2e-4, beta_1=0.5, seed=args.seed,
                           identity_weight=0.0 if "inverted" in args.data else 0.5)
    grid = common.train(model, ds, args, args.run_dir, test.a, test.b, steps=steps)
    fake_b = metrics.translate_all(model, test.a, direction="a2b")
    cycled = metrics.translate_all(model, fake_b, direction="b2a")
    line = f"held-out ({len(test.a)}): cycle L1 {metrics.l1(cycled, test.a):.4f}"
    if test.labels is not None and "inverted" in args.data:
        # The classifier reads digits; an inverted digit is read back inverted (-x).
        line += f", label kept {100 * metrics.classifier_accuracy(-fake_b, test.labels):.1f} %"
    print(line)
    print(f"samples: {grid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
