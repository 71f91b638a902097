"""Benchmark: size, batch-1 latency and parity of every LiteRT variant against the TF SavedModel.

Trains (a few epochs on the offline digits, 16x16) a DCGAN generator with
transposed-conv and with resize-then-conv upsampling, and a convolutional VAE
whose decoder is exported; exports each with every variant; prints one table.
Latency: median of `--runs` batch-1 invocations, LiteRT with 1 and 2 threads,
the TF SavedModel signature called eagerly (TF's default thread pool).
PSNR: 10*log10(255^2/MSE) on pixel = (x - low) * 255 / (high - low), against
the SavedModel on the same 64 latents. FID: between 500 SavedModel samples and
500 variant samples from the same latents, on kgen's digit-classifier features.

Targets (issue 5): int8 file >= 3.5x smaller than float32; int8 PSNR >= 30 dB;
int8 latency (1 thread) no worse than float32.

    .venv/bin/python tests/benchmarks/export_latency.py [--epochs 10] [--runs 300] [--out /tmp/kgen_export_bench]
"""

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

VARIANTS = ("float32", "dynamic", "float16", "int8", "int8_io")


def train(name, epochs, seed, **kwargs):
    import keras

    from kgen import data, zoo

    keras.utils.set_random_seed(seed)
    builder = zoo.get(name)
    model = zoo.build(name, (16, 16, 1), seed=seed, **kwargs)
    dataset = data.load("digits", batch_size=64, image_size=16, scale=builder.scale, seed=seed)
    start = time.time()
    history = model.fit(dataset, epochs=epochs, verbose=0)
    last = {k: round(float(v[-1]), 3) for k, v in history.history.items()}
    print(f"trained {name} {kwargs} for {epochs} epochs in {time.time() - start:.0f}s: {last}",
          flush=True)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=300, help="latency runs per measurement")
    parser.add_argument("--out", default="/tmp/kgen_export_bench")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from kgen.export import export_model

    models = [
        ("dcgan (transpose)", "dcgan", {"upsample": "transpose"}),
        ("dcgan (resize)", "dcgan", {"upsample": "resize"}),
        ("conv_vae decoder", "conv_vae", {}),
    ]
    rows = []
    for label, name, kwargs in models:
        model = train(name, args.epochs, args.seed, **kwargs)
        out = Path(args.out) / label.split()[0] / (kwargs.get("upsample") or "default")
        report = export_model(model, out, quantize=VARIANTS, endpoints=None, parity_samples=64,
                              calibration_samples=200, latency_runs=args.runs, gate=False,
                              feature_extractor="digits", distribution_samples=500,
                              seed=args.seed)
        ep_name = "generate" if "generate" in report["endpoints"] else "decode"
        ep = report["endpoints"][ep_name]
        tf_ms = ep["saved_model"]["latency_ms"]["tf"]
        base = ep["variants"]["float32"]
        for variant in VARIANTS:
            v = ep["variants"][variant]
            rows.append({
                "model": label, "variant": variant, "size_kb": v.get("size_bytes", 0) / 1024,
                "ratio": base["size_bytes"] / v["size_bytes"] if v.get("size_bytes") else None,
                "psnr": v.get("psnr_db"), "max_err": v.get("max_abs_error"),
                "fid": v.get("fid_vs_float"),
                "ms1": v.get("latency_ms", {}).get("threads_1"),
                "ms2": v.get("latency_ms", {}).get("threads_2"), "tf_ms": tf_ms,
                "error": v.get("error"),
            })
        (Path(args.out) / f"{label.replace(' ', '_')}_report.json").write_text(
            json.dumps(report, indent=1))

    print("\n| model | variant | size (KB) | float32/size | PSNR vs SavedModel (dB) | max abs err "
          "| FID vs float (digits) | LiteRT 1 thread (ms) | LiteRT 2 threads (ms) | TF SavedModel (ms) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if r["error"]:
            print(f"| {r['model']} | {r['variant']} | failed: {r['error'][:80]} |||||||")
            continue
        print(f"| {r['model']} | {r['variant']} | {r['size_kb']:.1f} | {r['ratio']:.2f}x | "
              f"{r['psnr']:.1f} | {r['max_err']:.2e} | {r['fid']:.4f} | {r['ms1']:.3f} | {r['ms2']:.3f} | "
              f"{r['tf_ms']:.3f} |")
    print("\nTargets (int8 vs float32):")
    for label, *_ in models:
        f32 = next(r for r in rows if r["model"] == label and r["variant"] == "float32")
        i8 = next(r for r in rows if r["model"] == label and r["variant"] == "int8")
        if i8["error"]:
            print(f"  {label}: int8 failed ({i8['error'][:80]})")
            continue
        print(f"  {label}: size {i8['ratio']:.2f}x smaller (target >= 3.5x: "
              f"{'met' if i8['ratio'] >= 3.5 else 'MISSED'}); PSNR {i8['psnr']:.1f} dB (target >= 30: "
              f"{'met' if i8['psnr'] >= 30 else 'MISSED'}); latency {i8['ms1']:.3f} vs "
              f"{f32['ms1']:.3f} ms (1 thread, {f32['ms1'] / i8['ms1']:.2f}x; target int8 <= float32: "
              f"{'met' if i8['ms1'] <= f32['ms1'] else 'MISSED'})")


if __name__ == "__main__":
    main()
