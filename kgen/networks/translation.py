"""Image-to-image networks: pix2pix's U-Net and PatchGAN, CycleGAN's ResNet generator, SRResNet and SRGAN's D.

- `build_unet_generator`: Isola et al. (2017), https://arxiv.org/abs/1611.07004,
  Appendix 6.1.1: encoder C64-C128-C256-C512-..., decoder with skips,
  dropout in the first decoder blocks.
- `build_patchgan_discriminator`: the same paper's N x N PatchGAN (70 x 70
  with 3 strided layers); `patchgan_receptive_field` states it.
- `build_resnet_generator`: Zhu et al. (2017), https://arxiv.org/abs/1703.10593,
  Appendix 7.2 (Johnson et al.'s network): reflect padding, 6 or 9 residual
  blocks, instance norm (`GroupNormalization(groups=-1)`).
- `build_srresnet` / `build_sr_discriminator`: Ledig et al. (2017),
  https://arxiv.org/abs/1609.04802, Fig. 4.

Every network maps images in [-1, 1] to images in [-1, 1] (tanh output, in
float32 under mixed precision) or to logits.
"""

import math

import keras
import tensorflow as tf
from keras import layers, ops

__all__ = [
    "InferenceDropout",
    "ReflectionPadding2D",
    "SubPixelUpsampling",
    "build_patchgan_discriminator",
    "build_resnet_generator",
    "build_sr_discriminator",
    "build_srresnet",
    "build_unet_generator",
    "patchgan_receptive_field",
]


