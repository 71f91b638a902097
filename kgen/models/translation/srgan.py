"""SRResNet and SRGAN (Ledig et al., 2017): x4 single-image super-resolution, MSE or perceptual content loss."""

import keras
import tensorflow as tf
from keras import ops

from kgen.models.core import GenerativeModel, SingleObjectiveSteps
from kgen.models.gan.engine import GAN
from kgen.models.gan.penalties import GANPenalty, Reconstruction
from kgen.models.translation.common import PerceptualLoss, TranslatorMixin, check_images, translate_endpoint
from kgen.networks.translation import build_sr_discriminator, build_srresnet
from kgen.zoo import register_builder

CONTENT_LOSSES = ("mse", "perceptual")


def downsample(images, scale):
    """Bicubic downsampling by `scale` with antialiasing: how kgen makes low-res inputs (`sr:xN` data)."""
    images = ops.convert_to_tensor(images, "float32")
    h, w = int(images.shape[1]), int(images.shape[2])
    if h % scale or w % scale:
        raise ValueError(f"expected images whose size is a multiple of scale={scale}. Received: {(h, w)}")
    out = tf.image.resize(images, (h // scale, w // scale), method="bicubic", antialias=True)
    return ops.clip(out, -1.0, 1.0)


def bicubic_upsample(images, scale):
    """The bicubic baseline: upsample by `scale` (values clipped to [-1, 1])."""
    images = ops.convert_to_tensor(images, "float32")
    h, w = int(images.shape[1]), int(images.shape[2])
    return ops.clip(tf.image.resize(images, (h * scale, w * scale), method="bicubic"), -1.0, 1.0)


def _content(content_loss):
    if isinstance(content_loss, dict):
        content_loss = keras.saving.deserialize_keras_object(content_loss)
    if content_loss == "mse":
        return Reconstruction(1.0, "l2", name="mse_loss")
    if content_loss == "perceptual":
        return PerceptualLoss(1.0, "digits")
    if isinstance(content_loss, GANPenalty):
        return content_loss
    raise ValueError(f"expected content_loss 'mse', 'perceptual' or a PerceptualLoss. Received: {content_loss!r}")


class _SuperResolution(TranslatorMixin):
    """Shared by SRResNet and SRGAN: the fully convolutional generator, translate, export at `lr_shape`."""

    def _setup_sr(self, lr_shape, scale):
        self.scale = int(scale)
        self.lr_shape = tuple(int(v) for v in lr_shape)

    def translate(self, images, z=None, training=False):
        """Super-resolve low-res images `(N, h, w, C)` in [-1, 1] to `(N, scale h, scale w, C)`."""
        return self.generator(check_images(images), training=training)

    def reconstruct(self, images):
        """`translate(downsample(images))`: the images' own size back from their x`scale` downsampling.

        What sample grids show (truth | super-resolved); any size divisible by `scale`.
        """
        return ops.cast(self.translate(downsample(check_images(images), self.scale)), "float32")

    def export_endpoints(self):
        # The generator is fully convolutional; exports run at the training input size.
        src = keras.Input(self.lr_shape, name="images")
        fixed = keras.Model(src, self.generator(src), name=f"{self.generator.name}_{self.lr_shape[0]}px")
        return [translate_endpoint("translate", fixed)]


@keras.saving.register_keras_serializable(package="kgen")
class SRResNet(_SuperResolution, SingleObjectiveSteps, GenerativeModel):
    """SRResNet: the SRGAN generator trained alone on a content loss (Ledig et al., Sec. 3.2, 4.2).

    Batches are `(low_res, high_res)`; the loss is the pixel MSE (SRResNet-MSE,
    the PSNR-oriented network) or a `PerceptualLoss` (SRResNet-VGG22 / -VGG54
    with VGG weights; kgen's digit classifier features offline). The MSE is
    reported either way. https://arxiv.org/abs/1609.04802

    Args:
        generator: low-res -> high-res network (`build_srresnet`), H, W free.
        lr_shape: the low-res input shape (export size).
        scale: upsampling factor of the generator.
        content_loss: "mse", "perceptual" (digit-classifier features) or a `PerceptualLoss`.
        seed: seed of the model's noise.

    Example:
        >>> sr = SRResNet(build_srresnet((None, None, 1)), lr_shape=(4, 4, 1), scale=4)
        >>> sr.compile(keras.optimizers.Adam(1e-4))
    """

    def __init__(self, generator, lr_shape, scale=4, content_loss="mse", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.generator = generator
        self._setup_sr(lr_shape, scale)
        self.content = _content(content_loss)
        self.built = True

    def compile(self, optimizer=None, **kwargs):
        super().compile(optimizer=optimizer or keras.optimizers.Adam(1e-4, beta_1=0.9), **kwargs)

    def metric_names(self):
        return ["loss", "mse"]

    def batch_inputs(self, data):
        lr, hr = self.unpack_batch(data)
        if hr is None:
            raise ValueError("SRResNet trains on (low_res, high_res) batches; load them with "
                             "kgen.data.paired.load('sr:x4') (or pass high-res images through "
                             "kgen.models.translation.downsample).")
        return lr, hr

    def compute_losses(self, lr, hr, training=True):
        sr = ops.cast(self.generator(lr, training=training), "float32")
        hr = ops.cast(hr, "float32")
        mse = ops.mean(ops.square(sr - hr))
        if isinstance(self.content, Reconstruction):
            loss = self.content.weight * mse
        else:
            loss = self.content.weight * self.content.distance(hr, sr)
        return {"loss": loss, "mse": mse}

    def get_config(self):
        return {**super().get_config(), "generator": keras.saving.serialize_keras_object(self.generator),
                "lr_shape": list(self.lr_shape), "scale": self.scale,
                "content_loss": "mse" if isinstance(self.content, Reconstruction) and self.content.weight == 1.0
                else keras.saving.serialize_keras_object(self.content)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="kgen")
class SRGAN(_SuperResolution, GAN):
    """SRGAN: `l_SR = l_X + 1e-3 l_Gen` (Ledig et al., Eq. 3), started from a trained SRResNet.

    The GAN engine with an image condition whose discriminator sees the
    high-res image only (no condition). The generator's loss is the content
    loss (a penalty object: the engine's `Reconstruction(1, "l2")` for MSE,
    or a `PerceptualLoss`) plus `adversarial_weight` times the
    non-saturating `-log D(G(x_LR))`. Start it from a trained SRResNet
    (`SRGAN.from_srresnet` or the builder's `srresnet=`), as Ledig et al. do
    "to avoid undesired local optima". https://arxiv.org/abs/1609.04802

    Args:
        generator: as in `SRResNet`.
        discriminator: high-res image -> logit (`build_sr_discriminator`).
        lr_shape, scale: as in `SRResNet`.
        content_loss: "mse", "perceptual" or a `PerceptualLoss`.
        adversarial_weight: 1e-3.
        **kwargs: passed to `GAN`.
    """

    def __init__(self, generator, discriminator, lr_shape, scale=4, content_loss="perceptual",
                 adversarial_weight=1e-3, **kwargs):
        for key in ("condition", "latent_dim", "num_classes", "penalties"):
            kwargs.pop(key, None)
        content = _content(content_loss)
        super().__init__(generator, discriminator, latent_dim=0, condition="image", penalties=[content], **kwargs)
        self._setup_sr(lr_shape, scale)
        self.content = content
        self.adversarial_weight = float(adversarial_weight)

    @classmethod
    def from_srresnet(cls, srresnet, discriminator, **kwargs):
        """An SRGAN whose generator starts from a trained `SRResNet`'s weights (a copy: the SRResNet is untouched)."""
        generator = keras.models.clone_model(srresnet.generator)
        generator.set_weights(srresnet.generator.get_weights())
        kwargs.setdefault("content_loss", srresnet.content)
        return cls(generator, discriminator, srresnet.lr_shape, srresnet.scale, **kwargs)

    def default_optimizer(self, role):
        return keras.optimizers.Adam(1e-4, beta_1=0.9)

    def discriminate(self, x, condition=None, training=True):
        # D judges the high-res image alone.
        out = self.discriminator(x, training=training)
        return out, None

    def generator_adversarial_loss(self, outputs):
        return self.adversarial_weight * super().generator_adversarial_loss(outputs)

    def metric_names(self):
        return super().metric_names() + ["mse"]

    def compute_generator_loss(self, outputs):
        terms = super().compute_generator_loss(outputs)
        terms["mse"] = ops.mean(ops.square(ops.cast(outputs.generated, "float32") - ops.cast(outputs.real, "float32")))
        return terms

    def get_config(self):
        config = super().get_config()
        for key in ("latent_dim", "num_classes", "condition", "penalties"):
            config.pop(key, None)
        content = ("mse" if isinstance(self.content, Reconstruction) and self.content.weight == 1.0
                   else keras.saving.serialize_keras_object(self.content))
        return {**config, "lr_shape": list(self.lr_shape), "scale": self.scale, "content_loss": content,
                "adversarial_weight": self.adversarial_weight}


def _sr_parts(input_shape, scale, tiny, filters, n_blocks, norm="batch"):
    if len(input_shape) != 3:
        raise ValueError(f"expected the high-res image shape (H, W, C). Received: {tuple(input_shape)}")
    h, w, c = (int(v) for v in input_shape)
    if h % scale or w % scale:
        raise ValueError(f"the high-res size {(h, w)} must be a multiple of scale={scale}; resize the data "
                         "(--image-size) or change scale.")
    filters = filters or (8 if tiny else 64)
    n_blocks = n_blocks if n_blocks is not None else (1 if tiny else 16)
    generator = build_srresnet((None, None, c), scale=scale, filters=filters, n_blocks=n_blocks, norm=norm)
    return generator, (h // scale, w // scale, c), filters


@register_builder("srresnet", data="super_resolution", paper="Ledig et al. 2017, https://arxiv.org/abs/1609.04802")
def build_srresnet_model(input_shape, num_classes=None, tiny=False, scale=4, filters=None, n_blocks=None,
                         content_loss="mse", norm="batch", learning_rate=1e-4, seed=None, **compile_kwargs):
    """SRResNet-MSE: 16 residual blocks, sub-pixel x4, Adam(1e-4, beta_1=0.9) (Ledig et al., Sec. 3.2).

    Args:
        input_shape: the HIGH-res image shape `(H, W, C)` (inputs are `H/scale`).
        tiny: small network for tests.
        scale: upsampling factor (4).
        filters, n_blocks: 64 and 16 (8 and 1 when tiny).
        content_loss: "mse" or "perceptual".
        norm: "batch" (paper) or None (batch statistics are per replica under a strategy).
        learning_rate: Adam's rate.
        seed: noise seed.

    Returns:
        A compiled `SRResNet`.
    """
    if num_classes:
        raise ValueError("srresnet is conditioned on low-res images, not labels: drop num_classes.")
    generator, lr_shape, _ = _sr_parts(input_shape, scale, tiny, filters, n_blocks, norm)
    model = SRResNet(generator, lr_shape, scale, content_loss=content_loss, seed=seed)
    model.compile(keras.optimizers.Adam(learning_rate, beta_1=0.9), **compile_kwargs)
    return model


@register_builder("srgan", data="super_resolution", paper="Ledig et al. 2017, https://arxiv.org/abs/1609.04802")
def build_srgan(input_shape, num_classes=None, tiny=False, scale=4, filters=None, n_blocks=None,
                content_loss="perceptual", adversarial_weight=1e-3, srresnet=None, norm="batch", learning_rate=1e-4,
                seed=None, **compile_kwargs):
    """SRGAN: SRResNet generator + Ledig's 8-conv discriminator, content + 1e-3 adversarial, Adam(1e-4, 0.9).

    Args:
        input_shape: the HIGH-res image shape `(H, W, C)`.
        tiny: small networks for tests.
        scale, filters, n_blocks: as in `build_srresnet_model`.
        content_loss: "perceptual" (default; kgen's digit-classifier
            features offline, or pass a `PerceptualLoss` with VGG) or "mse".
        adversarial_weight: 1e-3.
        srresnet: a trained `SRResNet` (or a `.keras` path) whose generator
            weights start the SRGAN (recommended by the paper).
        norm: "batch" (paper) or None, in both networks.
        learning_rate: both optimizers.
        seed: noise seed.

    Returns:
        A compiled `SRGAN`.
    """
    if num_classes:
        raise ValueError("srgan is conditioned on low-res images, not labels: drop num_classes.")
    generator, lr_shape, f = _sr_parts(input_shape, scale, tiny, filters, n_blocks, norm)
    h = int(input_shape[0])
    n_down = max(1, min(4, (h & -h).bit_length() - 1 - (1 if tiny else 0)))
    disc = build_sr_discriminator(input_shape, base_filters=f, n_blocks=min(n_down, 2) if tiny else n_down,
                                  dense_units=16 if tiny else 1024, norm=norm)
    if srresnet is not None:
        if isinstance(srresnet, str):
            srresnet = keras.saving.load_model(srresnet)
        generator.set_weights(srresnet.generator.get_weights())
    model = SRGAN(generator, disc, lr_shape, scale, content_loss=content_loss,
                  adversarial_weight=adversarial_weight, seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.9),
                  g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.9), **compile_kwargs)
    return model
