"""Network builders: functional Keras models that kgen models are built from."""

from kgen.networks.dcgan import build_dcgan_discriminator, build_dcgan_generator

__all__ = ["build_dcgan_generator", "build_dcgan_discriminator"]
from kgen.networks.mlp import build_mlp_discriminator, build_mlp_generator  # noqa: E402

__all__ += ["build_mlp_generator", "build_mlp_discriminator"]
from kgen.networks.projection import build_projection_discriminator  # noqa: E402

__all__ += ["build_projection_discriminator"]
from kgen.networks.char_rnn import CharRNNNetwork, build_char_rnn_network  # noqa: E402

__all__ += ["CharRNNNetwork", "build_char_rnn_network"]
from kgen.networks.translation import (build_patchgan_discriminator, build_resnet_generator,  # noqa: E402
                                       build_sr_discriminator, build_srresnet, build_unet_generator,
                                       patchgan_receptive_field)

__all__ += ["build_patchgan_discriminator", "build_resnet_generator", "build_sr_discriminator", "build_srresnet",
            "build_unet_generator", "patchgan_receptive_field"]

from kgen.networks.diffusion import SinusoidalEmbedding, SpatialSelfAttention, build_unet  # noqa: E402

__all__ += ["SinusoidalEmbedding", "SpatialSelfAttention", "build_unet"]
