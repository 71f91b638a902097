"""Sparse autoencoder (Ng, 2011, CS294A lecture notes) on 8x8 digits.

https://web.stanford.edu/class/cs294a/sparseAutoencoder.pdf

Setup, as kgen builds it:
- 64 inputs -> 25 sigmoid hidden units (`--code-dim`) -> 64 sigmoid outputs;
- loss: squared error + beta * sum_j KL(rho || rho_hat_j) with rho=0.05 and
  beta=3 (the notes' values), rho_hat_j the batch mean activation; Adam
  (the notes use L-BFGS on the full batch, with weight decay);
- outputs: the learned features (each hidden unit's input weights as an
  8x8 image) and the measured mean activation.

Usage:
    python recipes/sparseae_ng2011_digits.py --rho 0.05
    python recipes/sparseae_ng2011_digits.py --smoke
"""

import sys

import _ae_recipe as common


OPTIONS = {"--rho": 0.05, "--beta": 3.0, "--code-dim": 25}


def main(argv=None):
    args, ds, arrays = common.setup(__doc__, argv, "runs/sparseae_ng2011",
                                    image_size=8, epochs=200, batch_size=128, extra=OPTIONS)
    import numpy as np

    import kgen
    from kgen.images import save_grid

    model = kgen.zoo.build("sparse_autoencoder", arrays.x.shape[1:], code_dim=args.code_dim,
                           hidden_units=(), rho=args.rho, weight=args.beta,
                           learning_rate=1e-2, seed=args.seed)
    common.train_and_write(model, ds, arrays, args,
                           f"mean hidden activation {{mean_activation:.3f}} (target {args.rho})", grid=0,
                           latent_tools=False)
    w = model.encoder.get_layer("code").kernel.numpy().T  # (code, pixels)
    w = w / (np.abs(w).max(1, keepdims=True) + 1e-8)
    path = save_grid(w.reshape(len(w), *arrays.x.shape[1:]), f"{args.run_dir}/features.png", (-1.0, 1.0),
                     scale=4)
    print(f"features: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
