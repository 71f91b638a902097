"""The M2 semi-supervised VAE (Kingma et al., 2014) on the embedded digits with 10 labels per class.

https://arxiv.org/abs/1406.5298

Setup, as kgen builds it:
- digits at 16x16 in [0, 1] (Bernoulli likelihood); a fixed split of 1,297
  training and 500 test digits; 10 labels per class kept in the training split,
  the other labels masked to -1 (kgen's masked-label convention);
- q(y|x), q(z|x,y), p(x|y,z): MLPs with one hidden layer of 500 (softplus in
  the paper; relu here), latent 50; labelled ELBO, unlabelled bound
  sum_y q(y|x) ELBO(x, y) + H(q(y|x)), and alpha x the labelled cross-entropy;
- Adam 3e-4, batch 64; the labelled examples are repeated so every batch
  holds some (the paper balances its batches the same way);
- reports the test error of q(y|x) (paper, MNIST with 100 labels: 11.97 %).
- `--m1-epochs N`: M1 + M2, the paper's stacked model: first a VAE (M1, latent
  50, one hidden layer of 256) on all training digits for N epochs, then M2 on
  its frozen posterior means (Gaussian likelihood) (paper: 3.33 %).

Usage:
    python recipes/m2vae_kingma2014_digits.py
    python recipes/m2vae_kingma2014_digits.py --alpha 10 --smoke
    python recipes/m2vae_kingma2014_digits.py --m1-epochs 50      # M1 + M2
"""

import sys

import _representation_recipe as common


def main(argv=None):
    args = common.parse(__doc__, argv, epochs=50, extra=lambda p: (
        p.add_argument("--alpha", type=float, default=5.0),
        p.add_argument("--labels-per-class", type=int, default=10),
        p.add_argument("--m1-epochs", type=int, default=0, help="M1 + M2: train M1 (a VAE) this many epochs first")))
    import keras
    import numpy as np

    import kgen
    from kgen.data import representation as rep

    keras.utils.set_random_seed(args.seed)
    data = common.arrays(args, scale="sigmoid")
    xtr, ytr, xte, yte = common.split(data.x, data.y, seed=args.seed)
    masked = rep.mask_labels(ytr, args.labels_per_class, seed=args.seed)
    labelled = np.flatnonzero(masked >= 0)
    reps = max(1, len(xtr) // (4 * len(labelled)))  # about a fifth of each batch labelled
    x = np.concatenate([xtr] + [xtr[labelled]] * reps)
    y = np.concatenate([masked] + [masked[labelled]] * reps)
    extra = {}
    if args.m1_epochs > 0:
        m1 = kgen.zoo.build("vae", xtr.shape[1:], tiny=args.smoke, seed=args.seed,
                            **({} if args.smoke else {"latent_dim": 50, "hidden_units": (256,)}))
        m1.fit(xtr, epochs=1 if args.smoke else args.m1_epochs, batch_size=64, verbose=0)
        extra = {"m1": m1}
    model = kgen.zoo.build("m2_vae", xtr.shape[1:], num_classes=data.num_classes, tiny=args.smoke, seed=args.seed,
                           alpha=args.alpha, **extra)
    run_dir = args.run_dir or "runs/m2vae_kingma2014"
    common.train(model, common.dataset(x, y, batch_size=16 if args.smoke else args.batch_size), args, run_dir)
    pred = np.asarray(model.classify(xte)).argmax(-1)
    name = "M1 + M2" if args.m1_epochs > 0 else "M2"
    print(f"labels: {len(labelled)} of {len(xtr)}; {name} test error: {100 * np.mean(pred != yte):.2f} %")
    common.outputs(model, xte, run_dir, value_range=(0.0, 1.0), name="reconstructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
