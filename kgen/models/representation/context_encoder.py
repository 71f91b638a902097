"""Context encoders (Pathak et al., 2016): inpaint a masked centre region; L2 + adversarial loss on the GAN engine.

https://arxiv.org/abs/1604.07379
"""

import keras
from keras import ops

from kgen.models.core import Endpoint, TensorSpec
from kgen.models.gan.engine import GAN
from kgen.models.gan.penalties import Reconstruction
from kgen.models.representation.base import EncoderFeatures, _image_shape
from kgen.networks import build_dcgan_discriminator
from kgen.networks.autoencoders import build_conv_decoder, build_conv_encoder
from kgen.zoo import register_builder


def centre_mask(image_shape, mask_size):
    """1 inside the centred `mask_size` square, 0 elsewhere: float32 `(1, H, W, 1)`."""
    h, w = image_shape[:2]
    top, left = (h - mask_size) // 2, (w - mask_size) // 2
    rows = ops.logical_and(ops.arange(h) >= top, ops.arange(h) < top + mask_size)
    cols = ops.logical_and(ops.arange(w) >= left, ops.arange(w) < left + mask_size)
    mask = ops.cast(ops.logical_and(rows[:, None], cols[None, :]), "float32")
    return ops.reshape(mask, (1, h, w, 1))


@keras.saving.register_keras_serializable(package="kgen")
class ContextEncoder(EncoderFeatures, GAN):
    """An inpainting GAN: the generator fills the masked centre of an image from its surroundings.

    An image-conditioned GAN on kgen's engine: the condition of each image
    is the image with its centre square (`mask_size`, default half the side,
    as in the paper) set to `fill_value`; the generator (an encoder-decoder)
    maps it to an image whose centre is pasted into the context, so the
    fakes differ from the real images only inside the mask. The
    generator's loss is the adversarial loss plus the model-held
    `Reconstruction(weight, "l2")` penalty, which is then the squared error
    of the inpainted region (Pathak et al.: lambda_rec = 0.999, lambda_adv =
    0.001, i.e. a weight of 999 on the L2 term). The discriminator sees whole
    (real or inpainted) images. The encoder half of the generator is the
    learned representation (`encoder`, `features`).

    Args:
        generator: Keras model `masked images -> images`, containing a
            sub-network named "encoder" `images -> (N, d)`.
        discriminator: Keras model `images -> logits`.
        mask_size: side of the masked centre square (default `H // 2`).
        fill_value: value of the masked pixels (0: the mean of [-1, 1] data).
        penalties: the model's penalties (default `[Reconstruction(999, "l2")]`).
        **kwargs: the `GAN` arguments (`generator_loss`, `d_steps`, `seed`, ...).

    Example:
        >>> ce = kgen.zoo.build("context_encoder", (16, 16, 1))
        >>> ce.fit(kgen.data.load("digits", labels=False), epochs=5)
        >>> filled = ce.reconstruct(images)   # the centre inpainted
    """

    def __init__(self, generator, discriminator, mask_size=None, fill_value=0.0, penalties=None, latent_dim=None,
                 condition="image", **kwargs):
        if latent_dim:
            raise ValueError(f"a context encoder has no latent (its generator reads the masked image). "
                             f"Received: latent_dim={latent_dim}")
        if condition != "image":
            raise ValueError(f"a context encoder is image-conditioned. Received: condition={condition!r}")
        if penalties is None:
            penalties = [Reconstruction(999.0, "l2")]
        super().__init__(generator, discriminator, latent_dim=None, condition="image", penalties=penalties,
                         **kwargs)
        self.image_shape = _image_shape(generator.output_shape[1:])
        size = min(self.image_shape[:2])
        self.mask_size = int(mask_size) if mask_size is not None else size // 2
        if not 1 <= self.mask_size < size:
            raise ValueError(f"expected 1 <= mask_size < {size} (the image side). Received: mask_size={mask_size}")
        self.fill_value = float(fill_value)
        try:
            self.encoder = generator.get_layer("encoder")
        except ValueError:
            raise ValueError("the generator needs a sub-network named 'encoder' (its representation); build it "
                             "with build_context_encoder_generator.") from None

    def mask(self):
        """The centre mask `(1, H, W, 1)` (1 = hidden)."""
        return centre_mask(self.image_shape, self.mask_size)

    def hide_centre(self, images):
        """The generator's input: `images` with the centre set to `fill_value`."""
        m = self.mask()
        return ops.cast(images, "float32") * (1.0 - m) + self.fill_value * m

    def unpack(self, data):
        x, _ = self.unpack_batch(data)
        x = ops.cast(x, "float32")
        return x, self.hide_centre(x)

    def run_generator(self, inputs, condition=None, training=True):
        """The masked images with their centre filled in by the generator."""
        raw = ops.cast(self.generator(condition, training=training), "float32")
        m = self.mask()
        return condition * (1.0 - m) + raw * m

    def discriminate(self, x, condition=None, training=True):
        out = self.discriminator(x, training=training)
        if isinstance(out, (list, tuple)):
            return out[0], (out[1] if len(out) > 1 else None)
        return out, None

    def inpaint(self, images, training=False):
        """Hide the centre of `images` and fill it in."""
        images = ops.convert_to_tensor(images, "float32")
        return self.run_generator({}, self.hide_centre(images), training=training)

    def reconstruct(self, x, training=False):
        """The inpainted images."""
        return self.inpaint(x, training=training)

    def export_endpoints(self):
        info = {"value_range": [-1.0, 1.0]}
        inpaint = Endpoint(
            "inpaint", self.generator, [TensorSpec("images", self.image_shape, "float32", "image", info)],
            [TensorSpec("inpainted", self.image_shape, "float32", "image", info)],
            call=lambda network, images: self.hide_centre(images) * (1.0 - self.mask())
            + ops.cast(network(self.hide_centre(images), training=False), "float32") * self.mask())
        return [self.features_endpoint(), inpaint]

    def get_config(self):
        config = super().get_config()
        config.pop("latent_dim", None)
        config.pop("num_classes", None)
        config.pop("condition", None)
        return {**config, "mask_size": self.mask_size, "fill_value": self.fill_value}


