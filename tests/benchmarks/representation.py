"""Representation learning without labels on the embedded digits: the "Reality Check" table, M2, DANN.

Three tables (markdown on stdout, JSON and figures in --out):

1. **Reality check** (Lectures 000/002): each representation pretrained on the
   1,297 training digits (16x16) WITHOUT labels for a fixed wall-clock budget
   (`--seconds`, checked after every epoch), then
   - linear probe: logistic regression on the frozen features (all 1,297 labels),
   - fine-tuned: encoder + a new linear layer trained on 10 labels per class
     (100 digits, Adam 1e-3, `--finetune-steps` full-batch steps),
   both tested on 500 held-out digits. Random init is the same conv encoder
   untrained; colorization pretrains on 16x16 patches of scikit-learn's sample
   photos (digits enter as R = G = B); supervised trains encoder + head on all
   labels for the same budget. Context prediction runs twice: at 16 px (no room
   for jitter) and on the digits upsampled to `--context-size` (32) px with
   gaps and jitter.
2. **Semi-supervised**, 10 labels per class: M2 (Kingma et al. 2014), M1 + a
   logistic regression on the VAE posterior means, M1 + M2 (M2 on the
   frozen VAE's posterior means), and the labelled-only logistic regression
   on pixels. Anchor (MNIST, 100 labels): M2 11.97 % error,
   M1 + M2 3.33 %.
3. **DANN**: digits -> digits-M (source: half of the digits, gray as RGB;
   target: the other half blended with photo patches, 500 target digits held
   out for testing, target labels never used); source-only (domain weight 0)
   vs DANN, the same network and steps, and the ceiling: the network trained
   on the target training digits with their labels. Anchor (MNIST -> MNIST-M): 52.25 % ->
   76.66 %. Plus rotated two moons (30 degrees) with the decision boundary
   figure, and a t-SNE of the rotation features.

Usage (single TF thread, as the README's numbers were made):
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 nice -n 10 \\
        python tests/benchmarks/representation.py --seconds 40 --out runs/bench_representation
    python tests/benchmarks/representation.py --quick      # seconds per row, to check the script
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np


def _timed_fit(fit_epoch, seconds, max_epochs=1000):
    """Call `fit_epoch()` until `seconds` of wall clock have passed (at least one epoch); returns (epochs, s)."""
    t0 = time.time()
    epochs = 0
    while epochs < max_epochs:
        fit_epoch()
        epochs += 1
        if time.time() - t0 >= seconds:
            break
    return epochs, time.time() - t0


def _finetune(feature_fn, variables, dim, x_l, y_l, x_te, y_te, steps, num_classes=10, seed=0):
    """Train `feature_fn` (its `variables`) and a new linear layer on the labelled set; test accuracy."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    head = keras.layers.Dense(num_classes)
    head.build((None, dim))
    opt = keras.optimizers.Adam(1e-3)
    train_vars = list(variables) + list(head.trainable_variables)
    x_l, y_l = tf.constant(x_l), tf.constant(y_l)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            logits = head(feature_fn(x_l, True))
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(y_l, logits, from_logits=True))
        opt.apply_gradients(zip(tape.gradient(loss, train_vars), train_vars))
        return loss

    for _ in range(steps):
        step()
    pred = np.concatenate([np.asarray(head(feature_fn(tf.constant(x_te[i:i + 250]), False))).argmax(-1)
                           for i in range(0, len(x_te), 250)])
    return float(np.mean(pred == y_te))


def _features(fn, x, batch=256):
    return np.concatenate([np.asarray(fn(x[i:i + batch])) for i in range(0, len(x), batch)]).reshape(len(x), -1)


