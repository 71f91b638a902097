"""The time-conditioned U-Net of denoising diffusion (Ho et al. 2020, after PixelCNN++ / Wide ResNets).

`build_unet(image_shape)` returns a functional Keras model
`[x_t (N, H, W, C) float, t (N,) int32 (, labels (N,) int32)] -> (N, H, W, C)`:
a sinusoidal embedding of t (and a learned class embedding, with one extra
"null" class for classifier-free guidance) feeds every residual block;
GroupNorm + swish residual blocks at each resolution, self-attention at the
resolutions in `attention_resolutions`, strided-conv downsampling,
nearest-neighbour + conv upsampling, skip connections, a zero-initialized
output conv. Any square power-of-two size >= 4 and any channel count.

https://arxiv.org/abs/2006.11239

Example:
    >>> net = build_unet((32, 32, 1), base_filters=32, channel_mults=(1, 2, 2), attention_resolutions=(8,))
    >>> eps = net([x_t, t])
"""

import math

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="kgen")
class SinusoidalEmbedding(keras.layers.Layer):
    """Transformer sinusoidal embedding of integer timesteps: `[sin(t w_k), cos(t w_k)]`, w_k = 10000^(-k/(d/2-1)).

    As in Ho et al.'s code (Vaswani et al.'s position encoding), computed in float32.

    Args:
        dim: embedding size (even).
        max_period: the longest period, 10000.
    """

    def __init__(self, dim, max_period=10000.0, **kwargs):
        super().__init__(**kwargs)
        if int(dim) < 2 or int(dim) % 2:
            raise ValueError(f"expected an even embedding dim >= 2. Received: dim={dim}")
        self.dim = int(dim)
        self.max_period = float(max_period)

    def call(self, t):
        half = self.dim // 2
        scale = math.log(self.max_period) / max(half - 1, 1)
        freqs = ops.exp(ops.arange(half, dtype="float32") * -scale)
        args = ops.cast(ops.reshape(t, (-1, 1)), "float32") * freqs[None]
        return ops.concatenate([ops.sin(args), ops.cos(args)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def compute_output_spec(self, t):
        return keras.KerasTensor((t.shape[0], self.dim), dtype="float32")

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "max_period": self.max_period}


@keras.saving.register_keras_serializable(package="kgen")
class SpatialSelfAttention(keras.layers.Layer):
    """Single-head self-attention over the H*W positions of a feature map, with a residual connection.

    GroupNorm, 1x1 q/k/v projections, softmax(q k^T / sqrt(C)) v, 1x1 output
    projection (zero-initialized, so the block starts as the identity). Plain
    matmuls and reshapes: it converts to LiteRT builtins.

    Args:
        groups: GroupNorm groups.
    """

    def __init__(self, groups=32, **kwargs):
        super().__init__(**kwargs)
        self.groups = int(groups)

    def build(self, input_shape):
        c = int(input_shape[-1])
        self.norm = layers.GroupNormalization(groups=_groups(c, self.groups), epsilon=1e-5, name="norm")
        self.qkv = layers.Dense(3 * c, name="qkv")
        self.proj = layers.Dense(c, kernel_initializer="zeros", name="proj")
        self.norm.build(input_shape)
        self.qkv.build((None, None, c))
        self.proj.build((None, None, c))

    def call(self, x):
        h, w, c = x.shape[1], x.shape[2], x.shape[3]
        y = ops.reshape(self.norm(x), (-1, h * w, c))
        q, k, v = ops.split(self.qkv(y), 3, axis=-1)
        weights = ops.softmax(ops.matmul(q, ops.transpose(k, (0, 2, 1))) * (float(c) ** -0.5), axis=-1)
        out = self.proj(ops.matmul(weights, v))
        return x + ops.reshape(out, (-1, h, w, c))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}


def _groups(channels, groups=32):
    """The largest divisor of `channels` that is at most `groups` (GroupNorm needs a divisor)."""
    g = min(int(groups), int(channels))
    while channels % g:
        g -= 1
    return g


def _res_block(x, emb, filters, dropout, groups, name):
    h = layers.GroupNormalization(groups=_groups(x.shape[-1], groups), epsilon=1e-5, name=f"{name}_norm1")(x)
    h = layers.Activation("swish", name=f"{name}_act1")(h)
    h = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv1")(h)
    e = layers.Dense(filters, name=f"{name}_temb")(layers.Activation("swish", name=f"{name}_tact")(emb))
    h = layers.Add(name=f"{name}_addt")([h, layers.Reshape((1, 1, filters), name=f"{name}_tshape")(e)])
    h = layers.GroupNormalization(groups=_groups(filters, groups), epsilon=1e-5, name=f"{name}_norm2")(h)
    h = layers.Activation("swish", name=f"{name}_act2")(h)
    if dropout:
        h = layers.Dropout(dropout, name=f"{name}_drop")(h)
    h = layers.Conv2D(filters, 3, padding="same", kernel_initializer="zeros", name=f"{name}_conv2")(h)
    if x.shape[-1] != filters:
        x = layers.Conv2D(filters, 1, name=f"{name}_skip")(x)
    return layers.Add(name=f"{name}_out")([x, h])


