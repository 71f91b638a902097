"""The report of an image-to-image run (pix2pix, CycleGAN, SRResNet / SRGAN): grids and translation metrics.

What `kgen eval` shows for these models instead of sample metrics (they
sample nothing): input | output | target grids (CycleGAN: both directions,
each with its cycle back), and L1, PSNR, SSIM against the targets, the
bicubic baseline for super-resolution, the cycle error for CycleGAN, and
the shipped digit classifier's accuracy where the data has digit labels
(pix2pix: on outputs and on the real targets, the FCN-score idea; CycleGAN:
the label kept through translation).
"""

import numpy as np

from kgen.report import figures

#: The data kinds of image-to-image models (`kgen.zoo` builders' `data`).
KINDS = ("paired", "unpaired", "super_resolution")
#: Examples per grid (one per row).
GRID_ROWS = 8


def is_translation(kind, model):
    return kind in KINDS and callable(getattr(model, "translate", None))


def load_pairs(config, seed=0):
    """The run's pairs as `kgen train` loaded them (size, channels and seed of its config)."""
    from kgen.data import paired

    flags = config.get("flags") or {}
    shape = config.get("input_shape") or [None]
    return paired.load_pairs(config["data"], image_size=shape[0], channels=flags.get("channels"),
                             seed=config.get("seed", seed))


def _rows(n, max_examples, seed):
    return np.sort(np.random.default_rng(seed).permutation(n)[:max_examples])


def _to_classifier(images, how):
    # Domains the digit classifier reads after a fixed map (inverted digits: negated back).
    return -images if how == "negate" else images


def translation_report(model, config, kind, value_range, max_examples, seed, sections, notes):
    """Metrics and figures of an image-to-image run; appends to `sections` and `notes`.

    Args:
        model: the run's model (has `translate`).
        config: the run's config (data, input_shape, flags, seed).
        kind: "paired", "unpaired" or "super_resolution".
        value_range: the images' range (grids).
        max_examples: examples scored at most.
        seed: seed of the examples drawn.
        sections: the report's `(heading, [(caption, png)])` list.
        notes: the report's notes.

    Returns:
        `{metric: value}`.
    """
    from kgen.models.translation import metrics
    from kgen.models.translation.grids import translation_grid

    pairs = load_pairs(config, seed)
    rows = _rows(len(pairs), max_examples, seed)
    a = pairs.a[rows]
    b = None if pairs.b is None else pairs.b[rows]
    labels = None if pairs.labels is None else pairs.labels[rows]
    labels_b = None if pairs.labels_b is None else pairs.labels_b[rows]
    results = {}
    k = GRID_ROWS
    data = config.get("data")
    notes.append(f"Translation metrics on {len(rows)} pairs of the run's data ({data}), drawn with seed {seed}: "
                 "kgen train holds no pairs out, so these include training pairs (the held-out figures are "
                 "tests/benchmarks/image_to_image.py's). PSNR and SSIM on [0, 1] (tf.image, per image, averaged); "
                 "L1 in [-1, 1] units.")
    if kind == "super_resolution":
        from kgen.models.translation import bicubic_upsample, downsample

        scale = int(pairs.info.get("scale") or model.scale)
        low = np.asarray(downsample(a, scale))
        out = metrics.translate_all(model, low)
        bicubic = np.asarray(bicubic_upsample(low, scale))
        results.update(translation_l1=metrics.l1(out, a), translation_psnr=metrics.psnr(out, a),
                       translation_ssim=metrics.ssim(out, a), bicubic_psnr=metrics.psnr(bicubic, a),
                       bicubic_ssim=metrics.ssim(bicubic, a))
        if 2 * scale < min(a.shape[1:3]):
            # The SR papers' protocol (Ledig et al.): Y channel of colour images, `scale` pixels off each border.
            results.update(translation_psnr_y_crop=metrics.psnr(out, a, crop=scale, on_luminance=True),
                           bicubic_psnr_y_crop=metrics.psnr(bicubic, a, crop=scale, on_luminance=True))
            notes.append(f"*_psnr_y_crop: PSNR as the super-resolution papers report it, on the Y (BT.601 luma) "
                         f"channel of colour images with a {scale}-pixel border removed.")
        if labels is not None and a.shape[-1] == 1:
            results["classifier_accuracy"] = metrics.classifier_accuracy(out, labels)
            results["classifier_accuracy_targets"] = metrics.classifier_accuracy(a, labels)
        sections.append(("Translations", [(
            f"x{scale} super-resolution, one example per row: low-res input (enlarged) | bicubic | "
            f"{type(model).__name__} | high-res target",
            figures.grid_png(translation_grid(low[:k], bicubic[:k], out[:k], a[:k]), value_range, ncols=4))]))
    elif kind == "paired":
        out = metrics.translate_all(model, a)
        results.update(translation_l1=metrics.l1(out, b), translation_psnr=metrics.psnr(out, b),
                       translation_ssim=metrics.ssim(out, b))
        if labels is not None and b.shape[-1] == 1:
            results["classifier_accuracy"] = metrics.classifier_accuracy(out, labels)
            results["classifier_accuracy_targets"] = metrics.classifier_accuracy(b, labels)
        sections.append(("Translations", [(
            "one example per row: input | output | target",
            figures.grid_png(translation_grid(a[:k], out[:k], b[:k]), value_range, ncols=3))]))
    else:
        fake_b = metrics.translate_all(model, a, direction="a2b")
        fake_a = metrics.translate_all(model, b, direction="b2a")
        cycle_a = metrics.translate_all(model, fake_b, direction="b2a")
        cycle_b = metrics.translate_all(model, fake_a, direction="a2b")
        results.update(cycle_l1_a=metrics.l1(cycle_a, a), cycle_l1_b=metrics.l1(cycle_b, b))
        read_b = pairs.info.get("b_classifier")
        if labels is not None and a.shape[-1] == 1:
            results["label_kept_a2b"] = metrics.classifier_accuracy(_to_classifier(fake_b, read_b), labels)
            results["classifier_accuracy_a"] = metrics.classifier_accuracy(a, labels)
        if labels_b is not None and b.shape[-1] == 1:
            results["label_kept_b2a"] = metrics.classifier_accuracy(fake_a, labels_b)
            results["classifier_accuracy_b"] = metrics.classifier_accuracy(_to_classifier(b, read_b), labels_b)
        if read_b == "negate" and ("label_kept_a2b" in results or "classifier_accuracy_b" in results):
            notes.append(f"{data}: the digit classifier reads domain B images (inverted digits) negated back.")
        sections.append(("Translations", [
            ("A -> B, one example per row: a | G(a) | F(G(a)) (its cycle back)",
             figures.grid_png(translation_grid(a[:k], fake_b[:k], cycle_a[:k]), value_range, ncols=3)),
            ("B -> A, one example per row: b | F(b) | G(F(b)) (its cycle back)",
             figures.grid_png(translation_grid(b[:k], fake_a[:k], cycle_b[:k]), value_range, ncols=3))]))
    return results
