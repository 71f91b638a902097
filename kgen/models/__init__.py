"""kgen models, grouped by family; each sub-package's `__init__` lists what it offers.

- `kgen.models.core`: the contract every model keeps (`GenerativeModel`, endpoints, the update routine).
- `kgen.models.gan`: the GAN engine and its variants, penalties and tricks.
- `kgen.models.autoencoders`: deterministic autoencoders.
- `kgen.models.vae`: variational autoencoders.
- `kgen.models.language`: character-level language models (char-RNN).
- `kgen.models.diffusion`: denoising diffusion (DDPM; DDPM and DDIM samplers).

Importing a family registers its models with Keras (`package="kgen"`) and
its builders with `kgen.zoo`.
"""

from kgen.models import autoencoders, core, gan, language, vae
from kgen.models.autoencoders import *  # noqa: F401,F403
from kgen.models.core import Endpoint, GenerativeModel, TensorSpec
from kgen.models.gan import *  # noqa: F401,F403
from kgen.models.language import *  # noqa: F401,F403
from kgen.models.vae import *  # noqa: F401,F403

__all__ = ["Endpoint", "GenerativeModel", "TensorSpec", "autoencoders", "core", "gan", "language", "vae",
           *autoencoders.__all__, *gan.__all__, *language.__all__, *vae.__all__]
from kgen.models import diffusion  # noqa: E402
from kgen.models.diffusion import *  # noqa: F401,F403,E402

__all__ += ["diffusion", *diffusion.__all__]
