"""InfoGAN (Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, 2016) on the embedded digits.

https://arxiv.org/abs/1606.03657

The paper's MNIST setup, as kgen builds it (`kgen.zoo.build("infogan")`):
- latent codes: one 10-way categorical code c1 ~ Cat(K=10, p=0.1), two
  continuous codes c2, c3 ~ U(-1, 1), and 62 noise variables;
- Q shares all convolutional layers with D and adds one hidden layer
  (128 units) giving the categorical logits and the Gaussian means of the
  continuous codes (unit variance);
- lambda = 1 on the mutual-information lower bound;
- Adam: learning rate 2e-4 for D (and Q), 1e-3 for G, beta_1 = 0.5; DCGAN
  networks with batch norm.
Writes `codes.png`: row k uses c1 = k, columns sweep c2 from -2 to 2
(the paper's Figure 2 shows that c2 controls rotation/width).

Usage:
    python recipes/infogan_chen2016_digits.py [--epochs 50]
    python recipes/infogan_chen2016_digits.py --smoke
"""

import os
import sys

import _gan_recipe as R


def main(argv=None):
    args = R.setup(__doc__, argv, "runs/infogan_chen2016", epochs=50, batch_size=64)
    import keras
    import numpy as np

    import kgen

    ds, shape = R.images(args)
    gan = kgen.zoo.build("infogan", shape, tiny=args.smoke, categorical_dims=(10,), continuous_dim=2,
                         info_weight=1.0, d_learning_rate=2e-4, g_learning_rate=1e-3, seed=args.seed)
    R.train(gan, ds, args, samples=0)
    cols = 10
    cats = np.repeat(np.arange(10), cols)
    sweep = np.tile(np.linspace(-2, 2, cols), 10)
    noise = np.repeat(np.random.default_rng(args.seed).standard_normal((10, gan.noise_dim)), cols, axis=0)
    z = gan.make_latent(noise=noise, categorical=[cats], continuous=np.stack([sweep, np.zeros_like(sweep)], 1))
    path = kgen.images.save_grid(keras.ops.convert_to_numpy(gan.generate(z)), os.path.join(args.run_dir, "codes.png"),
                                 ncols=cols, scale=2)
    print(f"samples: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
