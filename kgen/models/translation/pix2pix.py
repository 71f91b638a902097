"""pix2pix (Isola et al., 2017): paired image-to-image translation with a conditional GAN and lambda * L1."""

import keras
from keras import ops

from kgen.models.gan.engine import GAN
from kgen.models.gan.penalties import Reconstruction
from kgen.models.translation.common import TranslatorMixin, check_images
from kgen.networks.translation import InferenceDropout, build_patchgan_discriminator, build_unet_generator
from kgen.zoo import register_builder


@keras.saving.register_keras_serializable(package="kgen")
class Pix2Pix(TranslatorMixin, GAN):
    """pix2pix: `G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G)`, lambda = 100 (Isola et al., Eq. 4).

    The GAN engine with an image condition: batches are `(input_images,
    target_images)`, the PatchGAN judges `[image, input]`, the generator's
    loss is the non-saturating cGAN loss times `adversarial_weight` plus
    the engine's `Reconstruction(l1_weight)` penalty; the discriminator's
    objective is halved ("we divide the objective by 2 while optimizing D,
    which slows down the rate at which D learns relative to G", Sec. 3.3).
    The ablation of Table 1: `adversarial_weight=0` is "L1 only",
    `l1_weight=0` "cGAN only". pix2pix's only noise is dropout, applied at
    test time too in the paper: `dropout_at_inference=True` keeps it on in
    `translate()` (off by default, and always off in exported graphs, which
    hold no random op). https://arxiv.org/abs/1611.07004

    Args:
        generator: image -> image network (e.g. `build_unet_generator`).
        discriminator: `[image, input] -> patch logits` (e.g. `build_patchgan_discriminator`).
        l1_weight: lambda (100).
        adversarial_weight: weight of the cGAN term in G's loss (1; 0 = L1 only).
        d_loss_scale: factor of D's loss (0.5 in the paper).
        dropout_at_inference: keep the generator's dropout on in `translate()`.
        **kwargs: passed to `GAN` (`seed`, losses, ...).

    Example:
        >>> p2p = Pix2Pix(build_unet_generator((16, 16, 1)), build_patchgan_discriminator((16, 16, 1), n_layers=1))
        >>> p2p.compile()
        >>> p2p.fit(kgen.data.paired.load("edges2digits"), epochs=5)
        >>> digits = p2p.translate(edges)
    """

    def __init__(self, generator, discriminator, l1_weight=100.0, adversarial_weight=1.0, d_loss_scale=0.5,
                 dropout_at_inference=False, **kwargs):
        kwargs.pop("condition", None)
        kwargs.pop("latent_dim", None)
        kwargs.pop("num_classes", None)
        penalties = [p for p in kwargs.pop("penalties", ()) if not _is_reconstruction(p)]
        if float(l1_weight) < 0 or float(adversarial_weight) < 0 or float(d_loss_scale) <= 0:
            raise ValueError(f"expected l1_weight >= 0, adversarial_weight >= 0, d_loss_scale > 0. Received: "
                             f"{l1_weight}, {adversarial_weight}, {d_loss_scale}")
        if float(l1_weight):
            penalties = [Reconstruction(float(l1_weight), "l1"), *penalties]
        super().__init__(generator, discriminator, latent_dim=0, condition="image", penalties=penalties, **kwargs)
        self.l1_weight = float(l1_weight)
        self.adversarial_weight = float(adversarial_weight)
        self.d_loss_scale = float(d_loss_scale)
        self.dropout_at_inference = bool(dropout_at_inference)

    def metric_names(self):
        return super().metric_names() + ["l1"]

    def compute_generator_loss(self, outputs):
        adversarial = self.adversarial_weight * self.generator_adversarial_loss(outputs)
        terms = self.add_penalties(adversarial, outputs)
        # The mean absolute error to the targets, reported whatever the weights (the ablations compare on it).
        diff = ops.cast(outputs.generated, "float32") - ops.cast(outputs.real, "float32")
        terms["l1"] = ops.mean(ops.abs(diff))
        return terms

    def discriminator_adversarial_loss(self, outputs):
        return self.d_loss_scale * super().discriminator_adversarial_loss(outputs)

    def translate(self, images, z=None, training=False, keep_dropout=None):
        """Translate input images `(N, H, W, C)` in [-1, 1].

        Args:
            images: input images.
            z: unused (pix2pix takes no latent; kept for the engine's signature).
            training: run in training mode (batch norm on batch statistics).
            keep_dropout: keep dropout on (default: `dropout_at_inference`).

        Returns:
            The translated images.
        """
        images = check_images(images)
        keep = self.dropout_at_inference if keep_dropout is None else bool(keep_dropout)
        drops = [layer for layer in self.generator.layers if isinstance(layer, InferenceDropout)]
        for layer in drops:
            layer.active = keep
        try:
            return self.generator(images, training=training)
        finally:
            for layer in drops:
                layer.active = False

    def get_config(self):
        config = super().get_config()
        # The L1 term is this model's own parameter, not a user penalty.
        config["penalties"] = [p for p in config["penalties"] if p.get("class_name") != "Reconstruction"
                               and "Reconstruction" not in str(p.get("registered_name", ""))]
        for key in ("latent_dim", "num_classes", "condition"):
            config.pop(key, None)
        return {**config, "l1_weight": self.l1_weight, "adversarial_weight": self.adversarial_weight,
                "d_loss_scale": self.d_loss_scale, "dropout_at_inference": self.dropout_at_inference}


