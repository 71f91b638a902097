"""Linear-probe accuracy of frozen representations on the digits, at equal code size.

Logistic regression (scikit-learn, standardized features) on: raw pixels
(64-d, the reference), PCA, and the code of each autoencoder of kgen
(dense AE, convolutional AE, sparse AE, denoising AE, contractive AE,
stacked AE, VAE posterior mean), all with `--code-dim` dimensions, trained unsupervised on
the training split only (1,297 images) and probed on the 500 held-out ones.

Usage:
    python tests/benchmarks/linear_probe.py              # ~ a few minutes on 2 CPU cores
    python tests/benchmarks/linear_probe.py --quick      # CI-sized
"""

import argparse
import time

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--code-dim", type=int, default=16)
    p.add_argument("--epochs", type=int, default=None, help="AE training epochs (100; 5 quick)")
    args = p.parse_args(argv)

    import keras
    from sklearn.decomposition import PCA

    import kgen
    from kgen import zoo
    from kgen.probes import encode_arrays, linear_probe

    epochs = args.epochs or (5 if args.quick else 100)
    k = args.code_dim
    arrays = kgen.data.load_arrays("digits", image_size=8, scale="sigmoid", labels=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(arrays.x))
    x, y = arrays.x[order], arrays.y[order]
    xtr, ytr, xte, yte = x[:-500], y[:-500], x[-500:], y[-500:]
    shape = xtr.shape[1:]
    rows = [("raw pixels", xtr[0].size, linear_probe(xtr.reshape(len(xtr), -1), ytr,
                                                    xte.reshape(len(xte), -1), yte), 0.0)]
    pca = PCA(k).fit(xtr.reshape(len(xtr), -1))
    rows.append((f"PCA", k, linear_probe(pca.transform(xtr.reshape(len(xtr), -1)), ytr,
                                         pca.transform(xte.reshape(len(xte), -1)), yte), 0.0))
    models = [
        ("autoencoder", dict(code_dim=k, hidden_units=(128,))),
        ("conv_autoencoder", dict(code_dim=k, filters=(32, 64))),
        ("sparse_autoencoder", dict(code_dim=k, hidden_units=(128,), rho=0.05)),
        ("denoising_autoencoder", dict(code_dim=k, hidden_units=(128,))),
        ("contractive_autoencoder", dict(code_dim=k, hidden_units=(128,), weight=0.1)),
        ("stacked_autoencoder", dict(layer_sizes=(128, k))),
        ("vae", dict(latent_dim=k, hidden_units=(128,))),
    ]
    for name, kw in models:
        keras.utils.set_random_seed(0)
        model = zoo.build(name, shape, seed=0, **kw)
        t0 = time.time()
        if name == "stacked_autoencoder":
            import tensorflow as tf

            model.pretrain(tf.data.Dataset.from_tensor_slices(xtr).batch(64),
                           epochs_per_layer=max(1, epochs // 4))
        model.fit(xtr, epochs=epochs, batch_size=64, verbose=0)
        acc = linear_probe(encode_arrays(model.encode, xtr), ytr, encode_arrays(model.encode, xte), yte)
        rows.append((name, k, acc, time.time() - t0))
        print(f"{name}: {acc:.3f}", flush=True)

    print(f"\nLinear probe on digits (8x8, [0, 1]), train {len(xtr)} / test {len(xte)}, "
          f"AEs trained {epochs} epochs, batch 64")
    print("| representation | dim | probe accuracy | vs raw pixels | train time |")
    print("|---|---|---|---|---|")
    for name, dim, acc, secs in rows:
        print(f"| {name} | {dim} | {acc:.3f} | {acc / rows[0][2]:.3f} | {secs:.0f} s |")
    return rows


if __name__ == "__main__":
    main()