def check_image_shape(image_shape):
    """`(size, channels)` of a square power-of-two image shape, or a ValueError naming the fix."""
    if len(image_shape) != 3:
        raise ValueError(f"expected image_shape (H, W, C). Received: image_shape={tuple(image_shape)}")
    h, w, c = (int(v) for v in image_shape)
    if h != w or h < 4 or h & (h - 1):
        raise ValueError(
            f"the diffusion U-Net needs a square power-of-two image size >= 4 (8, 16, 32, 64, ...). "
            f"Received: image_shape={tuple(image_shape)}; resize the data (kgen train --image-size 32, "
            "kgen.data.load(..., image_size=32)).")
    if c < 1:
        raise ValueError(f"expected at least one channel. Received: channels={c}")
    return h, c


def default_channel_mults(size):
    """Levels down to 4x4 (at most 4): 8 -> (1, 2), 16 -> (1, 2, 2), 32+ -> (1, 2, 2, 2)."""
    levels = max(1, min(4, int(math.log2(size)) - 1))
    return (1,) + (2,) * (levels - 1)


def build_unet(image_shape, base_filters=64, channel_mults=None, num_res_blocks=2, attention_resolutions=(8,),
               dropout=0.0, num_classes=None, groups=32, out_channels=None, name="unet"):
    """The time-conditioned U-Net denoiser.

    Args:
        image_shape: `(S, S, C)`, S a power of two >= 4.
        base_filters: channels of the first level (a multiple of... anything:
            GroupNorm uses the largest divisor <= `groups`).
        channel_mults: channel multiplier per resolution level, top first
            (default `default_channel_mults(S)`); level i has resolution S / 2^i.
        num_res_blocks: residual blocks per level (the up path has one more).
        attention_resolutions: resolutions with self-attention after each block
            (e.g. (8,) for 16x16 and 32x32 images; () for none).
        dropout: dropout inside residual blocks (Ho et al.: 0.1 on CIFAR-10).
        num_classes: K for a class-conditional U-Net (label ids 0..K-1, id K =
            no label, for classifier-free guidance).
        groups: GroupNorm groups (at most).
        out_channels: output channels (default: the image's C; 2C for a model that also
            predicts its reverse variances, `DDPM(loss="hybrid")`).

    Returns:
        A functional `keras.Model` `[x_t, t(, labels)] -> output (N, S, S, C)`.
    """
    size, channels = check_image_shape(image_shape)
    mults = tuple(int(m) for m in (channel_mults or default_channel_mults(size)))
    if size // 2 ** (len(mults) - 1) < 1:
        raise ValueError(f"{len(mults)} levels need images of at least {2 ** (len(mults) - 1)} pixels. "
                         f"Received: size {size}; pass fewer channel_mults.")
    x_in = keras.Input(tuple(int(v) for v in image_shape), name="x_t")
    t_in = keras.Input((), dtype="int32", name="t")
    inputs = [x_in, t_in]
    emb_dim = 4 * int(base_filters)
    emb = SinusoidalEmbedding(int(base_filters) if int(base_filters) % 2 == 0 else int(base_filters) + 1,
                              name="t_sinusoid")(t_in)
    emb = layers.Dense(emb_dim, activation="swish", name="t_dense1")(emb)
    emb = layers.Dense(emb_dim, name="t_dense2")(emb)
    if num_classes:
        y_in = keras.Input((), dtype="int32", name="labels")
        inputs.append(y_in)
        y = layers.Embedding(int(num_classes) + 1, emb_dim, name="label_embedding")(y_in)
        emb = layers.Add(name="t_plus_label")([emb, y])
    attention = {int(r) for r in attention_resolutions or ()}

    h = layers.Conv2D(base_filters, 3, padding="same", name="conv_in")(x_in)
    skips = [h]
    res = size
    for level, mult in enumerate(mults):
        for block in range(num_res_blocks):
            h = _res_block(h, emb, base_filters * mult, dropout, groups, f"down{level}_{block}")
            if res in attention:
                h = SpatialSelfAttention(groups, name=f"down{level}_{block}_attn")(h)
            skips.append(h)
        if level < len(mults) - 1:
            h = layers.Conv2D(h.shape[-1], 3, strides=2, padding="same", name=f"down{level}_downsample")(h)
            res //= 2
            skips.append(h)
    h = _res_block(h, emb, h.shape[-1], dropout, groups, "mid_0")
    h = SpatialSelfAttention(groups, name="mid_attn")(h)
    h = _res_block(h, emb, h.shape[-1], dropout, groups, "mid_1")
    for level in reversed(range(len(mults))):
        for block in range(num_res_blocks + 1):
            h = layers.Concatenate(name=f"up{level}_{block}_cat")([h, skips.pop()])
            h = _res_block(h, emb, base_filters * mults[level], dropout, groups, f"up{level}_{block}")
            if res in attention:
                h = SpatialSelfAttention(groups, name=f"up{level}_{block}_attn")(h)
        if level > 0:
            h = layers.UpSampling2D(2, interpolation="nearest", name=f"up{level}_upsample")(h)
            h = layers.Conv2D(h.shape[-1], 3, padding="same", name=f"up{level}_upconv")(h)
            res *= 2
    h = layers.GroupNormalization(groups=_groups(h.shape[-1], groups), epsilon=1e-5, name="norm_out")(h)
    h = layers.Activation("swish", name="act_out")(h)
    out = layers.Conv2D(channels if out_channels is None else int(out_channels), 3, padding="same",
                        kernel_initializer="zeros", name="conv_out",
                        dtype="float32")(h)
    return keras.Model(inputs, out, name=name)
