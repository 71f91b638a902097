"""Improved techniques for training GANs (Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen, 2016).

https://arxiv.org/abs/1606.03498

The paper's techniques and hyperparameters, as kgen builds them
(`kgen.zoo.build("improved_gan")` plus callbacks):
- feature matching: the generator minimizes ||E f(x) - E f(G(z))||^2 on
  the discriminator's last hidden features (`FeatureMatchingGAN`);
- minibatch discrimination with B = 100 kernels of dimension C = 5 before
  the logit (`kgen.layers.MinibatchDiscrimination`);
- one-sided label smoothing: real targets 0.9, fake targets 0;
- historical averaging of the parameters (`kgen.models.gan.HistoricalAveraging`, a penalty the model holds,
  weight `--historical-weight`; the paper does not give its value);
- virtual batch normalization is available as `kgen.layers.VirtualBatchNormalization`
  (not used here: the DCGAN generator keeps batch norm);
- Adam(3e-4, beta_1=0.5) as in the authors' code; batch size 100;
- samples drawn from an exponential moving average of the generator
  (`GeneratorEMA`, decay 0.999; a later practice, `--no-ema` to disable).

Usage:
    python recipes/improved_salimans2016_digits.py [--epochs 30]
    python recipes/improved_salimans2016_digits.py --smoke
"""

import os
import sys

import _gan_recipe as R


def main(argv=None):
    args = R.setup(__doc__, argv, "runs/improved_salimans2016", epochs=30, batch_size=100,
                   extra={"--historical-weight": 1e-4, "--no-ema": False})
    import keras
    import numpy as np

    import kgen
    from kgen.callbacks import GeneratorEMA

    ds, shape = R.images(args)
    gan = kgen.zoo.build("improved_gan", shape, tiny=args.smoke, label_smoothing=0.1,
                         minibatch_kernels=(4, 3) if args.smoke else (100, 5), learning_rate=3e-4,
                         beta_1=0.5, historical_averaging=args.historical_weight, seed=args.seed)
    callbacks = []
    ema = None if args.no_ema else GeneratorEMA(0.999)
    if ema:
        callbacks.append(ema)
    R.train(gan, ds, args, callbacks=callbacks)
    if ema:
        z = gan.prior.numpy_sample(64, np.random.default_rng(args.seed))["latent"]
        path = kgen.images.save_grid(keras.ops.convert_to_numpy(ema.generate(z)),
                                     os.path.join(args.run_dir, "samples", "ema.png"), scale=2)
    else:
        path = R.last_grid(args.run_dir)
    print(f"samples: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
