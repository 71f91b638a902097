"""Perceptual (feature-space) distances: Johnson et al. (2016), Ledig et al. (2017)."""

from keras import ops


def perceptual_distance(real_features, fake_features, layer_weights=None):
    """`sum_l w_l * mean((phi_l(x) - phi_l(G(z)))^2)` over feature maps of any rank >= 1.

    SRGAN's VGG content loss `l_VGG/i,j` (Ledig et al., 2017, Eq. 5) is one
    such term (the mean squared distance of the feature maps of one layer);
    Johnson et al.'s feature reconstruction loss is the same sum over
    several layers. https://arxiv.org/abs/1609.04802,
    https://arxiv.org/abs/1603.08155

    Args:
        real_features: list of feature tensors of the targets (one per layer).
        fake_features: the same layers' features of the outputs.
        layer_weights: one weight per layer (default 1 each).

    Returns:
        Scalar loss.

    Example:
        >>> float(perceptual_distance([[[1.0, 3.0]]], [[[0.0, 0.0]]]))
        5.0
    """
    real_features, fake_features = list(real_features), list(fake_features)
    if len(real_features) != len(fake_features) or not real_features:
        raise ValueError(f"expected as many real as fake feature maps (>= 1). Received: {len(real_features)} "
                         f"and {len(fake_features)}")
    weights = [1.0] * len(real_features) if layer_weights is None else list(layer_weights)
    if len(weights) != len(real_features):
        raise ValueError(f"expected one layer weight per feature map ({len(real_features)}). "
                         f"Received: {len(weights)}")
    total = 0.0
    for w, a, b in zip(weights, real_features, fake_features):
        total = total + float(w) * ops.mean(ops.square(ops.cast(a, "float32") - ops.cast(b, "float32")))
    return total
