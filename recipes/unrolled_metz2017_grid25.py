"""Unrolled GAN (Metz et al., 2017) on the 25-Gaussian grid: `unrolled_metz2017_ring8.py --data grid25`.

https://arxiv.org/abs/1611.02163 — same hyperparameters as the ring recipe
(G: two ReLU layers of 128, D: one, latent 256, Adam(1e-4, beta_1=0.5), batch 512, k=5).

Usage:
    python recipes/unrolled_metz2017_grid25.py [--epochs 20]
    python recipes/unrolled_metz2017_grid25.py --smoke
"""

import sys

import unrolled_metz2017_ring8


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--data" not in argv:
        argv += ["--data", "grid25"]
    if "--run-dir" not in argv:
        argv += ["--run-dir", "runs/unrolled_metz2017_grid25"]
    return unrolled_metz2017_ring8.main(argv)


if __name__ == "__main__":
    sys.exit(main())
