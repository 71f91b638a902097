"""kgen models, grouped by family; each sub-package's `__init__` lists what it offers.

- `kgen.models.core`: the contract every model keeps (`GenerativeModel`, endpoints, the update routine).
- `kgen.models.gan`: the GAN engine and its variants, penalties and tricks.
- `kgen.models.autoencoders`: deterministic autoencoders.
- `kgen.models.vae`: variational autoencoders.
- `kgen.models.language`: character-level language models (char-RNN).
- `kgen.models.boltzmann`: restricted Boltzmann machines, deep belief networks, AIS.
- `kgen.models.representation`: self-supervised pretext tasks, the M2 semi-supervised VAE, DANN.

Importing a family registers its models with Keras (`package="kgen"`) and
its builders with `kgen.zoo`.
"""

from kgen.models import autoencoders, boltzmann, core, gan, language, representation, vae
from kgen.models.autoencoders import *  # noqa: F401,F403
from kgen.models.boltzmann import *  # noqa: F401,F403
from kgen.models.core import Endpoint, GenerativeModel, TensorSpec
from kgen.models.gan import *  # noqa: F401,F403
from kgen.models.language import *  # noqa: F401,F403
from kgen.models.representation import *  # noqa: F401,F403
from kgen.models.vae import *  # noqa: F401,F403
from kgen.models import translation  # noqa: E402  (image-to-image: pix2pix, CycleGAN, SRGAN)

__all__ = ["Endpoint", "GenerativeModel", "TensorSpec", "autoencoders", "boltzmann", "core", "gan", "language",
           "representation", "vae", *autoencoders.__all__, *boltzmann.__all__, *gan.__all__, *language.__all__,
           *representation.__all__, *vae.__all__]