def _is_reconstruction(p):
    if isinstance(p, Reconstruction):
        return True
    return isinstance(p, dict) and "Reconstruction" in str(p.get("registered_name", p.get("class_name", "")))


def _patchgan_layers(size):
    # The 70x70 PatchGAN for 256-pixel images; a patch about a quarter to a half of smaller images.
    if size >= 128:
        return 3
    return 2 if size >= 32 else 1


@register_builder("pix2pix", data="paired", paper="Isola et al. 2017, https://arxiv.org/abs/1611.07004")
def build_pix2pix(input_shape, num_classes=None, tiny=False, target_channels=None, base_filters=None,
                  n_layers=None, norm="batch", l1_weight=100.0, adversarial_weight=1.0, dropout=0.5,
                  dropout_at_inference=False, learning_rate=2e-4, beta_1=0.5, seed=None, **compile_kwargs):
    """pix2pix: U-Net generator, PatchGAN, cGAN + 100 L1, Adam(2e-4, beta_1=0.5) (Isola et al., Sec. 3.3).

    Args:
        input_shape: input image shape `(S, S, C)` (targets have the same
            size; `target_channels` channels, default C).
        tiny: small networks for tests.
        target_channels: channels of the targets.
        base_filters: 64 (8 when tiny).
        n_layers: PatchGAN strided layers (3 = 70x70 for >= 128 px; 2 = 34x34
            for 32-64 px; 1 = 16x16 below).
        norm: "batch" (paper; batch size 1 makes it instance norm) or "instance".
        l1_weight, adversarial_weight, dropout_at_inference: see `Pix2Pix`.
        dropout: U-Net decoder dropout (0.5).
        learning_rate, beta_1: Adam of both networks.
        seed: seed of the model's noise.
        **compile_kwargs: passed to `compile`.

    Returns:
        A compiled `Pix2Pix`.
    """
    if num_classes:
        raise ValueError("pix2pix is conditioned on input images, not labels: drop num_classes.")
    base = base_filters or (4 if tiny else 64)
    size = int(input_shape[0])
    target_shape = (*input_shape[:2], int(target_channels or input_shape[-1]))
    g = build_unet_generator(input_shape, target_shape[-1], base, max_filters=8 * base, dropout=dropout, norm=norm)
    d = build_patchgan_discriminator(target_shape, input_shape, base,
                                     n_layers if n_layers is not None else _patchgan_layers(size),
                                     max_filters=8 * base, norm=norm)
    model = Pix2Pix(g, d, l1_weight=l1_weight, adversarial_weight=adversarial_weight,
                    dropout_at_inference=dropout_at_inference, seed=seed)
    model.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
                  g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1), **compile_kwargs)
    return model