def build_context_encoder_generator(image_shape, filters=(32, 64), code_dim=128, name="generator"):
    """Encoder-decoder generator `masked images -> images` (tanh) with a sub-network "encoder" `-> (N, code_dim)`."""
    encoder = build_conv_encoder(image_shape, code_dim, filters, name="encoder")
    decoder = build_conv_decoder(code_dim, image_shape, tuple(reversed(filters)), output_activation="tanh",
                                 name="decoder")
    inputs = keras.Input(tuple(image_shape), name="masked_images")
    return keras.Model(inputs, decoder(encoder(inputs)), name=name)


@register_builder("context_encoder", scale="tanh", paper="Pathak et al. 2016, https://arxiv.org/abs/1604.07379")
def build_context_encoder(input_shape, num_classes=None, tiny=False, seed=None, filters=None, code_dim=None,
                          mask_size=None, reconstruction_weight=999.0, learning_rate=2e-4, **compile_kwargs):
    """Context encoder: inpaint the masked centre (L2 x 999 + adversarial), an encoder-decoder on the GAN engine.

    Returns:
        A compiled `ContextEncoder`.
    """
    shape = tuple(input_shape)
    filters = tuple(filters or ((4, 8) if tiny else (32, 64)))
    code_dim = int(code_dim or (8 if tiny else 128))
    generator = build_context_encoder_generator(shape, filters, code_dim)
    discriminator = build_dcgan_discriminator(shape, base_filters=4 if tiny else 32, norm=None)
    model = ContextEncoder(generator, discriminator, mask_size=mask_size,
                           penalties=[Reconstruction(float(reconstruction_weight), "l2")], seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                  g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5), **compile_kwargs)
    return model
