"""RBM learning curves on binarized mnist7k: test and train log-likelihood every few epochs (quick AIS).

The probes behind `rbm_likelihood.py`'s settings (README, Boltzmann section): one RBM
(the benchmark's data, batches, seed and SGD settings) trained for `--epochs`, with the mean
log-likelihood of the 1,000 test images and of the first 1,000 training images printed every
`--eval-every` epochs as `(epoch, test, train, seconds)`. log Z is exact for at most 20 hidden
units, otherwise forward AIS with `--ais` temperatures and `--runs` runs (1,000 x 16: a quick
estimate, within ~0.1 nats of the 10,000-temperature figure on these models).

Usage (single TF thread):
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 nice -n 10 \\
        python tests/benchmarks/rbm_learning_curves.py --hidden 500 --k 3 --epochs 35 --eval-every 5 [--decay]
"""

import argparse
import time

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hidden", type=int, default=500)
    p.add_argument("--k", type=int, default=1)
    p.add_argument("--pcd", action="store_true")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.5)
    p.add_argument("--decay", action="store_true", help="linear learning-rate decay to 0 over the run")
    p.add_argument("--weight-decay", type=float, default=2e-4)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--eval-every", type=int, default=5)
    p.add_argument("--ais", type=int, default=1000)
    p.add_argument("--runs", type=int, default=16)
    args = p.parse_args(argv)

    import keras
    import tensorflow as tf

    import kgen
    from kgen import zoo
    from kgen.models.boltzmann.ais import ais_log_partition, base_rate_bias

    from rbm_likelihood import MNIST  # noqa: E402 - the benchmark's data file

    x = (np.asarray(kgen.data.load_arrays(str(MNIST), scale="sigmoid").x) > 0.5).astype("float32")
    train, test = x[:6000], x[6000:]
    keras.utils.set_random_seed(0)
    kw = dict(persistent=True) if args.pcd else dict(k=args.k)
    rbm = zoo.build("rbm", (28, 28, 1), seed=0, batch_size=100, num_hidden=args.hidden, momentum=args.momentum,
                    weight_decay=args.weight_decay, learning_rate=args.lr,
                    learning_rate_decay="linear" if args.decay else None,
                    decay_steps=args.epochs * (len(train) // 100), **kw)
    ds = tf.data.Dataset.from_tensor_slices(train).shuffle(len(train), seed=0).batch(100, drop_remainder=True)
    base = base_rate_bias(train)
    print(vars(args), flush=True)
    t0 = time.time()
    for done in range(0, args.epochs, args.eval_every):
        rbm.fit(ds, epochs=min(done + args.eval_every, args.epochs), initial_epoch=done, verbose=0)
        if args.hidden <= 20:
            log_z = rbm.exact_log_partition()
        else:
            log_z = ais_log_partition(rbm, args.ais, args.runs, base_visible_bias=base, batch_size=args.runs,
                                      seed=0)["log_z"]
        print((min(done + args.eval_every, args.epochs), round(rbm.log_likelihood(test, log_z), 2),
               round(rbm.log_likelihood(train[:1000], log_z), 2), round(time.time() - t0)), flush=True)


if __name__ == "__main__":
    main()
