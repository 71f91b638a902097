"""What each reported metric means: which way is better, its unit, and what it is comparable with."""

import re

#: name (or name pattern) -> (direction, one-line meaning). Direction: "higher",
#: "lower" or "" (context, not a score). `{features}` is the feature extractor.
METRICS = {
    "linear_probe_accuracy": ("higher", "test accuracy of a logistic regression on the frozen features of "
                                        "held-out images (representation learners)"),
    "pixel_probe_accuracy": ("higher", "the same probe on raw pixels: the reference the features should beat"),
    "fid": ("lower", "Frechet distance between Gaussian fits of real and generated {features} "
                     "(squared feature units)"),
    "kid": ("lower", "kernel distance: unbiased MMD^2, cubic polynomial kernel on {features}, mean "
                     "over subsets; its size follows the features' scale"),
    "kid_std": ("", "std of the KID estimate over subsets"),
    "precision": ("higher", "fraction of generated samples inside the real data's k-NN manifold "
                            "(fidelity), 0..1"),
    "recall": ("higher", "fraction of real samples inside the generated samples' k-NN manifold "
                         "(diversity), 0..1"),
    "inception_score": ("higher", "exp E[KL(p(y|x) || p(y))] from the {classifier}, mean over "
                                  "{splits} splits; 1..number of classes"),
    "inception_score_std": ("", "std of the score over the {splits} splits"),
    "class_coverage": ("higher", "fraction of classes the {classifier} finds in the samples at "
                                 "their expected share, 0..1"),
    "class_kl": ("lower", "KL(generated class histogram || real one) by the {classifier}, nats"),
    "confident_fraction": ("higher", "share of samples the {classifier} labels confidently, 0..1"),
    "mse": ("lower", "mean squared reconstruction error per pixel, in the model's value range"),
    "psnr": ("higher", "reconstruction PSNR in dB on the 0..255 pixel scale"),
    "ssim": ("higher", "structural similarity of reconstructions, -1..1"),
    "modes": ("higher", "mixture modes with at least one sample within 3 std (of num_modes)"),
    "num_modes": ("", "modes of the mixture"),
    "high_quality": ("higher", "fraction of samples within 3 std of a mode, 0..1"),
    "reverse_kl": ("lower", "KL(p_generated || uniform) over modes, nats"),
    "log_likelihood_exact": ("higher", "mean log p(x) of an RBM with log Z by exact enumeration, nats "
                                       "(binarized pixels for binary units)"),
    "log_likelihood_ais": ("higher", "mean log p(x) of an RBM with log Z by annealed importance sampling, "
                                     "nats (tends to overestimate; binarized pixels for binary units)"),
    "log_likelihood_ais_std_err": ("", "standard error of the AIS estimate of log Z, nats"),
    "translation_l1": ("lower", "image-to-image: mean |output - target| per pixel, in [-1, 1] units"),
    "translation_psnr": ("higher", "image-to-image: PSNR of outputs against their targets in dB ([0, 1] "
                                   "images, per image, averaged)"),
    "translation_ssim": ("higher", "image-to-image: SSIM of outputs against their targets, -1..1"),
    "bicubic_psnr": ("higher", "super-resolution baseline: PSNR of bicubic upsampling against the targets, dB"),
    "bicubic_ssim": ("higher", "super-resolution baseline: SSIM of bicubic upsampling against the targets"),
    "classifier_accuracy": ("higher", "digit classifier's accuracy on the translated images against the "
                                      "inputs' labels, 0..1 (the FCN-score idea of Isola et al.)"),
    "classifier_accuracy_targets": ("", "the same classifier's accuracy on the real targets: the ceiling"),
    "cycle_l1_a": ("lower", "CycleGAN: mean |F(G(a)) - a| per pixel, in [-1, 1] units"),
    "cycle_l1_b": ("lower", "CycleGAN: mean |G(F(b)) - b| per pixel, in [-1, 1] units"),
    "label_kept_a2b": ("higher", "CycleGAN: digit classifier's accuracy on G(a) against a's label, 0..1"),
    "label_kept_b2a": ("higher", "CycleGAN: digit classifier's accuracy on F(b) against b's label, 0..1"),
    "classifier_accuracy_a": ("", "the classifier's accuracy on real A images: the ceiling of label_kept_a2b"),
    "classifier_accuracy_b": ("", "the classifier's accuracy on real B images: the ceiling of label_kept_b2a"),
    r"iwae_log_likelihood_k\d+": ("higher", "IWAE bound on log p(x) per example, nats (k "
                                            "importance samples; binarized pixels for Bernoulli)"),
}

_SYMBOL = {"higher": "\u2191 higher is better", "lower": "\u2193 lower is better", "": ""}


def _entry(name):
    if name in METRICS:
        return METRICS[name]
    for pattern, entry in METRICS.items():
        if re.fullmatch(pattern, name):
            return entry
    return ("", "")


def direction(name):
    """"higher", "lower" or "" for a metric name."""
    return _entry(name)[0]


def direction_mark(name):
    """E.g. "↓ lower is better" ("" for context values)."""
    return _SYMBOL[direction(name)]


def describe_metric(name, report):
    """One line on what `name` measures in this report (feature extractor filled in).

    Args:
        name: a metric name of `report["metrics"]`.
        report: the report dict (its `extractor`, `kind`, `is_splits`).

    Returns:
        E.g. "↓ lower is better; Frechet distance between Gaussian fits of ...".
    """
    extractor = report.get("extractor")
    if report.get("kind") == "points":
        features, classifier = "the raw 2-D points", "classifier"
    elif extractor in (None, "none"):
        features, classifier = "raw pixels", "classifier"
    else:
        features = f"{extractor} features"
        classifier = f"{extractor} classifier"
    text = _entry(name)[1].format(features=features, classifier=classifier,
                                  splits=report.get("is_splits", 10))
    mark = direction_mark(name)
    return f"{mark}; {text}" if mark and text else mark or text


def comparability_note(report):
    """The caveat on FID/KID/IS values for this report's feature extractor, or None."""
    extractor = report.get("extractor")
    if report.get("kind") == "points":
        return ("FID/KID here are computed on the raw 2-D points: they compare runs on the same "
                "mixture only.")
    if extractor == "inception":
        return ("FID/KID/IS use InceptionV3 pool features (2048-d, 299x299), the features papers "
                "report; values still depend on the sample counts.")
    if extractor in (None, "none"):
        return ("FID/KID use raw pixels as features: not comparable to Inception FID or to any "
                "published number.")
    return (f"FID/KID/IS use the {extractor} feature extractor (kgen's digits classifier: 64-d "
            "features of 16x16 grayscale digits, 10 classes), not InceptionV3: the values compare "
            "kgen runs with each other and are not comparable to Inception FID/KID/IS in papers. "
            "KID is not rescaled (papers often print KID x 1000), so its size follows these "
            "features' scale.")
