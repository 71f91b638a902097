"""RBM trained by persistent contrastive divergence, PCD (Tieleman 2008), on binarized MNIST.

https://doi.org/10.1145/1390156.1390290

Setup, as kgen builds it: as `rbm_hinton2002_mnist.py` (784-500, SGD 0.05, momentum
0.5, weight decay 2e-4, batches of 100), except the negative phase: 100 persistent
chains (one per batch row) advanced `--k` Gibbs steps per update and never reset;
they are a non-trainable weight of the model, saved with it and by checkpoints. The
learning rate decays linearly to 0 over the run (Tieleman's schedule; `--lr-decay none`
keeps it constant): the chains catch up with a slowing model.

Usage:
    python recipes/rbm_tieleman2008_mnist.py --epochs 20
    python recipes/rbm_tieleman2008_mnist.py --smoke
"""

import sys

import rbm_hinton2002_mnist as cd


def main(argv=None):
    return cd.main(argv, persistent=True, name="rbm_tieleman2008", lr_decay="linear", doc=__doc__)


if __name__ == "__main__":
    sys.exit(main())
