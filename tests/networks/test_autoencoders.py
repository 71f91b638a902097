"""Dense and convolutional encoder/decoder builders."""

import numpy as np
import pytest
from keras import layers

from kgen.networks.autoencoders import (
    build_conv_decoder,
    build_conv_encoder,
    build_conv_feature_decoder,
    build_conv_feature_encoder,
    build_dense_decoder,
    build_dense_encoder,
)


def test_dense_pair_shapes_and_conditioning():
    enc = build_dense_encoder((28, 28, 1), 100)
    assert enc.output_shape == (None, 100)
    assert [lay.units for lay in enc.layers if isinstance(lay, layers.Dense)] == [200, 200, 100]
    dec = build_dense_decoder(50, (28, 28, 1), output_channels=2)
    assert dec.output_shape == (None, 28, 28, 2)
    cenc = build_dense_encoder((8, 8, 1), 4, (16,), num_classes=3)
    cdec = build_dense_decoder(2, (8, 8, 1), (16,), num_classes=3)
    x = np.zeros((2, 8, 8, 1), "float32")
    a = cenc([x, np.array([0, 1])]).numpy()
    assert a.shape == (2, 4) and np.abs(a[0] - a[1]).max() > 0
    assert cdec([np.zeros((2, 2), "float32"), np.array([0, 2])]).shape == (2, 8, 8, 1)


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_conv_decoder_upsampling_modes(upsample):
    dec = build_conv_decoder(8, (16, 16, 3), filters=(8, 4), upsample=upsample,
                             output_activation="sigmoid")
    assert dec.output_shape == (None, 16, 16, 3)
    kinds = {type(lay).__name__ for lay in dec.layers}
    # Resize-then-conv has no transposed convolution (int8 TFLite export).
    assert ("Conv2DTranspose" in kinds) == (upsample == "transpose")
    assert ("UpSampling2D" in kinds) == (upsample == "resize")
    out = dec(np.random.default_rng(0).normal(size=(2, 8)).astype("float32")).numpy()
    assert out.min() >= 0 and out.max() <= 1


def test_conv_encoder_and_feature_networks():
    enc = build_conv_encoder((16, 16, 1), 6, filters=(4, 8))
    assert enc.output_shape == (None, 6)
    assert build_conv_encoder((16, 16, 1), 6, filters=(4,), num_classes=2).output_shape == (None, 6)
    fe = build_conv_feature_encoder((16, 16, 1), 3, filters=(4, 8))
    assert fe.output_shape == (None, 4, 4, 3)
    fd = build_conv_feature_decoder((4, 4, 3), (16, 16, 1), filters=(8, 4), upsample="resize")
    assert fd.input_shape == (None, 48) and fd.output_shape == (None, 16, 16, 1)


def test_bad_shapes_and_options_are_named():
    with pytest.raises(ValueError, match="divisible by 8"):
        build_conv_encoder((12, 12, 1), 4, filters=(4, 4, 4))
    with pytest.raises(ValueError, match="upsample"):
        build_conv_decoder(4, (8, 8, 1), upsample="bilinear")
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        build_dense_decoder(4, (8, 8))
    with pytest.raises(ValueError, match="does not give"):
        build_conv_feature_decoder((4, 4, 3), (32, 32, 1), filters=(8,))
