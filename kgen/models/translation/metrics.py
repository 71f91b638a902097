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


def psnr(outputs, targets):
    """Mean PSNR (dB) over images, on [0, 1]."""
    import tensorflow as tf

    return float(tf.reduce_mean(tf.image.psnr(_unit(outputs), _unit(targets), max_val=1.0)))


def ssim(outputs, targets):
    """Mean SSIM over images, on [0, 1] (filter size shrunk for images below 11 px)."""
    import tensorflow as tf

    size = min(11, int(np.asarray(targets).shape[1]))
    return float(tf.reduce_mean(tf.image.ssim(_unit(outputs), _unit(targets), max_val=1.0, filter_size=size)))


def classifier_accuracy(images, labels, classifier=None):
    """Accuracy of kgen's shipped digit classifier on images in [-1, 1] (grey, resized to 16x16 by it)."""
    from kgen.features import get_extractor

    extractor = classifier or get_extractor("digits")
    probs = np.asarray(extractor.probabilities(np.asarray(images, np.float32)))
    return float(np.mean(probs.argmax(-1) == np.asarray(labels)))


def feature_distance(outputs, targets, loss=None):
    """Mean squared distance of the digit classifier's conv features (a `PerceptualLoss` distance)."""
    from kgen.models.translation.common import PerceptualLoss

    loss = loss or PerceptualLoss(1.0, "digits")
    out = []
    for i in range(0, len(outputs), 256):
        out.append(float(loss.distance(np.asarray(targets[i:i + 256], np.float32),
                                       np.asarray(outputs[i:i + 256], np.float32))) * len(outputs[i:i + 256]))
    return float(np.sum(out) / len(outputs))


def translate_all(model, images, batch=256, **kwargs):
    """`model.translate` over a large array, in batches (numpy out)."""
    return np.concatenate([np.asarray(model.translate(images[i:i + batch], **kwargs))
                           for i in range(0, len(images), batch)])
