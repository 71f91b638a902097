"""Context encoder (Pathak et al., 2016) on MNIST: inpaint the masked centre, L2 + adversarial loss.

https://arxiv.org/abs/1604.07379

Setup, as kgen builds it:
- ../shared/data/mnist7k.npz resized to 32x32 (the DCGAN discriminator needs
  a power of two), the centre 16x16 square (half the side, as in the paper)
  set to 0 (the data mean of [-1, 1]);
- generator: strided-conv encoder to a 128-d bottleneck (the representation)
  and a transposed-conv decoder; the inpainted centre is pasted into the context;
- loss: 999 x squared error of the inpainted region (lambda_rec = 0.999,
  lambda_adv = 0.001 in the paper) + the non-saturating adversarial loss of a
  DCGAN discriminator (no batch norm) on whole images, on kgen's GAN engine;
- Adam 2e-4 (beta_1 0.5), batch 64;
- evaluation: a linear probe on the bottleneck features.

Usage:
    python recipes/inpainting_pathak2016_mnist.py
    python recipes/inpainting_pathak2016_mnist.py --data digits --image-size 16
    python recipes/inpainting_pathak2016_mnist.py --smoke
"""

import sys

import _representation_recipe as common


def main(argv=None):
    args = common.parse(__doc__, argv, data="mnist", image_size=32, epochs=20)
    return common.run_pretext(args, "context_encoder", args.run_dir or "runs/inpainting_pathak2016",
                              lambda h: f"reconstruction loss (train): {h['reconstruction_loss'][-1]:.4f}", "inpainted")


if __name__ == "__main__":
    sys.exit(main())
