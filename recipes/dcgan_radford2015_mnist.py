"""DCGAN (Radford et al., 2015) on MNIST from a .npz file (e.g. ../shared/data/mnist7k.npz).

https://arxiv.org/abs/1511.06434 — same setup as dcgan_radford2015_digits.py
(see its docstring), with 28x28 MNIST resized to 32x32.

Usage:
    python recipes/dcgan_radford2015_mnist.py --npz ../shared/data/mnist7k.npz
    python recipes/dcgan_radford2015_mnist.py --npz ../shared/data/mnist7k.npz --smoke
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dcgan_radford2015_digits as digits  # noqa: E402


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--npz" in argv:
        i = argv.index("--npz")
        argv[i] = "--data"
    else:
        default = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist7k.npz")
        argv += ["--data", default]
    if "--run-dir" not in argv:
        argv += ["--run-dir", "runs/dcgan_radford2015_mnist"]
    return digits.main(argv)


if __name__ == "__main__":
    sys.exit(main())
