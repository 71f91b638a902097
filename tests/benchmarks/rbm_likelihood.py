"""RBM and DBN test log-likelihoods by AIS on binarized mnist7k, beside Salakhutdinov & Murray (2008) Table 1.

Data: mnist7k's first 6,000 images train, the last 1,000 test, binarized at 0.5
(the paper: 60,000 training images, stochastic binarization). Models: 784-500 RBMs
trained with CD-1, CD-3, CD-25 and PCD-1 for `--epochs` epochs each (SGD 0.05,
momentum 0.5, weight decay 2e-4, batch 100, the same seed; PCD's rate decays linearly
to 0 over the run, Tieleman's schedule, `--pcd-decay none` keeps it constant; CD-k's
too with `--cd-decay linear`, which stops CD-1's and CD-3's divergence at 35 epochs);
`--models` picks a subset (e.g. CD-25 in a second process); a 784-20 RBM (CD-1) whose
log Z is both enumerated (2^20 hidden states) and estimated by AIS; a 2-layer DBN
(784-500-500: the CD-1 RBM as layer 1, layer 2 trained greedily on its features) with
its variational lower bound, the top RBM's log Z by AIS. AIS: base-rate RBM,
`--temperatures` intermediate distributions (>= 10,000; the paper's spacing),
`--runs` runs, log Z +- its standard error, and reverse AIS from the forward runs' final
states beside it. `--probe` adds RBM and DBN features to the linear-probe table
(`tests/benchmarks/linear_probe.py`'s protocol: 8x8 digits, 16-d codes).

Usage (single TF thread; the CD-25 model in a second process, `--no-extras`):
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 nice -n 10 \
        python tests/benchmarks/rbm_likelihood.py --epochs 30 --runs 16 --models CD1,CD3,PCD1 --probe
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 nice -n 10 \
        python tests/benchmarks/rbm_likelihood.py --epochs 30 --runs 16 --models CD25 --no-extras
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

PAPER = {"CD1": -125.53, "CD3": -105.50, "CD25": -86.34}  # Table 1, 500 hidden units, 60k images
MNIST = next((c for c in (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist7k.npz",
                           Path("/work/shared/data/mnist7k.npz")) if c.exists()), "mnist7k.npz")


def _data(path):
    import kgen

    x = kgen.data.load_arrays(str(path), scale="sigmoid").x
    x = (np.asarray(x) > 0.5).astype("float32")
    return x[:6000], x[6000:]


def _fit(model, x, epochs, seed):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=seed).batch(100, drop_remainder=True)
    t0 = time.time()
    model.fit(ds, epochs=epochs, verbose=0)
    return time.time() - t0


def _ais_row(name, rbm, train, test, args, exact=None):
    from kgen.models.boltzmann.ais import (ais_log_partition, base_rate_bias, reverse_ais_log_partition)

    base = base_rate_bias(train)
    t0 = time.time()
    fwd = ais_log_partition(rbm, args.temperatures, args.runs, base_visible_bias=base, batch_size=args.runs,
                            seed=0, return_samples=True)
    rev = reverse_ais_log_partition(rbm, fwd["samples"], args.temperatures, base_visible_bias=base,
                                    batch_size=args.runs)
    secs = time.time() - t0
    f = float(np.mean(-rbm.free_energy(test).numpy()))
    return {"name": name, "ll": f - fwd["log_z"], "se": fwd["std_err"], "ll_rev": f - rev["log_z"],
            "ll_exact": None if exact is None else f - exact, "ais_s": secs}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=str(MNIST))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--temperatures", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=16)
    p.add_argument("--models", default="CD1,CD3,CD25,PCD1", help="CD<k> and PCD1 entries, comma-separated")
    p.add_argument("--pcd-decay", default="linear", choices=("linear", "none"),
                   help="PCD's learning rate: linear decay to 0 over the run, or constant")
    p.add_argument("--cd-decay", default="none", choices=("linear", "none"),
                   help="CD-k's learning rate: constant, or linear decay to 0 over the run")
    p.add_argument("--extras", action=argparse.BooleanOptionalAction, default=True,
                   help="the 20-hidden exact-vs-AIS row and the DBN bound (the DBN needs CD1)")
    p.add_argument("--probe", action="store_true")
    p.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = p.parse_args(argv)

    import keras

    from kgen import zoo
    from kgen.models.boltzmann import DBN, RBM, ais_log_partition
    from kgen.models.boltzmann.ais import base_rate_bias

    start = time.time()
    train, test = _data(args.data)
    rows, trained = [], {}
    configs = []
    for name in [m.strip().upper() for m in args.models.split(",") if m.strip()]:
        if name == "PCD1":
            decay = None if args.pcd_decay == "none" else args.pcd_decay
            configs.append((name, dict(persistent=True, learning_rate_decay=decay,
                                       decay_steps=args.epochs * (len(train) // 100))))
        elif name.startswith("CD") and name[2:].isdigit():
            decay = None if args.cd_decay == "none" else args.cd_decay
            configs.append((name, dict(k=int(name[2:]), learning_rate_decay=decay,
                                       decay_steps=args.epochs * (len(train) // 100))))
        else:
            raise SystemExit(f"--models: expected CD<k> or PCD1 entries. Received: {name!r}")
    if args.extras and "CD1" not in [c[0] for c in configs]:
        raise SystemExit("--extras needs CD1 in --models (the DBN's first layer); or pass --no-extras")
    for name, kw in configs:
        keras.utils.set_random_seed(0)
        rbm = zoo.build("rbm", (28, 28, 1), seed=0, batch_size=100, **kw)
        secs = _fit(rbm, train, args.epochs, 0)
        row = _ais_row(name, rbm, train, test, args)
        row["train_s"] = secs
        rows.append(row)
        trained[name] = rbm
        print(row, flush=True)
    dbn_row = None
    if args.extras:
        keras.utils.set_random_seed(0)
        small = zoo.build("rbm", (28, 28, 1), seed=0, num_hidden=20)
        secs = _fit(small, train, args.epochs, 0)
        row = _ais_row("CD1 (20 hidden)", small, train, test, args, exact=small.exact_log_partition())
        row["train_s"] = secs
        rows.append(row)
        print(row, flush=True)

        # DBN: the CD-1 RBM as layer 1, layer 2 pretrained greedily on its features.
        first = trained["CD1"]
        top = RBM((500,), 500, seed=1, weight_decay=2e-4)
        dbn = DBN([first, top], seed=0)
        dbn.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.5))
        dbn.train_layer = 1
        secs = _fit(dbn, train, args.epochs, 0)
        h1 = first.hidden_probabilities(train).numpy()
        t0 = time.time()
        est = ais_log_partition(top, args.temperatures, args.runs, base_visible_bias=base_rate_bias(h1),
                                batch_size=args.runs, seed=0)
        bound = float(dbn.log_likelihood_lower_bound(test, est["log_z"], num_samples=10).mean())
        dbn_row = {"bound": bound, "se": est["std_err"], "train_s": secs, "ais_s": time.time() - t0}
        print(dbn_row, flush=True)

    probe_rows = []
    if args.probe:
        import kgen
        from kgen.probes import encode_arrays, linear_probe

        arrays = kgen.data.load_arrays("digits", image_size=8, scale="sigmoid", labels=True)
        order = np.random.default_rng(0).permutation(len(arrays.x))
        x, y = arrays.x[order], arrays.y[order]
        xtr, ytr, xte, yte = x[:-500], y[:-500], x[-500:], y[-500:]
        keras.utils.set_random_seed(0)
        rbm16 = zoo.build("rbm", (8, 8, 1), seed=0, num_hidden=16, learning_rate=0.05)
        rbm16.fit(xtr, batch_size=64, epochs=100, verbose=0)
        probe_rows.append(("rbm (p(h|v))", linear_probe(encode_arrays(rbm16.encode, xtr), ytr,
                                                        encode_arrays(rbm16.encode, xte), yte)))
        keras.utils.set_random_seed(0)
        dbn16 = zoo.build("dbn", (8, 8, 1), seed=0, hidden_units=(128, 16))
        dbn16.pretrain(xtr, epochs=50, batch_size=64, verbose=0)
        probe_rows.append(("dbn 128-16 (top p(h|v))", linear_probe(encode_arrays(dbn16.encode, xtr), ytr,
                                                                   encode_arrays(dbn16.encode, xte), yte)))
        print(probe_rows, flush=True)

    print(f"\nbinarized mnist7k (train 6,000 / test 1,000), {args.epochs} epochs, AIS {args.temperatures} "
          f"temperatures x {args.runs} runs; total {time.time() - start:.0f} s")
    print("| model | test log p(x), AIS (nats) | AIS std err of log Z | reverse AIS | exact | "
          "S&M 2008 Table 1 (60k) | train | AIS + reverse |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        exact = "" if r["ll_exact"] is None else f"{r['ll_exact']:.2f}"
        paper = PAPER.get(r["name"], "")
        print(f"| {r['name']} | {r['ll']:.2f} | {r['se']:.2f} | {r['ll_rev']:.2f} | {exact} | {paper} | "
              f"{r['train_s']:.0f} s | {r['ais_s']:.0f} s |")
    if dbn_row is not None:
        print(f"| DBN 784-500-500 (lower bound) | {dbn_row['bound']:.2f} | {dbn_row['se']:.2f} | | | | "
              f"{dbn_row['train_s']:.0f} s (layer 2) | {dbn_row['ais_s']:.0f} s |")
    for name, acc in probe_rows:
        print(f"| probe: {name} | 16 | {acc:.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "rows": rows, "dbn": dbn_row,
                                               "probe": probe_rows, "seconds": time.time() - start}, indent=1))
    return rows, dbn_row, probe_rows


if __name__ == "__main__":
    main()
