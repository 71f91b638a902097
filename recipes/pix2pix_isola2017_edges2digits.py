"""pix2pix (Isola, Zhu, Zhou & Efros, 2017) on edges2digits: edge maps -> the digit, offline.

https://arxiv.org/abs/1611.07004

The paper's setup, as kgen builds it (`kgen.zoo` "pix2pix"):
- generator: the U-Net (encoder C64-C128-C256-C512..., 4x4 stride-2
  convolutions, LeakyReLU 0.2, no norm on the first layer nor on the
  innermost 1x1 block; decoder with skips and dropout 0.5 in its first 3
  blocks, ReLU, tanh output);
- discriminator: a PatchGAN judging [target, input] (70x70 at 256 px; 16x16
  patches here, for 16x16 images);
- objective: non-saturating cGAN + lambda L1 with lambda = 100; D's
  objective halved; Adam(2e-4, beta_1 = 0.5); batch size 1 in the paper
  (16 here: tiny images); random jitter (resize up by 1/8, random crop back);
  no mirroring (digits are not symmetric).
- `--ablation l1|cgan|both` trains the paper's Table 1 variants.

Usage:
    python recipes/pix2pix_isola2017_edges2digits.py                   # 20 epochs
    python recipes/pix2pix_isola2017_edges2digits.py --data colorize   # grey -> colour photo patches
    python recipes/pix2pix_isola2017_edges2digits.py --smoke
"""

import sys

import _translation_recipe as common

WEIGHTS = {"both": (100.0, 1.0), "l1": (100.0, 0.0), "cgan": (0.0, 1.0)}


def main(argv=None):
    args = common.parse(__doc__, argv, "edges2digits", epochs=20, batch_size=16, run_dir="runs/pix2pix_isola2017",
                        extra=lambda p: p.add_argument("--ablation", choices=sorted(WEIGHTS), default="both"))
    import keras

    import kgen
    from kgen.models.translation import metrics

    keras.utils.set_random_seed(args.seed)
    train, test, ds = common.pairs(args, augment="jitter_flip" if "colorize" in args.data else "jitter")
    l1_weight, adv = WEIGHTS[args.ablation]
    model = kgen.zoo.build("pix2pix", train.a.shape[1:], tiny=args.smoke, target_channels=train.b.shape[-1],
                           l1_weight=l1_weight, adversarial_weight=adv, learning_rate=2e-4, beta_1=0.5,
                           seed=args.seed)
    grid = common.train(model, ds, args, args.run_dir, test.a, test.b)
    out = metrics.translate_all(model, test.a)
    print(f"held-out ({len(test.a)} pairs): L1 {metrics.l1(out, test.b):.4f}, PSNR {metrics.psnr(out, test.b):.2f} dB, "
          f"SSIM {metrics.ssim(out, test.b):.3f}")
    print(f"samples: {grid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
