"""SRResNet and SRGAN (Ledig et al., 2017): x4 super-resolution of the embedded digits (or photo patches), offline.

https://arxiv.org/abs/1609.04802

The paper's setup, as kgen builds it (`kgen.zoo` "srresnet", "srgan"):
- generator (SRResNet): k9n64 + PReLU, 16 residual blocks (k3n64, BN,
  PReLU, k3n64, BN), a long skip, two sub-pixel x2 blocks (k3n256,
  pixel shuffle, PReLU), k9 output, tanh;
- discriminator: 8 3x3 convolutions (64 ... 512 filters, stride 2 every
  second one), BN, LeakyReLU 0.2, dense 1024, one logit;
- phase 1: SRResNet on the MSE (the PSNR-oriented network), Adam(1e-4, 0.9);
- phase 2: SRGAN started from the trained SRResNet, content loss (the VGG54
  feature distance in the paper; here the shipped digit classifier's
  conv1 + conv3 features, offline: `--content vgg19` with a local Keras
  VGG19 weights file) + 1e-3 x the adversarial loss, Adam(1e-4, 0.9);
- low-res inputs by bicubic downsampling (x4) in the pipeline, as the paper
  makes its training pairs.

Usage:
    python recipes/srgan_ledig2017_digits.py                      # 10 + 5 epochs on sr:x4 (16 -> 4 px)
    python recipes/srgan_ledig2017_digits.py --data sr:x4:photos  # 32x32 photo patches
    python recipes/srgan_ledig2017_digits.py --smoke
"""

import sys

import _translation_recipe as common


def main(argv=None):
    def extra(p):
        p.add_argument("--gan-epochs", type=int, default=5)
        p.add_argument("--content", default="perceptual", help="perceptual (digit features), mse, vgg19")
        p.add_argument("--vgg-weights", default=None, help="local VGG19 no-top weights file for --content vgg19")

    args = common.parse(__doc__, argv, "sr:x4", epochs=10, batch_size=16, run_dir="runs/srgan_ledig2017", extra=extra)
    from pathlib import Path

    import keras
    import numpy as np

    import kgen
    from kgen.models.translation import PerceptualLoss, bicubic_upsample, downsample, metrics

    keras.utils.set_random_seed(args.seed)
    train, test, ds = common.pairs(args, augment="flip" if "photos" in args.data else None)
    scale = int(train.info["scale"])
    low = np.asarray(downsample(test.a, scale))
    sr = kgen.zoo.build("srresnet", train.a.shape[1:], tiny=args.smoke, scale=scale, content_loss="mse",
                        seed=args.seed)
    common.train(sr, ds, args, Path(args.run_dir) / "srresnet", low, test.a)
    content = (PerceptualLoss(1.0, "vgg19", weights_file=args.vgg_weights, feature_scale=12.75)
               if args.content == "vgg19" else args.content)
    gan = kgen.zoo.build("srgan", train.a.shape[1:], tiny=args.smoke, scale=scale, content_loss=content,
                         srresnet=sr, seed=args.seed)
    args.epochs = args.gan_epochs
    grid = common.train(gan, ds, args, Path(args.run_dir) / "srgan", low, test.a)
    for name, out in (("bicubic", np.asarray(bicubic_upsample(low, scale))), ("srresnet", metrics.translate_all(sr, low)),
                      ("srgan", metrics.translate_all(gan, low))):
        print(f"{name:9s} PSNR {metrics.psnr(out, test.a):.2f} dB, SSIM {metrics.ssim(out, test.a):.3f}, "
              f"feature distance {metrics.feature_distance(out, test.a):.4f}")
    print(f"samples: {grid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