def reality_check(args, data, out):
    import keras
    import tensorflow as tf

    import kgen
    from kgen import zoo
    from kgen.data import representation as rep
    from kgen.probes import linear_probe

    xtr_t, ytr, xte_t, yte, xtr_s, xte_s, labelled, split = data
    rows = []
    filters = (16, 32) if args.quick else (32, 64, 128)

    def ds(x, batch=64):
        return tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=0).batch(batch, drop_remainder=True)

    def row(name, feature_fn, variables, dim, xtr, xte, secs, epochs):
        probe = linear_probe(_features(lambda b: feature_fn(b, False), xtr), ytr,
                             _features(lambda b: feature_fn(b, False), xte), yte)
        fine = _finetune(feature_fn, variables, dim, xtr[labelled], ytr[labelled], xte, yte, args.finetune_steps)
        rows.append({"representation": name, "probe": probe, "finetuned_10_per_class": fine,
                     "pretrain_seconds": round(secs, 1), "epochs": epochs, "dim": dim})
        print(f"{name}: probe {probe:.3f}, fine-tuned {fine:.3f}, {secs:.0f} s ({epochs} epochs)", flush=True)

    def encoder_row(name, model, xtr, xte, secs, epochs, gray_to_rgb=False):
        enc = model.encoder

        def fn(b, training):
            b = tf.convert_to_tensor(b, tf.float32)
            if gray_to_rgb:
                b = tf.repeat(b, 3, axis=-1)
            return tf.cast(enc(b, training=training), tf.float32)

        row(name, fn, enc.trainable_variables, int(enc.output_shape[-1]), xtr, xte, secs, epochs)

    def wanted(name):
        return not args.rows or any(w.strip().lower() in name.lower() for w in args.rows.split(","))

    shape = xtr_t.shape[1:]
    if wanted("random init"):
        keras.utils.set_random_seed(0)
        model = zoo.build("rotnet", shape, seed=0, filters=filters)
        encoder_row("random init", model, xtr_t, xte_t, 0.0, 0)

    for name, kw in (("autoencoder", {"code_dim": 32, "filters": (32, 64)}),
                     ("VAE", {"latent_dim": 32, "filters": (32, 64)})):
        if not wanted(name):
            continue
        keras.utils.set_random_seed(0)
        zname = "conv_autoencoder" if name == "autoencoder" else "conv_vae"
        m = zoo.build(zname, shape, seed=0, **kw)
        epochs, secs = _timed_fit(lambda: m.fit(ds(xtr_s), epochs=1, verbose=0), args.seconds)
        d = 32
        enc = m.encoder
        fn = (lambda b, t, enc=enc: tf.cast(enc(b, training=t), tf.float32)) if name == "autoencoder" else \
             (lambda b, t, enc=enc: tf.cast(enc(b, training=t), tf.float32)[:, :d])
        row(name, fn, enc.trainable_variables, d, xtr_s, xte_s, secs, epochs)

    rot_model = None
    for name, zname in (("rotation", "rotnet"), ("context prediction", "context_prediction"),
                        ("jigsaw", "jigsaw"), ("context encoder", "context_encoder")):
        if not wanted(name):
            continue
        keras.utils.set_random_seed(0)
        kw = {} if zname == "context_encoder" else {"filters": filters}
        m = zoo.build(zname, shape, seed=0, **kw)
        epochs, secs = _timed_fit(lambda: m.fit(ds(xtr_t), epochs=1, verbose=0), args.seconds)
        if zname == "context_prediction":
            name = f"context prediction (16 px: patch {m.patch_size}, gap {m.gap}, jitter {m.jitter})"
        encoder_row(name, m, xtr_t, xte_t, secs, epochs)
        if zname == "rotnet":
            rot_model = m

    # Context prediction with gaps AND jitter: the same digits upsampled to --context-size px (at 16 px the
    # 3x3 patch grid leaves no room for jitter). Probe and fine-tuning read the upsampled digits too.
    if args.context_size and wanted("context prediction"):
        big = kgen.data.load_arrays("digits", image_size=args.context_size, scale="tanh", labels=True).x
        xtr_b, xte_b = big[split[0]], big[split[1]]
        keras.utils.set_random_seed(0)
        m = zoo.build("context_prediction", xtr_b.shape[1:], seed=0, filters=filters)
        epochs, secs = _timed_fit(lambda: m.fit(ds(xtr_b), epochs=1, verbose=0), args.seconds)
        encoder_row(f"context prediction ({args.context_size} px upsampled: patch {m.patch_size}, gap {m.gap}, "
                    f"jitter {m.jitter})", m, xtr_b, xte_b, secs, epochs)

    if not wanted("colorization"):
        return _finish_reality(args, rows, out, rot_model, xte_t, yte)
    keras.utils.set_random_seed(0)
    photos = kgen.data.load_arrays("photos", image_size=16, scale="tanh", num_patches=4000).x
    m = zoo.build("colorization", (16, 16, 3), seed=0, filters=filters)
    m.fit_class_weights(photos)
    epochs, secs = _timed_fit(lambda: m.fit(ds(photos), epochs=1, verbose=0), args.seconds)
    encoder_row("colorization (photo patches)", m, xtr_t, xte_t, secs, epochs, gray_to_rgb=True)

    # Supervised on all labels: the same conv encoder and a linear head, cross-entropy, same budget.
    if not wanted("supervised"):
        return _finish_reality(args, rows, out, rot_model, xte_t, yte)
    keras.utils.set_random_seed(0)
    sup = zoo.build("rotnet", shape, seed=0, filters=filters)
    net = keras.Sequential([keras.Input(shape), sup.encoder, keras.layers.Dense(10)])
    net.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    epochs, secs = _timed_fit(lambda: net.fit(xtr_t, ytr, batch_size=64, epochs=1, verbose=0), args.seconds)
    test_acc = float(np.mean(np.asarray(net.predict(xte_t, verbose=0)).argmax(-1) == yte))
    enc = sup.encoder
    probe = linear_probe(_features(enc, xtr_t), ytr, _features(enc, xte_t), yte)
    rows.append({"representation": "supervised (all labels)", "probe": probe, "finetuned_10_per_class": None,
                 "supervised_test_accuracy": test_acc, "pretrain_seconds": round(secs, 1), "epochs": epochs,
                 "dim": int(enc.output_shape[-1])})
    print(f"supervised: probe {probe:.3f}, test accuracy {test_acc:.3f}, {secs:.0f} s", flush=True)

    return _finish_reality(args, rows, out, rot_model, xte_t, yte)


