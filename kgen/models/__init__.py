"""kgen models, grouped by family; each sub-package's `__init__` lists what it offers.

- `kgen.models.core`: the contract every model keeps (`GenerativeModel`, endpoints, the update routine).
- `kgen.models.gan`: the GAN engine and its variants, penalties and tricks.
- `kgen.models.autoencoders`: deterministic autoencoders.
- `kgen.models.vae`: variational autoencoders.
- `kgen.models.language`: character-level language models (char-RNN).
- `kgen.models.boltzmann`: restricted Boltzmann machines, deep belief networks, AIS.
- `kgen.models.representation`: self-supervised pretext tasks, the M2 semi-supervised VAE, DANN.
- `kgen.models.diffusion`: denoising diffusion (DDPM; DDPM and DDIM samplers).
- `kgen.models.translation`: image-to-image translation (pix2pix, CycleGAN, SRResNet / SRGAN).

Importing a family registers its models with Keras (`package="kgen"`) and
its builders with `kgen.zoo`.
"""

from kgen.models import autoencoders, boltzmann, core, diffusion, gan, language, representation, translation, vae
from kgen.models.autoencoders import *  # noqa: F401,F403
from kgen.models.boltzmann import *  # noqa: F401,F403
from kgen.models.core import Endpoint, GenerativeModel, TensorSpec
from kgen.models.diffusion import *  # noqa: F401,F403
from kgen.models.gan import *  # noqa: F401,F403
from kgen.models.language import *  # noqa: F401,F403
from kgen.models.representation import *  # noqa: F401,F403
from kgen.models.translation import *  # noqa: F401,F403
from kgen.models.vae import *  # noqa: F401,F403

__all__ = ["Endpoint", "GenerativeModel", "TensorSpec", "autoencoders", "boltzmann", "core", "diffusion", "gan",
           "language", "representation", "translation", "vae", *autoencoders.__all__, *boltzmann.__all__,
           *diffusion.__all__, *gan.__all__, *language.__all__, *representation.__all__, *translation.__all__,
           *vae.__all__]
