"""Report figures as PNG bytes (matplotlib with the Agg backend, pillow for grids)."""

import io

import numpy as np
from PIL import Image

from kgen.images import make_grid


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def grid_png(images, value_range=(-1.0, 1.0), ncols=None, scale=None):
    """An image grid as PNG bytes, upscaled (nearest) so small images stay visible."""
    grid = make_grid(np.asarray(images), value_range, ncols)
    mode = "L" if grid.shape[-1] == 1 else "RGB"
    img = Image.fromarray(grid[..., 0] if mode == "L" else grid[..., :3], mode)
    scale = scale or max(1, int(np.ceil(320 / max(img.width, 1))))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _fig_png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def loss_curves_png(history):
    """Per-epoch curves of every logged loss/metric (one panel per key) as PNG bytes, or None if empty."""
    fig = loss_curves_figure(history)
    return None if fig is None else _fig_png(fig)


def loss_curves_figure(history):
    """The matplotlib figure of `loss_curves_png` (epochs on whole-number ticks), or None."""
    keys = [k for k, v in sorted(history.items())
            if k != "epoch" and isinstance(v, list) and len(v) > 0 and all(isinstance(x, (int, float)) for x in v)]
    if not keys:
        return None
    plt = _pyplot()
    cols = min(3, len(keys))
    rows = int(np.ceil(len(keys) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    from matplotlib.ticker import MaxNLocator

    epochs = history.get("epoch") or []
    for ax, key in zip(axes.flat, keys):
        values = history[key]
        x = epochs if len(epochs) == len(values) else np.arange(1, len(values) + 1)
        ax.plot(x, values, marker="o" if len(values) < 30 else None)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.set_title(key)
        ax.set_xlabel("epoch" if len(values) == max(len(history[k]) for k in keys) else "evaluation")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def projection_png(codes, labels=None, method="pca", seed=0, title=None):
    """2-D projection of codes (PCA or t-SNE, scikit-learn) coloured by label."""
    codes = np.asarray(codes, np.float64).reshape(len(codes), -1)
    if codes.shape[1] == 1:
        points = np.concatenate([codes, np.zeros_like(codes)], axis=1)
    elif method == "pca":
        from sklearn.decomposition import PCA

        points = PCA(n_components=2, random_state=seed).fit_transform(codes)
    elif method == "tsne":
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits

        perplexity = float(min(30.0, max(2.0, (len(codes) - 1) / 3)))
        # One OpenMP thread: t-SNE's threads next to TensorFlow's oversubscribe
        # small machines (10x slower on 2 busy cores).
        with threadpool_limits(1):
            points = TSNE(n_components=2, init="pca", random_state=seed,
                          perplexity=perplexity).fit_transform(codes)
    else:
        raise ValueError(f"expected method 'pca' or 'tsne'. Received: {method!r}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4.5))
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=6)
    else:
        sc = ax.scatter(points[:, 0], points[:, 1], c=np.asarray(labels), cmap="tab10", s=6)
        fig.colorbar(sc, ax=ax, label="label")
    ax.set_title(title or f"codes, {method.upper()}")
    ax.set_xticks([])
    ax.set_yticks([])
    return _fig_png(fig)


def points_png(real, fake, centers=None):
    """Scatter of real and generated 2-D points (mixture benchmarks)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(real[:, 0], real[:, 1], s=3, alpha=0.4, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=3, alpha=0.4, label="generated")
    if centers is not None:
        ax.scatter(centers[:, 0], centers[:, 1], marker="x", c="k", label="modes")
    ax.legend(loc="upper right")
    ax.set_aspect("equal")
    return _fig_png(fig)
