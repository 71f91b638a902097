"""Image-to-image benchmark: pix2pix's ablation, CycleGAN's label survival, x4 super-resolution (offline data).

- pix2pix on `edges2digits` (10 % of the pairs held out): L1, PSNR, SSIM of
  L1 only / cGAN only / L1 + cGAN (Isola et al., Table 1), and the shipped
  digit classifier's accuracy on the translated images against its accuracy
  on the real targets (the FCN-score idea).
- CycleGAN on `digits2inverted`: the classifier's accuracy on translated
  digits (A -> B outputs negated back: it reads light strokes on a dark
  background), and the cycle reconstruction error F(G(a)) vs a.
- x4 super-resolution on held-out digits (`sr:x4`, 16 px; `sr:x4:mnist7k`, the
  shared MNIST sample at 16 px) and photo patches
  (trained on 32 px patches of the photos' left two thirds, `sr:x4:photos:train`;
  held out: 96 px patches of their right third, `sr:x4:photos:test`, which no
  training patch overlaps; `--sr-photo-test rows` gives the earlier random-row
  split): PSNR / SSIM of bicubic, SRResNet (MSE) and SRGAN (digit-feature
  perceptual content + 1e-3 adversarial, from the SRResNet), whole-image and
  by Ledig et al.'s protocol (Y channel, 4 px border removed), and the
  digit-classifier feature distance; beside them an SRResNet trained on MSE for
  SRGAN's extra steps (the control), and SRGAN minus each SRResNet per image
  (mean and standard error on the same held-out images).

Budget: `--steps` optimizer steps per model (batch 16; `--pix2pix-steps`,
`--cyclegan-steps`, `--sr-steps` override it per task; SRGAN trains half
the SR steps more, from its SRResNet), one TF thread (`--threads`). The
README's table, one command per task:

    PYTHONPATH=. nice -n 10 python tests/benchmarks/image_to_image.py --only pix2pix --pix2pix-steps 400
    PYTHONPATH=. nice -n 10 python tests/benchmarks/image_to_image.py --only cyclegan --cyclegan-steps 600
    PYTHONPATH=. nice -n 10 python tests/benchmarks/image_to_image.py --only sr --sr-steps 2000 --sr-lr 1e-3

and the README's 3-seed pix2pix rows and decayed-rate SR rows:

    PYTHONPATH=. nice -n 5 python tests/benchmarks/image_to_image.py --only pix2pix --pix2pix-steps 4000 --pix2pix-seeds 3
    PYTHONPATH=. nice -n 5 python tests/benchmarks/image_to_image.py --only sr --sr-steps 16000 --sr-lr 1e-3 --sr-decay
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _fit(model, ds, steps):
    start = time.time()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    return round(time.time() - start, 1)


def pix2pix(args, rows):
    import keras
    import numpy as np

    from kgen import zoo
    from kgen.data import paired
    from kgen.models.translation import metrics

    data = paired.load_pairs(args.pix2pix_data)
    train, test = data.split(0.1, seed=0)
    task = f"pix2pix {args.pix2pix_data}"
    if test.labels is None:
        # mnist7k has no labels: the classifier's reading of each real target stands in for it, as Isola et
        # al.'s FCN score compares against labels; the score is then agreement with that reading (real = 100 %).
        from kgen.features import get_extractor

        test.labels = np.asarray(get_extractor("digits").probabilities(test.b)).argmax(-1)
    real_acc = metrics.classifier_accuracy(test.b, test.labels)
    per_model = {}
    for seed in range(args.pix2pix_seed_start, args.pix2pix_seed_start + args.pix2pix_seeds):
        # Seeds interleaved over the three objectives: load drift hits each alike.
        for name, (l1w, adv) in {"L1": (100.0, 0.0), "cGAN": (0.0, 1.0), "L1+cGAN": (100.0, 1.0)}.items():
            keras.utils.set_random_seed(seed)
            model = zoo.build("pix2pix", tuple(train.a.shape[1:]), base_filters=args.width, l1_weight=l1w,
                              adversarial_weight=adv, seed=seed)
            ds = paired.pair_dataset(train, batch_size=16, seed=seed, augment="jitter", repeat=True)
            secs = _fit(model, ds, args.pix2pix_steps)
            out = metrics.translate_all(model, test.a)
            # Isola et al. keep dropout on at test time (their only noise): the same models scored that way.
            # Averaged over `--dropout-draws` masks: one draw's score moves by whole digits of the 180.
            keras.utils.set_random_seed(seed)
            noisy = [metrics.translate_all(model, test.a, keep_dropout=True) for _ in range(args.dropout_draws)]
            row = {"task": task, "model": name, "seed": seed, "L1": metrics.l1(out, test.b),
                   "PSNR": metrics.psnr(out, test.b), "SSIM": metrics.ssim(out, test.b),
                   "classifier_acc": metrics.classifier_accuracy(out, test.labels),
                   "classifier_acc_real": real_acc,
                   "PSNR_test_dropout": float(np.mean([metrics.psnr(x, test.b) for x in noisy])),
                   "classifier_acc_test_dropout": float(np.mean([metrics.classifier_accuracy(x, test.labels)
                                                                 for x in noisy])), "train_s": secs}
            rows.append(row)
            per_model.setdefault(name, []).append(row)
            print(row, flush=True)
    if args.pix2pix_seeds > 1:
        for name, runs in per_model.items():
            summary = {"task": task, "model": name, "seeds": len(runs)}
            for key in ("L1", "PSNR", "SSIM", "classifier_acc", "PSNR_test_dropout", "classifier_acc_test_dropout"):
                values = np.array([r[key] for r in runs])
                summary[key], summary[key + "_sd"] = float(values.mean()), float(values.std(ddof=1))
            rows.append(summary)
            print(summary, flush=True)
        # Paired by seed (same init seed, data order and test set), so the seed-to-seed spread cancels.
        for other in ("L1", "cGAN"):
            for key in ("PSNR", "classifier_acc", "classifier_acc_test_dropout"):
                diff = np.array([a[key] - b[key] for a, b in zip(per_model["L1+cGAN"], per_model[other])])
                summary = {"task": task, "model": f"L1+cGAN - {other}", "metric": key,
                           "mean": float(diff.mean()), "sd": float(diff.std(ddof=1)),
                           "t": float(diff.mean() / (diff.std(ddof=1) / np.sqrt(len(diff)) + 1e-12)),
                           "wins": int((diff > 0).sum()), "ties": int((diff == 0).sum()), "seeds": len(diff)}
                rows.append(summary)
                print(summary, flush=True)


def cyclegan(args, rows):
    import keras

    from kgen import zoo
    from kgen.data import paired
    from kgen.models.translation import metrics

    data = paired.load_pairs("digits2inverted")
    train, test = data.split(0.1, seed=0)
    keras.utils.set_random_seed(0)
    model = zoo.build("cyclegan", (16, 16, 1), base_filters=args.cyclegan_width, n_blocks=6,
                      n_layers=args.cyclegan_d_layers, n_downsampling=args.cyclegan_downsampling,
                      identity_weight=args.cyclegan_identity,
                      total_steps=args.cyclegan_steps, seed=0)
    secs = _fit(model, paired.pair_dataset(train, batch_size=16, seed=0, augment="jitter", repeat=True),
                args.cyclegan_steps)
    fake_b = metrics.translate_all(model, test.a, direction="a2b")
    cycled = metrics.translate_all(model, fake_b, direction="b2a")
    fake_a = metrics.translate_all(model, test.b, direction="b2a")
    rows.append({"task": "cyclegan digits2inverted", "model": "CycleGAN",
                 "label_kept_a2b": metrics.classifier_accuracy(-fake_b, test.labels),
                 "label_kept_b2a": metrics.classifier_accuracy(fake_a, test.labels_b),
                 "classifier_acc_real": metrics.classifier_accuracy(test.a, test.labels),
                 "cycle_L1": metrics.l1(cycled, test.a), "train_s": secs})
    print(rows[-1], flush=True)


def _rate(rate, steps, decay):
    """A constant Adam rate, or (`--sr-decay`) one decayed linearly to 1 % of it over `steps`."""
    import keras

    return keras.optimizers.schedules.PolynomialDecay(rate, steps, rate * 0.01) if decay else rate


def _paired_difference(a, b):
    """Mean and standard error of per-image differences a - b (the same held-out images)."""
    import numpy as np

    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def super_resolution(args, rows):
    import keras
    import numpy as np

    from kgen import zoo
    from kgen.data import paired
    from kgen.models.translation import bicubic_upsample, downsample, metrics

    sizes = {"sr:x4": 16, "sr:x4:mnist7k": 16, "sr:x4:photos": 32}
    for spec in args.sr_data.split(","):
        size = sizes.get(spec, 16)
        if "photos" in spec and args.sr_photo_test == "part":
            # Trained on 32 px patches of the photos' left two thirds; held out: patches of the right third,
            # of Ledig et al.'s 96 px crop size (a 32 px patch's mean PSNR is ruled by flat sky ones).
            train = paired.load_pairs(spec + ":train", image_size=size)
            test_hr = paired.load_pairs(spec + ":test", image_size=args.sr_photo_test_size).a[:200]
        else:  # "rows": random patch rows held out (they overlap training patches); the digits' split
            train, test = paired.load_pairs(spec, image_size=size).split(0.1, seed=0)
            test_hr = test.a[:300]
        low = np.asarray(downsample(test_hr, 4))
        keras.utils.set_random_seed(0)
        shape = train.a.shape[1:]
        sr = zoo.build("srresnet", shape, filters=args.width, n_blocks=args.sr_blocks,
                       learning_rate=_rate(args.sr_lr, args.sr_steps, args.sr_decay), seed=0)
        ds = paired.pair_dataset(train, batch_size=16, seed=0, augment="flip" if "photos" in spec else None,
                                 repeat=True)
        secs = _fit(sr, ds, args.sr_steps)
        gan_steps = args.srgan_steps or max(args.sr_steps // 2, 1)
        gan = zoo.build("srgan", shape, filters=args.width, n_blocks=args.sr_blocks, srresnet=sr,
                        learning_rate=_rate(args.srgan_lr, gan_steps, args.sr_decay), seed=0)
        gan_secs = _fit(gan, ds, gan_steps)
        # The control Ledig et al. need not run (their SRResNet is converged): the same SRResNet trained on
        # MSE for SRGAN's extra steps at SRGAN's rate, so that SRGAN's lead or lag is not its extra training.
        more = zoo.build("srresnet", shape, filters=args.width, n_blocks=args.sr_blocks,
                         learning_rate=_rate(args.srgan_lr, gan_steps, args.sr_decay), seed=0)
        more.generator.set_weights(sr.generator.get_weights())
        more_secs = _fit(more, ds, gan_steps)
        outputs = {}
        for name, out, t in (("bicubic", np.asarray(bicubic_upsample(low, 4)), 0.0),
                             ("SRResNet", metrics.translate_all(sr, low), secs),
                             (f"SRResNet +{gan_steps} MSE steps", metrics.translate_all(more, low), secs + more_secs),
                             ("SRGAN", metrics.translate_all(gan, low), secs + gan_secs)):
            outputs[name] = out
            # Ledig et al.'s protocol beside the whole-image figures: Y channel, a 4 px border removed.
            rows.append({"task": f"x4 SR {spec}", "model": name, "test_size": int(test_hr.shape[1]),
                         "PSNR": metrics.psnr(out, test_hr), "SSIM": metrics.ssim(out, test_hr),
                         "PSNR_Y_crop4": metrics.psnr(out, test_hr, crop=4, on_luminance=True),
                         "SSIM_Y_crop4": metrics.ssim(out, test_hr, crop=4, on_luminance=True),
                         "feature_distance": metrics.feature_distance(out, test_hr), "train_s": t})
            print(rows[-1], flush=True)
        per_image = {name: (metrics.psnr(out, test_hr, per_image=True),
                            metrics.feature_distance(out, test_hr, per_image=True))
                     for name, out in outputs.items()}
        for other in ("SRResNet", f"SRResNet +{gan_steps} MSE steps"):
            (dp, sp), (df, sf) = (_paired_difference(per_image["SRGAN"][k], per_image[other][k]) for k in (0, 1))
            rows.append({"task": f"x4 SR {spec}", "model": f"SRGAN minus {other}, per image",
                         "PSNR": dp, "PSNR_se": sp, "feature_distance": df, "feature_distance_se": sf})
            print(rows[-1], flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=300, help="optimizer steps per model (SRGAN: half, after SRResNet)")
    p.add_argument("--width", type=int, default=32, help="base filters (64 in the papers)")
    p.add_argument("--sr-blocks", type=int, default=4, help="SRResNet residual blocks (16 in the paper)")
    p.add_argument("--pix2pix-steps", type=int, default=None, help="pix2pix's steps (default: --steps)")
    p.add_argument("--pix2pix-data", default="edges2digits",
                   help="pix2pix pairs: edges2digits (labelled) or edges2digits:mnist7k (scored against the "
                        "classifier's reading of each real target)")
    p.add_argument("--pix2pix-seed-start", type=int, default=0, help="first pix2pix seed (to split seeds over processes)")
    p.add_argument("--pix2pix-seeds", type=int, default=1,
                   help="pix2pix runs per objective (seeds 0..N-1: init, noise, data order); N > 1 adds mean "
                        "and sd rows")
    p.add_argument("--dropout-draws", type=int, default=1,
                   help="dropout masks averaged in the test-time-dropout scores (Isola et al.'s protocol)")
    p.add_argument("--cyclegan-steps", type=int, default=None, help="CycleGAN's steps (default: --steps)")
    p.add_argument("--sr-steps", type=int, default=None, help="SRResNet's steps (default: --steps)")
    p.add_argument("--cyclegan-width", type=int, default=16, help="CycleGAN's base filters (64 in the paper)")
    p.add_argument("--cyclegan-d-layers", type=int, default=None,
                   help="PatchGAN strided layers (default: the builder's, 1 at 16 px: a 16x16 receptive field)")
    p.add_argument("--cyclegan-identity", type=float, default=0.0,
                   help="identity loss weight, times lambda (0: the paper's Eq. 3; its 0.5 of Sec. 5.2 asks G to leave "
                        "inverted digits unchanged, which fights the inversion it must learn)")
    p.add_argument("--cyclegan-downsampling", type=int, default=None,
                   help="generator stride-2 convolutions (default: the builder's, 1 at 16 px; the paper's 2)")
    p.add_argument("--sr-lr", type=float, default=1e-4, help="Adam rate of SRResNet and SRGAN (1e-4 in the paper)")
    p.add_argument("--srgan-steps", type=int, default=None,
                   help="SRGAN's steps from its SRResNet (default: half the SR steps; the control SRResNet gets as many)")
    p.add_argument("--srgan-lr", type=float, default=1e-4, help="Adam rate of SRGAN, from its SRResNet (paper: 1e-4)")
    p.add_argument("--sr-decay", action="store_true",
                   help="decay both SR rates linearly to 1 %% over their steps (Ledig et al. step SRGAN's 1e-4 "
                        "down to 1e-5; at a reduced budget the decay buys the final precision)")
    p.add_argument("--sr-data", default="sr:x4,sr:x4:mnist7k,sr:x4:photos",
                   help="super-resolution sources: the embedded digits, the shared MNIST sample (7,000 digits, "
                        "16 px) and the sample photos")
    p.add_argument("--sr-photo-test", choices=("part", "rows"), default="part",
                   help="photo SR held out: 'part' (the photos' right third, never trained on) or 'rows' "
                        "(10 %% of the random 32 px patches, which overlap training ones: the README's earlier rows)")
    p.add_argument("--sr-photo-test-size", type=int, default=96,
                   help="held-out photo patch size with --sr-photo-test part (96: Ledig et al.'s crops)")
    p.add_argument("--threads", type=int, default=1, help="TF intra- and inter-op threads")
    p.add_argument("--only", default="pix2pix,cyclegan,sr")
    p.add_argument("--out", default=None, help="JSON file for the rows")
    args = p.parse_args(argv)
    for name in ("pix2pix_steps", "cyclegan_steps", "sr_steps"):
        if getattr(args, name) is None:
            setattr(args, name, args.steps)
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    rows = []
    parts = args.only.split(",")
    start = time.time()
    if "pix2pix" in parts:
        pix2pix(args, rows)
    if "cyclegan" in parts:
        cyclegan(args, rows)
    if "sr" in parts:
        super_resolution(args, rows)
    print(f"total {time.time() - start:.0f} s, {vars(args)}")
    if args.out:
        Path(args.out).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
