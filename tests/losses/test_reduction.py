"""TF-GAN's reductions and smoothing, checked against TensorFlow's own tf.compat.v1.losses."""

import numpy as np
import pytest
import tensorflow as tf

from kgen import losses
from kgen.losses.reduction import compute_weighted_loss, sigmoid_xent, smoothed_target, softmax_xent

V1 = tf.compat.v1.losses
VALUES = np.array([[1.0, -3.0, 5.0], [7.0, 2.0, -4.0]], np.float32)
WEIGHTS = [1.0, 2.3, 0.0, np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]], np.float32),
           np.array([[0.5], [0.0]], np.float32), np.zeros((2, 3), np.float32)]


@pytest.mark.parametrize("reduction", list(losses.Reduction.all()))
@pytest.mark.parametrize("weights", range(len(WEIGHTS)))
def test_compute_weighted_loss_matches_tensorflow_v1(reduction, weights):
    w = WEIGHTS[weights]
    expected = V1.compute_weighted_loss(VALUES, w, reduction=reduction, loss_collection=None).numpy()
    np.testing.assert_allclose(compute_weighted_loss(VALUES, w, reduction), expected, rtol=1e-6, atol=1e-7)


def test_keras_reduction_names_are_mapped_and_bad_names_rejected():
    w = WEIGHTS[3]
    assert float(compute_weighted_loss(VALUES, w, "sum")) == pytest.approx(float(np.sum(VALUES * w)))
    assert float(compute_weighted_loss(VALUES, w, "sum_over_batch_size")) == pytest.approx(
        float(np.sum(VALUES * w) / 6))
    assert float(compute_weighted_loss(VALUES, w, "mean_with_sample_weight")) == pytest.approx(
        float(np.sum(VALUES * w) / np.sum(w)))
    assert compute_weighted_loss(VALUES, w, None).shape == (2, 3)
    assert losses.get_reduction(tf.compat.v1.losses.Reduction.SUM_BY_NONZERO_WEIGHTS) == (
        losses.Reduction.SUM_OVER_NONZERO_WEIGHTS)
    with pytest.raises(ValueError, match="unknown reduction 'average'"):
        compute_weighted_loss(VALUES, 1.0, "average")


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.25])
def test_sigmoid_and_softmax_smoothing_match_tensorflow_v1(label_smoothing):
    logits = np.array([[-5.0, 1.4], [12.5, 2.7]], np.float32)
    labels = np.array([[1.0, 0.0], [1.0, 1.0]], np.float32)
    expected = V1.sigmoid_cross_entropy(labels, logits, label_smoothing=label_smoothing,
                                        reduction=V1.Reduction.NONE, loss_collection=None).numpy()
    got = sigmoid_xent(logits, smoothed_target(labels, label_smoothing))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    one_hot = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    expected = V1.softmax_cross_entropy(one_hot, logits, label_smoothing=label_smoothing,
                                        reduction=V1.Reduction.NONE, loss_collection=None).numpy()
    np.testing.assert_allclose(softmax_xent(one_hot, logits, label_smoothing), expected, rtol=1e-6, atol=1e-6)


def test_summaries_are_written_only_with_a_writer_and_a_step(tmp_path):
    real, fake = np.array([1.0, 2.0]), np.array([0.0, -1.0])
    losses.wasserstein_discriminator_loss(real, fake, add_summaries=True)  # no writer: nothing, no error
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=3):
        losses.wasserstein_discriminator_loss(real, fake, scope="d", add_summaries=True)
    writer.flush()
    tags = set()
    for event_file in tmp_path.iterdir():
        for raw in tf.data.TFRecordDataset(str(event_file)):
            event = tf.compat.v1.Event.FromString(raw.numpy())
            tags.update(v.tag for v in event.summary.value)
    assert {"d/discriminator_gen_wass_loss", "d/discriminator_real_wass_loss", "d/discriminator_wass_loss"} <= tags
