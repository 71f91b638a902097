"""Figures of image-to-image results: L1, PSNR, SSIM, a feature distance and a classifier's accuracy.

Images are in [-1, 1]; PSNR and SSIM are computed on [0, 1] (TensorFlow's
`tf.image.psnr` / `tf.image.ssim`, max value 1), per image, then averaged.
"""

import numpy as np


def _unit(x):
    return (np.clip(np.asarray(x, np.float32), -1.0, 1.0) + 1.0) / 2.0


def l1(outputs, targets):
    """Mean absolute error in [-1, 1] units."""
    return float(np.mean(np.abs(np.asarray(outputs, np.float32) - np.asarray(targets, np.float32))))


def luminance(images):
    """ITU-R BT.601 luma Y in [16, 235] / 255 of RGB images in [-1, 1] `(N, H, W, 3)` -> `(N, H, W, 1)`.

    The Y channel of MATLAB's `rgb2ycbcr`, on which the super-resolution papers
    (Ledig et al. 2017 among them) report PSNR and SSIM.

    Example:
        >>> round(float(luminance(np.ones((1, 1, 1, 3)))[0, 0, 0, 0]) * 255, 3)  # white
        235.0
    """
    from kgen.data.transforms import convert_channels

    x = _unit(images)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"expected RGB images of rank 4 (N,H,W,3). Received: shape={x.shape}")
    # rgb2ycbcr's 65.481, 128.553, 24.966 are 219 x kgen's 601 luma weights, offset by 16 (of 255).
    return ((16.0 + 219.0 * convert_channels(x, 1)) / 255.0).astype(np.float32)


def _measured(outputs, targets, crop, on_luminance):
    """Both image sets in [0, 1], on Y when asked (colour only), `crop` pixels off every border."""
    a, b = np.asarray(outputs, np.float32), np.asarray(targets, np.float32)
    if a.shape != b.shape:
        raise ValueError(f"expected outputs and targets of one shape. Received: {a.shape} and {b.shape}")
    if on_luminance and a.shape[-1] == 3:
        a, b = luminance(a), luminance(b)
    else:
        a, b = _unit(a), _unit(b)
    crop = int(crop)
    if crop:
        if 2 * crop >= min(a.shape[1:3]):
            raise ValueError(f"expected crop below half the image size {a.shape[1:3]}. Received: crop={crop}")
        a, b = a[:, crop:-crop, crop:-crop], b[:, crop:-crop, crop:-crop]
    return a, b


def psnr(outputs, targets, crop=0, on_luminance=False, per_image=False):
    """Mean PSNR (dB) over images, on [0, 1].

    Args:
        outputs, targets: images in [-1, 1] `(N, H, W, C)`.
        crop: pixels removed from every border first.
        on_luminance: colour images are measured on their Y channel (`luminance`).
            Ledig et al. (SRGAN) measure with `crop=scale` and `on_luminance=True`
            ("y-channel of center-cropped, removal of a 4-pixel wide strip from
            each border, images").
        per_image: return each image's PSNR (for paired comparisons) instead of the mean.

    Returns:
        float: the per-image PSNR, averaged (or a `(N,)` array with `per_image`).
    """
    import tensorflow as tf

    a, b = _measured(outputs, targets, crop, on_luminance)
    values = tf.image.psnr(a, b, max_val=1.0)
    return np.asarray(values, np.float64) if per_image else float(tf.reduce_mean(values))


def ssim(outputs, targets, crop=0, on_luminance=False):
    """Mean SSIM over images, on [0, 1] (filter size shrunk for images below 11 px); `crop`, `on_luminance` as `psnr`."""
    import tensorflow as tf

    a, b = _measured(outputs, targets, crop, on_luminance)
    size = min(11, int(b.shape[1]), int(b.shape[2]))
    return float(tf.reduce_mean(tf.image.ssim(a, b, max_val=1.0, filter_size=size)))


def classifier_accuracy(images, labels, classifier=None):
    """Accuracy of kgen's shipped digit classifier on images in [-1, 1] (grey, resized to 16x16 by it)."""
    from kgen.features import get_extractor

    extractor = classifier or get_extractor("digits")
    probs = np.asarray(extractor.probabilities(np.asarray(images, np.float32)))
    return float(np.mean(probs.argmax(-1) == np.asarray(labels)))


def feature_distance(outputs, targets, loss=None, per_image=False):
    """Mean squared distance of the digit classifier's conv features (a `PerceptualLoss` distance).

    With `per_image`, a `(N,)` array of each image's distance (their mean is the batch figure).
    """
    from kgen.losses.perceptual import perceptual_distance
    from kgen.models.translation.common import PerceptualLoss

    loss = loss or PerceptualLoss(1.0, "digits")
    if per_image:
        values = []
        for i in range(0, len(outputs), 256):
            real = loss.feature_maps(np.asarray(targets[i:i + 256], np.float32))
            fake = loss.feature_maps(np.asarray(outputs[i:i + 256], np.float32))
            values += [float(perceptual_distance([f[j:j + 1] for f in real], [f[j:j + 1] for f in fake],
                                                 loss.layer_weights)) for j in range(len(real[0]))]
        return np.asarray(values, np.float64)
    out = []
    for i in range(0, len(outputs), 256):
        out.append(float(loss.distance(np.asarray(targets[i:i + 256], np.float32),
                                       np.asarray(outputs[i:i + 256], np.float32))) * len(outputs[i:i + 256]))
    return float(np.sum(out) / len(outputs))


def translate_all(model, images, batch=256, **kwargs):
    """`model.translate` over a large array, in batches (numpy out)."""
    return np.concatenate([np.asarray(model.translate(images[i:i + batch], **kwargs))
                           for i in range(0, len(images), batch)])
