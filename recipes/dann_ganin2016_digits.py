"""DANN (Ganin et al., 2016) on digits -> digits-M: domain-adversarial features from labelled source, unlabelled target.

https://arxiv.org/abs/1505.07818

Setup, as kgen builds it:
- source: the embedded digits at 16x16 (gray repeated to RGB), labelled;
  target: digits-M, the same digits blended with sample-photo patches as
  MNIST-M was (|patch - digit|), labels hidden (-1) during training; target
  images are a different half of the digits than the source images;
- feature extractor: strided convs 32-48 and a 128-d relu layer; label and
  domain classifiers: MLPs with 100 hidden units (the paper's MNIST networks
  are `zoo.build("dann", ..., extractor="ganin")`); gradient reversal with
  lambda_p = 2 / (1 + exp(-10 p)) - 1;
- SGD with momentum 0.9 and mu_p = 0.01 / (1 + 10 p)^0.75, batch 64 (half
  source, half target on average);
- reports the target test accuracy beside a source-only run (the same network
  with domain_weight 0); paper, MNIST -> MNIST-M: 52.25 % -> 76.66 %.
- `--moons` instead trains on rotated two moons and writes the decision
  boundary figure.

Usage:
    python recipes/dann_ganin2016_digits.py
    python recipes/dann_ganin2016_digits.py --moons
    python recipes/dann_ganin2016_digits.py --smoke
"""

import sys
from pathlib import Path

import _representation_recipe as common


def _digit_domains(args):
    import numpy as np

    import kgen

    size = args.image_size
    src = kgen.data.load_arrays("digits", image_size=size, scale="tanh", labels=True)
    tgt = kgen.data.load_arrays("digits_m", image_size=size, scale="tanh", labels=True, seed=args.seed)
    order = np.random.default_rng(args.seed).permutation(len(src.x))
    half = len(order) // 2
    xs = np.repeat(src.x[order[:half]], 3, axis=-1)
    return xs, src.y[order[:half]], tgt.x[order[half:]], tgt.y[order[half:]]


def boundary_figure(model, xs, ys, xt, path):
    """Source points, target points and the classifier's decision regions (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    lo, hi = np.minimum(xs.min(0), xt.min(0)) - 0.5, np.maximum(xs.max(0), xt.max(0)) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.stack([gx.ravel(), gy.ravel()], 1).astype("float32")
    prob = np.asarray(model.classify(grid))[:, 1].reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.contourf(gx, gy, prob, levels=[0, 0.5, 1], colors=["#f4cccc", "#cfe2f3"], alpha=0.8)
    ax.contour(gx, gy, prob, levels=[0.5], colors="k")
    ax.scatter(*xs.T, c=ys, cmap="coolwarm", s=6, label="source")
    ax.scatter(*xt.T, c="gray", s=6, marker="x", alpha=0.5, label="target")
    ax.legend(loc="upper right")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv=None):
    args = common.parse(__doc__, argv, epochs=30, extra=lambda p: p.add_argument("--moons", action="store_true"))
    import keras
    import numpy as np

    import kgen
    from kgen.data import representation as rep

    keras.utils.set_random_seed(args.seed)
    if args.moons:
        xs, ys, xt, yt = rep.rotated_moons(300 if args.smoke else 1000, angle=30.0, seed=args.seed)
    elif args.smoke:
        xs, ys, xt, yt = (a[:128] for a in _digit_domains(args))
    else:
        xs, ys, xt, yt = _digit_domains(args)
    x, y = rep.adaptation_arrays(xs, ys, xt, seed=args.seed)
    batch = 16 if args.smoke else args.batch_size
    steps = (2 if args.smoke else len(x) // batch) * (1 if args.smoke else args.epochs)
    run_dir = Path(args.run_dir or "runs/dann_ganin2016")
    results = {}
    for name, weight in (("source_only", 0.0), ("dann", 1.0)):
        keras.utils.set_random_seed(args.seed)
        model = kgen.zoo.build("dann", x.shape[1:], num_classes=int(ys.max()) + 1, tiny=args.smoke,
                               seed=args.seed, total_steps=max(steps, 1), domain_weight=weight)
        common.train(model, common.dataset(x, y, batch_size=batch), args, run_dir / name)
        results[name] = float(np.mean(np.asarray(model.classify(xt)).argmax(-1) == yt))
        print(f"{name}: target accuracy {100 * results[name]:.2f} %")
        if args.moons:
            print(f"boundary_{name}: {boundary_figure(model, xs, ys, xt, run_dir / f'boundary_{name}.png')}")
    if not args.moons:
        common.outputs(model, xt, run_dir, name="target_predictions")
    else:
        from kgen import runs

        runs.save_model(model, run_dir)
    print(f"gain: {100 * (results['dann'] - results['source_only']):+.2f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
