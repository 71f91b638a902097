"""Deep belief network (Hinton, Osindero & Teh 2006) on binarized MNIST: greedy pretraining, samples, bound.

https://doi.org/10.1162/neco.2006.18.7.1527; the likelihood bound as in Salakhutdinov &
Murray 2008 (https://doi.org/10.1145/1390156.1390266); unrolling as in Hinton &
Salakhutdinov 2006 (https://doi.org/10.1126/science.1127647).

Setup, as kgen builds it:
- two RBM layers, 784-500-500 (`--hidden`; the paper's classifier adds a 2,000-unit top
  layer with labels, left out: this DBN is unsupervised), CD-1, SGD 0.05, momentum 0.5,
  weight decay 2e-4, batches of 100;
- greedy layer-wise pretraining: `--epochs` per layer, layer 2 on layer 1's features;
- outputs: first-layer filters, samples (Gibbs in the top RBM, then the down-pass),
  reconstructions through the unrolled autoencoder after `--finetune-epochs` of
  cross-entropy fine-tuning, and the variational lower bound on the test log-likelihood
  with the top RBM's log Z from AIS. Data: mnist7k's first 6,000 train, last 1,000 test.

Usage:
    python recipes/dbn_hinton2006_mnist.py --epochs 10
    python recipes/dbn_hinton2006_mnist.py --smoke
"""

import sys

import _rbm_recipe as common


def _extra(p):
    p.add_argument("--hidden", default="500,500", help="hidden layer sizes, comma-separated")
    p.add_argument("--finetune-epochs", type=int, default=5)
    p.add_argument("--ais-temperatures", type=int, default=10_000)
    p.add_argument("--ais-runs", type=int, default=100)


def main(argv=None):
    args = common.parse(__doc__, argv, data="mnist", image_size=0, epochs=10, extra=_extra)
    import keras
    import numpy as np

    import kgen
    from kgen.images import save_grid
    from kgen.models.boltzmann import ais_log_partition

    keras.utils.set_random_seed(args.seed)
    ds, train, test = common.load(args)
    sizes = None if args.smoke else tuple(int(s) for s in args.hidden.split(","))
    dbn = kgen.zoo.build("dbn", train.shape[1:], tiny=args.smoke, seed=args.seed, hidden_units=sizes)
    run_dir = args.run_dir or "runs/dbn_hinton2006"
    steps = 2 if args.smoke else None
    for i, h in enumerate(dbn.pretrain(ds, epochs=1 if args.smoke else args.epochs, steps_per_epoch=steps,
                                       verbose=0 if args.smoke else 2)):
        print(f"layer {i}: final reconstruction error {h.history['reconstruction_error'][-1]:.2f}")
    kgen.runs.save_model(dbn, run_dir)
    print(f"filters: {common.filters(dbn.rbms[0], f'{run_dir}/filters.png')}")
    print(f"samples: {save_grid(np.asarray(dbn.generate(64)), f'{run_dir}/samples.png', (0.0, 1.0), scale=3)}")
    chain_steps = (1, 3, 10) if args.smoke else (1, 10, 100, 1000)
    print(f"chains: {common.chains(dbn, f'{run_dir}/chains.png', steps=chain_steps)}")
    temps, runs = (20, 8) if args.smoke else (args.ais_temperatures, args.ais_runs)
    est = ais_log_partition(dbn.rbms[-1], temps, runs, seed=args.seed)
    bound = dbn.log_likelihood_lower_bound(test, est["log_z"], num_samples=1 if args.smoke else 10).mean()
    print(f"top RBM AIS log Z {est['log_z']:.2f} +- {est['std_err']:.2f}; test lower bound {bound:.2f} nats")
    ae = dbn.to_autoencoder()
    ae.compile(optimizer=keras.optimizers.Adam(1e-3))
    if args.finetune_epochs and not args.smoke:
        ae.fit(train, train, batch_size=args.batch_size, epochs=args.finetune_epochs, verbose=2)
    common.outputs(ae, test, f"{run_dir}/autoencoder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