def _finish_reality(args, rows, out, rot_model, xte_t, yte):
    # t-SNE of the rotation features of the test digits.
    if rot_model is not None:
        from sklearn.manifold import TSNE

        emb = TSNE(2, init="pca", random_state=0, perplexity=30).fit_transform(rot_model.extract_features(xte_t))
        _scatter(emb, yte, out / "tsne_rotation_features.png", "t-SNE of RotNet features (test digits)")
    return rows


def _scatter(points, labels, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    sc = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=6)
    ax.legend(*sc.legend_elements(), fontsize=6, loc="best")
    ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def semi_supervised(args, data):
    import keras
    import tensorflow as tf

    from kgen import zoo
    from kgen.data import representation as rep
    from kgen.probes import linear_probe

    _, ytr, _, yte, xtr_s, xte_s, labelled, _ = data
    masked = np.full(len(ytr), rep.UNLABELLED, np.int32)
    masked[labelled] = ytr[labelled]
    rows = []
    # Labelled only: logistic regression on the 100 labelled digits' pixels.
    acc = linear_probe(xtr_s[labelled].reshape(100, -1), ytr[labelled], xte_s.reshape(len(xte_s), -1), yte)
    rows.append({"method": "labelled only (logistic regression on pixels)", "error": 1 - acc, "seconds": 0.0})
    # M1 + classifier: a VAE on all digits, logistic regression on the posterior means of the 100.
    keras.utils.set_random_seed(0)
    vae = zoo.build("vae", xtr_s.shape[1:], seed=0, latent_dim=32, hidden_units=(256,))
    ds = tf.data.Dataset.from_tensor_slices(xtr_s).shuffle(len(xtr_s), seed=0).batch(64, drop_remainder=True)
    epochs, m1_secs = _timed_fit(lambda: vae.fit(ds, epochs=1, verbose=0), args.seconds)
    f_tr, f_te = _features(vae.encode, xtr_s), _features(vae.encode, xte_s)
    acc = linear_probe(f_tr[labelled], ytr[labelled], f_te, yte)
    rows.append({"method": "M1 + logistic regression", "error": 1 - acc, "seconds": round(m1_secs, 1)})
    # M2 and M1 + M2 (M2 on the frozen M1's posterior means, the VAE above): labelled examples repeated
    # so about a fifth of each batch carries a label.
    reps = max(1, len(xtr_s) // (4 * len(labelled)))
    x = np.concatenate([xtr_s] + [xtr_s[labelled]] * reps)
    y = np.concatenate([masked] + [masked[labelled]] * reps)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0).batch(64, drop_remainder=True)
    for stacked in (False, True):
        for alpha in (float(a) for a in str(args.alpha).split(",")):
            keras.utils.set_random_seed(0)
            extra = {"m1": vae, "latent_dim": args.m1m2_latent} if stacked else {}
            m2 = zoo.build("m2_vae", xtr_s.shape[1:], num_classes=10, seed=0, alpha=alpha,
                           learning_rate=args.m2_lr, **extra)
            epochs, secs = _timed_fit(lambda: m2.fit(ds, epochs=1, verbose=0), args.m2_seconds or args.seconds)
            err = float(np.mean(np.asarray(m2.classify(xte_s)).argmax(-1) != yte))
            name = f"{'M1 + M2' if stacked else 'M2'} (alpha {alpha:g})"
            rows.append({"method": name, "error": err, "seconds": round(secs + (m1_secs if stacked else 0.0), 1),
                         "epochs": epochs})
            print(f"{name}: error {100 * err:.2f} % ({secs:.0f} s, {epochs} epochs)", flush=True)
    for r in rows:
        print(f"{r['method']}: error {100 * r['error']:.2f} %", flush=True)
    return rows


