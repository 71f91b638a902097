"""DCGAN (Radford, Metz & Chintala, 2015) on the embedded digits, or on MNIST from a .npz.

https://arxiv.org/abs/1511.06434

The paper's setup, as kgen builds it:
- generator: project-and-reshape of a 100-d latent to 4x4, fractionally
  strided (transposed) 4x4 convolutions, batch norm and ReLU, tanh output;
- discriminator: strided 4x4 convolutions with LeakyReLU(0.2), batch norm
  on all but the first block, no pooling, no fully connected hidden layer;
- Adam(lr=2e-4, beta_1=0.5) for both networks, batch size 128, images
  scaled to [-1, 1], weights N(0, 0.02) in the paper (kgen keeps Keras'
  Glorot default, which trains equally well at these sizes);
- separate real and fake batches through the discriminator (batch norm
  statistics never mix them).

Usage:
    python recipes/dcgan_radford2015_digits.py                # digits 32x32, 30 epochs
    python recipes/dcgan_radford2015_digits.py --data ../shared/data/mnist7k.npz --image-size 32
    python recipes/dcgan_radford2015_digits.py --smoke        # seconds
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="digits", help="digits, a .npz file, an image folder, tfds:mnist")
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--run-dir", default="runs/dcgan_radford2015")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="tiny network, 1 epoch of 2 steps")
    args = p.parse_args(argv)

    import keras

    import kgen

    keras.utils.set_random_seed(args.seed)
    size = 8 if args.smoke else args.image_size
    data = kgen.data.load(args.data, image_size=size, batch_size=16 if args.smoke else args.batch_size,
                          scale="tanh", seed=args.seed)
    gan = kgen.zoo.build("dcgan", (size, size, next(iter(data)).shape[-1]), tiny=args.smoke,
                         latent_dim=8 if args.smoke else args.latent_dim,
                         learning_rate=2e-4, beta_1=0.5, seed=args.seed)
    callbacks = kgen.runs.callbacks_for(args.run_dir, samples=16 if args.smoke else 64,
                                        tensorboard=not args.smoke)
    kgen.train(gan, data, epochs=1 if args.smoke else args.epochs, callbacks=callbacks,
               steps_per_epoch=2 if args.smoke else None, verbose=0 if args.smoke else 1)
    kgen.runs.save_model(gan, args.run_dir)
    grids = [c for c in callbacks if isinstance(c, kgen.callbacks.SampleGrid)]
    print(f"samples: {grids[0].last_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
