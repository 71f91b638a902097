"""RBM trained by contrastive divergence CD-k (Hinton 2002) on binarized MNIST.

https://doi.org/10.1162/089976602760128018 (and Hinton 2010, "A practical guide to
training RBMs", https://www.cs.toronto.edu/~hinton/absps/guideTR.pdf, for the settings).

Setup, as kgen builds it:
- 784 binary visible units, 500 binary hidden units (`--hidden`), W ~ N(0, 0.01), zero biases;
- CD-k (`--k`, 1 here; Salakhutdinov & Murray 2008 compare k = 1, 3, 25): the negative
  phase is k Gibbs steps from the data; hidden probabilities in both phases' statistics;
- SGD, learning rate 0.05, momentum 0.5, weight decay 2e-4 on W, batches of 100 (`--lr-decay
  linear` lowers the rate linearly to 0 over the run, the PCD recipe's default);
- outputs: filters (weights as images), Gibbs chains from random starts, reconstructions,
  and the AIS test log-likelihood (base-rate RBM, `--ais-temperatures`, 100 runs).
  Data: mnist7k's first 6,000 images train, last 1,000 test, binarized at 0.5.

Usage:
    python recipes/rbm_hinton2002_mnist.py --k 1 --epochs 20
    python recipes/rbm_hinton2002_mnist.py --smoke
"""

import sys

import _rbm_recipe as common


def _extra(p, lr_decay="none"):
    p.add_argument("--k", type=int, default=1, help="Gibbs steps of CD-k")
    p.add_argument("--lr-decay", default=lr_decay, choices=("none", "linear"),
                   help="learning rate: constant, or linear decay to 0 over the run (Tieleman 2008)")
    p.add_argument("--hidden", type=int, default=500)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--ais-temperatures", type=int, default=10_000)
    p.add_argument("--ais-runs", type=int, default=100)


def main(argv=None, persistent=False, name="rbm_hinton2002", lr_decay="none", doc=__doc__):
    args = common.parse(doc, argv, data="mnist", image_size=0, epochs=20,
                        extra=lambda p: _extra(p, lr_decay))
    import keras

    import kgen

    keras.utils.set_random_seed(args.seed)
    ds, train, test = common.load(args)
    batch = 16 if args.smoke else args.batch_size
    model = kgen.zoo.build("rbm", train.shape[1:], tiny=args.smoke, seed=args.seed, k=args.k,
                           num_hidden=None if args.smoke else args.hidden, learning_rate=args.lr,
                           persistent=persistent, batch_size=batch,
                           learning_rate_decay=None if args.lr_decay == "none" else args.lr_decay,
                           decay_steps=2 if args.smoke else args.epochs * (len(train) // batch))  # smoke: 2 updates
    run_dir = args.run_dir or f"runs/{name}"
    hist = common.train(model, ds, args, run_dir)
    print(f"learning rate {args.lr} ({args.lr_decay} decay), after training "
          f"{float(model.optimizer.learning_rate):.4g}")
    print(f"final pseudo-likelihood (sklearn scaling: summed over units) {hist.history['pseudo_likelihood'][-1]:.2f}")
    common.outputs(model, test, run_dir)
    print(f"filters: {common.filters(model, f'{run_dir}/filters.png')}")
    steps = (1, 3, 10) if args.smoke else (1, 10, 100, 1000)
    print(f"chains: {common.chains(model, f'{run_dir}/chains.png', steps=steps)}")
    temps, runs = (20, 8) if args.smoke else (args.ais_temperatures, args.ais_runs)
    ll, est = common.ais_test_log_likelihood(model, train, test, temps, runs, seed=args.seed)
    print(f"AIS log Z {est['log_z']:.2f} +- {est['std_err']:.2f} ({temps} temperatures, {runs} runs); "
          f"test log-likelihood {ll:.2f} nats")
    return 0


if __name__ == "__main__":
    sys.exit(main())