def adaptation(args, out):
    import keras
    import tensorflow as tf

    import kgen
    from kgen import zoo
    from kgen.data import representation as rep

    src = kgen.data.load_arrays("digits", image_size=16, scale="tanh", labels=True)
    tgt = kgen.data.load_arrays("digits_m", image_size=16, scale="tanh", labels=True, seed=0)
    order = np.random.default_rng(1).permutation(len(src.x))
    half = len(order) // 2
    xs, ys = np.repeat(src.x[order[:half]], 3, axis=-1), src.y[order[:half]]
    t_idx = order[half:]
    xt_train, xt_test, yt_test = tgt.x[t_idx[:-500]], tgt.x[t_idx[-500:]], tgt.y[t_idx[-500:]]
    # Polarity of each target test digit: over a photo brighter than the strokes' inversion, the strokes
    # come out darker than the background, the opposite of every source digit (split below).
    inverted = rep.stroke_contrast((src.x[t_idx[-500:]] + 1) / 2, (xt_test + 1) / 2) < 0
    if args.dann_pixel_mean:  # Ganin et al. subtract the mean image (of both domains' training images)
        mu = np.concatenate([xs, xt_train]).mean(0, keepdims=True)
        xs, xt_train, xt_test = xs - mu, xt_train - mu, xt_test - mu
    x, y = rep.adaptation_arrays(xs, ys, xt_train, seed=0, balance=args.dann_balance)
    # The ceiling: the same network trained on the target training digits WITH their labels (never used
    # by the other rows), no domain loss.
    x_or, y_or = rep.adaptation_arrays(xt_train, tgt.y[t_idx[:-500]], xt_train[:0], seed=0)
    results = {}
    steps = args.dann_epochs * (len(x) // 64)
    for name, weight, xa, ya in (("source only", 0.0, x, y), ("DANN", args.dann_weight, x, y),
                                 ("target labels (oracle)", 0.0, x_or, y_or)):
        keras.utils.set_random_seed(0)
        m = zoo.build("dann", x.shape[1:], num_classes=10, seed=0, total_steps=steps, domain_weight=weight,
                      extractor=args.dann_extractor)
        ds = tf.data.Dataset.from_tensor_slices((xa, ya)).shuffle(len(xa), seed=0).repeat()
        ds = ds.batch(64, drop_remainder=True)
        t0 = time.time()
        hist = m.fit(ds, epochs=args.dann_epochs, steps_per_epoch=steps // args.dann_epochs, verbose=0).history
        hit = np.asarray(m.classify(xt_test)).argmax(-1) == yt_test
        acc_t = float(np.mean(hit))
        acc_s = float(np.mean(np.asarray(m.classify(xs)).argmax(-1) == ys))
        results[name] = {"target_accuracy": acc_t, "source_train_accuracy": acc_s,
                         "target_accuracy_strokes_brighter": float(np.mean(hit[~inverted])),
                         "target_accuracy_strokes_darker": float(np.mean(hit[inverted])),
                         "target_strokes_darker": int(inverted.sum()),
                         "final_domain_accuracy": float(hist["domain_accuracy"][-1]) if weight else None,
                         "seconds": round(time.time() - t0, 1), "steps": steps}
        print(f"digits -> digits-M, {name}: target {acc_t:.3f} (strokes brighter than the photo "
              f"{np.mean(hit[~inverted]):.3f}, darker {np.mean(hit[inverted]):.3f} of {int(inverted.sum())}; "
              f"source {acc_s:.3f}), domain accuracy {hist['domain_accuracy'][-1]:.3f}", flush=True)
    # Rotated two moons, and the figure.
    xs2, ys2, xt2, yt2 = rep.rotated_moons(1000, angle=30.0, seed=0)
    x2, y2 = rep.adaptation_arrays(xs2, ys2, xt2, seed=0)
    moons = {}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, (name, weight) in zip(axes, (("source only", 0.0), ("DANN", 1.0))):
        keras.utils.set_random_seed(0)
        m = zoo.build("dann", (2,), num_classes=2, seed=0, total_steps=args.moons_epochs * (len(x2) // 32),
                      domain_weight=weight)
        ds = tf.data.Dataset.from_tensor_slices((x2, y2)).shuffle(len(x2), seed=0).batch(32, drop_remainder=True)
        m.fit(ds, epochs=args.moons_epochs, verbose=0)
        moons[name] = float(np.mean(np.asarray(m.classify(xt2)).argmax(-1) == yt2))
        gx, gy = np.meshgrid(np.linspace(-2, 3, 200), np.linspace(-2, 2.5, 200))
        prob = np.asarray(m.classify(np.stack([gx.ravel(), gy.ravel()], 1).astype("float32")))[:, 1]
        ax.contourf(gx, gy, prob.reshape(gx.shape), levels=[0, 0.5, 1], colors=["#f4cccc", "#cfe2f3"])
        ax.contour(gx, gy, prob.reshape(gx.shape), levels=[0.5], colors="k")
        ax.scatter(*xs2.T, c=ys2, cmap="coolwarm", s=4)
        ax.scatter(*xt2.T, c="gray", s=4, marker="x", alpha=0.4)
        ax.set_title(f"{name}: target accuracy {moons[name]:.3f}", fontsize=9)
        print(f"rotated moons, {name}: target {moons[name]:.3f}", flush=True)
    fig.savefig(out / "dann_two_moons.png", dpi=100)
    plt.close(fig)
    return {"digits_to_digits_m": results, "rotated_moons_target_accuracy": moons}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a few seconds per row (checks the script)")
    p.add_argument("--seconds", type=float, default=None, help="pretraining budget per row (40; quick 3)")
    p.add_argument("--finetune-steps", type=int, default=None, help="fine-tuning steps (300; quick 20)")
    p.add_argument("--dann-epochs", type=int, default=None, help="DANN epochs (20; quick 1)")
    p.add_argument("--dann-balance", action="store_true",
                   help="DANN: repeat the target digits so batches are half source, half target")
    p.add_argument("--dann-extractor", default="strided", choices=("strided", "ganin"),
                   help="DANN's image feature extractor: kgen's strided convs + 128-d layer, or Ganin et al.'s "
                        "MNIST network (5x5 convs and max-pools, label classifier 100-100)")
    p.add_argument("--dann-pixel-mean", action="store_true",
                   help="DANN: subtract the mean training image of both domains (Ganin et al.'s preprocessing)")
    p.add_argument("--dann-weight", type=float, default=1.0, help="DANN's domain-loss weight")
    p.add_argument("--moons-epochs", type=int, default=None, help="two-moons DANN epochs (60; quick 1)")
    p.add_argument("--alpha", default="5", help="M2's classification weight (comma-separated: one row each)")
    p.add_argument("--m2-seconds", type=float, default=None, help="M2 / M1 + M2 budget (default --seconds)")
    p.add_argument("--m2-lr", type=float, default=3e-4, help="M2's Adam learning rate")
    p.add_argument("--m1m2-latent", type=int, default=50, help="M1 + M2: M2's latent size")
    p.add_argument("--context-size", type=int, default=32,
                   help="also run context prediction on the digits upsampled to this size (gaps and jitter; 0: off)")
    p.add_argument("--rows", default="", help="reality check: only the rows whose names contain one of these "
                   "comma-separated words (default: all)")
    p.add_argument("--out", default="runs/bench_representation")
    p.add_argument("--only", default="reality,semi,dann", help="comma-separated sections")
    args = p.parse_args(argv)
    args.seconds = args.seconds if args.seconds is not None else (3.0 if args.quick else 40.0)
    args.finetune_steps = args.finetune_steps or (20 if args.quick else 300)
    args.dann_epochs = args.dann_epochs or (1 if args.quick else 20)
    args.moons_epochs = args.moons_epochs or (1 if args.quick else 60)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import kgen
    from kgen.data import representation as rep

    tanh = kgen.data.load_arrays("digits", image_size=16, scale="tanh", labels=True)
    sig = kgen.data.load_arrays("digits", image_size=16, scale="sigmoid", labels=True)
    order = np.random.default_rng(0).permutation(len(tanh.x))
    tr, te = order[:-500], order[-500:]
    ytr, yte = tanh.y[tr], tanh.y[te]
    labelled = np.flatnonzero(rep.mask_labels(ytr, 10, seed=0) >= 0)
    data = (tanh.x[tr], ytr, tanh.x[te], yte, sig.x[tr], sig.x[te], labelled, (tr, te))
    results = {"budget": {"pretrain_seconds_per_row": args.seconds, "finetune_steps": args.finetune_steps,
                          "dann_epochs": args.dann_epochs, "moons_epochs": args.moons_epochs}}
    sections = set(args.only.split(","))
    if "reality" in sections:
        results["reality_check"] = reality_check(args, data, out)
    if "semi" in sections:
        results["semi_supervised"] = semi_supervised(args, data)
    if "dann" in sections:
        results["adaptation"] = adaptation(args, out)
    (out / "results.json").write_text(json.dumps(results, indent=2))

    if "reality_check" in results:
        print(f"\nReality check, digits 16x16 (train 1,297 / test 500), pretraining budget {args.seconds:g} s "
              f"per row, fine-tuning {args.finetune_steps} steps on 10 labels per class")
        print("| representation | linear probe | fine-tuned, 10 labels/class | pretraining time (epochs) |")
        print("|---|---|---|---|")
        for r in results["reality_check"]:
            fine = f"{r['finetuned_10_per_class']:.3f}" if r["finetuned_10_per_class"] is not None else \
                f"(test accuracy {r['supervised_test_accuracy']:.3f})"
            print(f"| {r['representation']} | {r['probe']:.3f} | {fine} | {r['pretrain_seconds']:.0f} s "
                  f"({r['epochs']}) |")
    if "semi_supervised" in results:
        print("\n| semi-supervised, 10 labels per class | test error | training time (M1 + M2: with M1's) |"
              "\n|---|---|---|")
        for r in results["semi_supervised"]:
            print(f"| {r['method']} | {100 * r['error']:.2f} % | {r['seconds']:.0f} s |")
    if "adaptation" in results:
        a = results["adaptation"]["digits_to_digits_m"]
        print("\n| digits -> digits-M | target accuracy | strokes brighter than the photo | strokes darker | "
              "source accuracy | time |\n|---|---|---|---|---|---|")
        for name, r in a.items():
            print(f"| {name} | {r['target_accuracy']:.3f} | {r['target_accuracy_strokes_brighter']:.3f} | "
                  f"{r['target_accuracy_strokes_darker']:.3f} | {r['source_train_accuracy']:.3f} | "
                  f"{r['seconds']:.0f} s |")
        print(f"rotated moons target accuracy: {results['adaptation']['rotated_moons_target_accuracy']}")
    return results


if __name__ == "__main__":
    main()