@keras.saving.register_keras_serializable(package="kgen")
class ReflectionPadding2D(layers.Layer):
    """Pad height and width by `padding` pixels, mirroring the border (no edge repeat).

    CycleGAN pads with reflections so convolutions see image-like borders
    instead of zeros (fewer border artefacts). LiteRT runs it as MIRROR_PAD.

    Args:
        padding: pixels added on each side.

    Example:
        >>> ReflectionPadding2D(3)(np.zeros((1, 8, 8, 1))).shape
        (1, 14, 14, 1)
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        p = 2 * self.padding
        return (n, None if h is None else h + p, None if w is None else w + p, c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="kgen")
class SubPixelUpsampling(layers.Layer):
    """Sub-pixel convolution's shuffle (Shi et al., 2016): `(H, W, r^2 C) -> (rH, rW, C)`.

    https://arxiv.org/abs/1609.05158 (LiteRT: DEPTH_TO_SPACE).

    Args:
        factor: r.
    """

    def __init__(self, factor=2, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, x):
        return tf.nn.depth_to_space(x, self.factor)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        r = self.factor
        return (n, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="kgen")
class InferenceDropout(layers.Dropout):
    """Dropout that can also stay on at inference (pix2pix's noise, Isola et al. 2017, Sec. 3.1).

    pix2pix's only source of randomness is dropout, "applied at both
    training and test time". Off at inference (`active=False`, the default
    and what exported graphs use: they hold no random op) the generator is
    deterministic; `Pix2Pix.translate(..., keep_dropout=True)` (or the
    model's `dropout_at_inference`) switches it on for a call.
    """

    active = False

    def call(self, inputs, training=False):
        return super().call(inputs, training=bool(training) or self.active)


def _check_square(shape, what, min_size=1):
    if len(shape) != 3:
        raise ValueError(f"expected {what} of length 3 (H, W, C). Received: {tuple(shape)}")
    h, w, c = (int(v) for v in shape)
    if h != w or h < min_size or h & (h - 1):
        raise ValueError(f"expected a square power-of-two {what} >= {min_size}. Received: {tuple(shape)}; "
                         "resize the data (--image-size 16, 32, ...).")
    return h, c


def _instance_norm(name):
    # Instance norm without TF Addons: one group per channel.
    return layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)


def _norm_layer(kind, name):
    if kind == "batch":
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
    if kind == "instance":
        return _instance_norm(name)
    if kind in (None, "none"):
        return None
    raise ValueError(f"expected norm in ('batch', 'instance', None). Received: norm={kind!r}")


def _apply(layer, h):
    return h if layer is None else layer(h)


def build_unet_generator(image_shape=(256, 256, 3), out_channels=None, base_filters=64, max_filters=512,
                         dropout=0.5, dropout_blocks=3, norm="batch", name="generator"):
    """Build pix2pix's U-Net: `(S, S, C_in)` in [-1, 1] -> `(S, S, C_out)` in [-1, 1], any power-of-two S.

    Encoder: `log2(S)` blocks of 4x4 stride-2 convolution, norm, LeakyReLU
    (0.2), filters `base * 2^i` capped at `max_filters`, down to 1x1. Two
    blocks are never normalised: the first (normalising the input layer
    loses the input's colour/intensity) and the innermost 1x1 block (per
    image, a 1x1 map normalises to zero: instance norm zeroes it outright,
    batch norm at batch size 1 too). Decoder: 4x4 stride-2 transposed
    convolutions, norm, ReLU, each concatenated with the mirrored encoder
    block (skips); dropout 0.5 in the first `dropout_blocks` decoder blocks
    (`InferenceDropout`); a tanh transposed convolution to `out_channels`.

    Args:
        image_shape: input shape; square, power of two >= 2.
        out_channels: output channels (default: the input's).
        base_filters: filters of the first encoder block (64 in the paper).
        max_filters: filter cap (512).
        dropout: dropout rate of the first decoder blocks.
        dropout_blocks: how many decoder blocks have dropout (3).
        norm: "batch" (paper) or "instance".
        name: model name.

    Returns:
        A functional `keras.Model` with input "condition".

    Example:
        >>> build_unet_generator((16, 16, 1), base_filters=8).output_shape
        (None, 16, 16, 1)
    """
    size, channels = _check_square(image_shape, "image_shape", 2)
    out_channels = int(out_channels or channels)
    depth = int(math.log2(size))
    src = keras.Input((size, size, channels), name="condition")
    h = src
    skips = []
    for i in range(depth):
        filters = min(base_filters * 2 ** i, max_filters)
        h = layers.Conv2D(filters, 4, strides=2, padding="same", name=f"down{i}_conv")(h)
        innermost = i == depth - 1
        if i > 0 and not innermost:
            h = _apply(_norm_layer(norm, f"down{i}_norm"), h)
        # The innermost block goes straight into the decoder through ReLU.
        h = layers.ReLU(name=f"down{i}_relu")(h) if innermost else layers.LeakyReLU(0.2, name=f"down{i}_lrelu")(h)
        skips.append(h)
    for j, i in enumerate(reversed(range(depth - 1))):
        filters = min(base_filters * 2 ** i, max_filters)
        h = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", name=f"up{j}_deconv")(h)
        h = _apply(_norm_layer(norm, f"up{j}_norm"), h)
        if j < dropout_blocks and dropout:
            h = InferenceDropout(dropout, name=f"up{j}_dropout")(h)
        h = layers.ReLU(name=f"up{j}_relu")(h)
        h = layers.Concatenate(name=f"up{j}_skip")([h, skips[i]])
    h = layers.Conv2DTranspose(out_channels, 4, strides=2, padding="same", name="to_image_deconv")(h)
    image = layers.Activation("tanh", dtype="float32", name="image")(h)
    return keras.Model(src, image, name=name)


def patchgan_receptive_field(n_layers):
    """Receptive field (pixels) of `build_patchgan_discriminator(..., n_layers)`'s outputs.

    `n_layers` 4x4 stride-2 convolutions, one 4x4 stride-1 convolution and
    the 4x4 stride-1 output layer: walking back from one output pixel,
    `r <- (r - 1) * stride + 4`. n_layers = 3: 70 (pix2pix's 70 x 70
    PatchGAN); 2: 34; 1: 16; 0: 7.

    Example:
        >>> patchgan_receptive_field(3)
        70
    """
    r = 1
    for stride in [1, 1] + [2] * int(n_layers):
        r = (r - 1) * stride + 4
    return r


def build_patchgan_discriminator(image_shape=(256, 256, 3), condition_shape=None, base_filters=64, n_layers=3,
                                 max_filters=512, norm="batch", conditional=True, name="discriminator"):
    """Build a PatchGAN: a map of logits, each judging one `patchgan_receptive_field(n_layers)` patch.

    C64 (no norm) - C128 - C256 (stride 2, `n_layers` in all), C512 (stride
    1), a 1-channel 4x4 output; LeakyReLU(0.2). Conditional (pix2pix): takes
    `[images, condition]` and concatenates them on channels; unconditional
    (CycleGAN): takes images only. n_layers = 3 gives the 70 x 70 PatchGAN;
    for 16-32 pixel images use n_layers = 1 (16 x 16) or 2 (34 x 34).

    Args:
        image_shape: shape of the judged images.
        condition_shape: shape of the input images (default: image_shape).
        base_filters: filters of the first layer.
        n_layers: strided layers (3 in the paper).
        max_filters: filter cap.
        norm: "batch", "instance" or None.
        conditional: concatenate the input image (pix2pix) or not (CycleGAN).
        name: model name.

    Returns:
        A functional `keras.Model` with output `(None, S/2^n, S/2^n, 1)` (logits).

    Example:
        >>> d = build_patchgan_discriminator((16, 16, 1), n_layers=1, base_filters=8)
        >>> d.output_shape
        (None, 8, 8, 1)
    """
    size, channels = _check_square(image_shape, "image_shape", 2 ** int(n_layers))
    images = keras.Input((size, size, channels), name="images")
    inputs = images
    h = images
    if conditional:
        cshape = tuple(condition_shape or image_shape)
        condition = keras.Input(cshape, name="condition")
        inputs = [images, condition]
        h = layers.Concatenate(name="image_and_condition")([images, condition])
    strides = [2] * int(n_layers) + [1]
    for i, stride in enumerate(strides):
        filters = min(base_filters * 2 ** i, max_filters)
        h = layers.Conv2D(filters, 4, strides=stride, padding="same", name=f"block{i}_conv")(h)
        if i > 0:
            h = _apply(_norm_layer(norm, f"block{i}_norm"), h)
        h = layers.LeakyReLU(0.2, name=f"block{i}_lrelu")(h)
    logits = layers.Conv2D(1, 4, padding="same", dtype="float32", name="patch_logits")(h)
    return keras.Model(inputs, logits, name=name)


def build_resnet_generator(image_shape=(256, 256, 3), out_channels=None, base_filters=64, n_blocks=9,
                           n_downsampling=2, name="generator"):
    """Build CycleGAN's ResNet generator (Johnson et al.): c7s1-64, d128, d256, R256 x n, u128, u64, c7s1-C.

    Reflect padding before every stride-1 convolution, instance norm
    (`GroupNormalization(groups=-1)`) and ReLU after every convolution but
    the last (tanh). Zhu et al. use 6 blocks for 128 x 128 images and 9 for
    256 x 256.

    Args:
        image_shape: input shape (square, divisible by `2^n_downsampling`).
        out_channels: output channels (default: the input's).
        base_filters: filters of the first convolution (64).
        n_blocks: residual blocks (6 or 9).
        n_downsampling: stride-2 convolutions down (and transposed ones up).
        name: model name.

    Returns:
        A functional `keras.Model` with input "condition".

    Example:
        >>> build_resnet_generator((16, 16, 1), base_filters=8, n_blocks=2).output_shape
        (None, 16, 16, 1)
    """
    size, channels = _check_square(image_shape, "image_shape", 2 ** int(n_downsampling))
    out_channels = int(out_channels or channels)
    src = keras.Input((size, size, channels), name="condition")
    h = ReflectionPadding2D(3, name="in_pad")(src)
    h = layers.Conv2D(base_filters, 7, name="in_conv")(h)
    h = layers.ReLU(name="in_relu")(_instance_norm("in_norm")(h))
    filters = base_filters
    for i in range(n_downsampling):
        filters *= 2
        h = layers.Conv2D(filters, 3, strides=2, padding="same", name=f"down{i}_conv")(h)
        h = layers.ReLU(name=f"down{i}_relu")(_instance_norm(f"down{i}_norm")(h))
    for b in range(n_blocks):
        r = ReflectionPadding2D(1, name=f"res{b}_pad1")(h)
        r = layers.Conv2D(filters, 3, name=f"res{b}_conv1")(r)
        r = layers.ReLU(name=f"res{b}_relu")(_instance_norm(f"res{b}_norm1")(r))
        r = ReflectionPadding2D(1, name=f"res{b}_pad2")(r)
        r = _instance_norm(f"res{b}_norm2")(layers.Conv2D(filters, 3, name=f"res{b}_conv2")(r))
        h = layers.Add(name=f"res{b}_add")([h, r])
    for i in range(n_downsampling):
        filters //= 2
        h = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", name=f"up{i}_deconv")(h)
        h = layers.ReLU(name=f"up{i}_relu")(_instance_norm(f"up{i}_norm")(h))
    h = ReflectionPadding2D(3, name="out_pad")(h)
    h = layers.Conv2D(out_channels, 7, name="out_conv")(h)
    image = layers.Activation("tanh", dtype="float32", name="image")(h)
    return keras.Model(src, image, name=name)


def build_srresnet(lr_shape=(24, 24, 3), scale=4, filters=64, n_blocks=16, out_channels=None, norm="batch",
                   name="generator"):
    """Build SRResNet (Ledig et al., Fig. 4): low-res `(h, w, C)` -> high-res `(scale h, scale w, C)`.

    k9n64 + PReLU; `n_blocks` residual blocks (k3n64, BN, PReLU, k3n64, BN,
    skip); k3n64, BN and the long skip; `log2(scale)` sub-pixel blocks
    (k3n256, x2 shuffle, PReLU); k9 to the output channels, tanh.

    Args:
        lr_shape: low-resolution input shape (H, W may be None: the network is
            fully convolutional).
        scale: 2 or 4 (any power of two).
        filters: feature maps (64).
        n_blocks: residual blocks (16).
        out_channels: output channels (default: the input's).
        norm: "batch" (paper), "instance" or None.
        name: model name.

    Returns:
        A functional `keras.Model` with input "condition".

    Example:
        >>> build_srresnet((4, 4, 1), scale=4, filters=8, n_blocks=1).output_shape
        (None, 16, 16, 1)
    """
    if len(lr_shape) != 3:
        raise ValueError(f"expected lr_shape of length 3 (H, W, C). Received: {tuple(lr_shape)}")
    scale = int(scale)
    if scale < 2 or scale & (scale - 1):
        raise ValueError(f"expected a power-of-two scale >= 2 (2, 4, ...). Received: scale={scale}")
    h_in, w_in, channels = (None if v is None else int(v) for v in lr_shape)
    out_channels = int(out_channels or channels)
    src = keras.Input((h_in, w_in, channels), name="condition")
    h = layers.Conv2D(filters, 9, padding="same", name="in_conv")(src)
    h = first = layers.PReLU(shared_axes=[1, 2], name="in_prelu")(h)
    for b in range(n_blocks):
        r = layers.Conv2D(filters, 3, padding="same", name=f"res{b}_conv1")(h)
        r = layers.PReLU(shared_axes=[1, 2], name=f"res{b}_prelu")(_apply(_norm_layer(norm, f"res{b}_bn1"), r))
        r = _apply(_norm_layer(norm, f"res{b}_bn2"), layers.Conv2D(filters, 3, padding="same", name=f"res{b}_conv2")(r))
        h = layers.Add(name=f"res{b}_add")([h, r])
    h = _apply(_norm_layer(norm, "trunk_bn"), layers.Conv2D(filters, 3, padding="same", name="trunk_conv")(h))
    h = layers.Add(name="trunk_skip")([first, h])
    for i in range(int(math.log2(scale))):
        h = layers.Conv2D(filters * 4, 3, padding="same", name=f"up{i}_conv")(h)
        h = SubPixelUpsampling(2, name=f"up{i}_shuffle")(h)
        h = layers.PReLU(shared_axes=[1, 2], name=f"up{i}_prelu")(h)
    h = layers.Conv2D(out_channels, 9, padding="same", name="out_conv")(h)
    image = layers.Activation("tanh", dtype="float32", name="image")(h)
    return keras.Model(src, image, name=name)


def build_sr_discriminator(hr_shape=(96, 96, 3), base_filters=64, n_blocks=4, dense_units=1024, norm="batch",
                           name="discriminator"):
    """Build SRGAN's discriminator (Ledig et al., Fig. 4): 8 3x3 convolutions, dense 1024, one logit.

    k3n64s1 (no BN), then pairs (k3 s2, k3 s1 with doubled filters) with BN
    and LeakyReLU(0.2): 64s2, 128s1, 128s2, 256s1, 256s2, 512s1, 512s2 for
    `n_blocks=4`; flatten, dense `dense_units`, LeakyReLU, dense 1. It sees
    the high-res image only (no condition).

    Args:
        hr_shape: high-resolution image shape (divisible by `2^n_blocks`).
        base_filters: filters of the first convolution.
        n_blocks: stride-2 convolutions (4 in the paper).
        dense_units: width of the hidden dense layer.
        norm: "batch" (paper), "instance" or None.
        name: model name.

    Returns:
        A functional `keras.Model` with output `(None, 1)` (logits).

    Example:
        >>> build_sr_discriminator((16, 16, 1), base_filters=8, n_blocks=2, dense_units=16).output_shape
        (None, 1)
    """
    if len(hr_shape) != 3:
        raise ValueError(f"expected hr_shape of length 3 (H, W, C). Received: {tuple(hr_shape)}")
    images = keras.Input(tuple(int(v) for v in hr_shape), name="images")
    h = layers.LeakyReLU(0.2, name="in_lrelu")(layers.Conv2D(base_filters, 3, padding="same", name="in_conv")(images))
    filters = base_filters
    for b in range(int(n_blocks)):
        for stride in (2, 1) if b < int(n_blocks) - 1 else (2,):
            if stride == 1:
                filters *= 2
            h = layers.Conv2D(filters, 3, strides=stride, padding="same", name=f"b{b}s{stride}_conv")(h)
            h = _apply(_norm_layer(norm, f"b{b}s{stride}_bn"), h)
            h = layers.LeakyReLU(0.2, name=f"b{b}s{stride}_lrelu")(h)
    h = layers.Flatten(name="flatten")(h)
    h = layers.LeakyReLU(0.2, name="dense_lrelu")(layers.Dense(dense_units, name="dense")(h))
    logits = layers.Dense(1, dtype="float32", name="logits")(h)
    return keras.Model(images, logits, name=name)
