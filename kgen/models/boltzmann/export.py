"""Edge export of an RBM: the bundle, gated on the chain's state after k Gibbs steps, not on one step.

`kgen.export.export_model` writes the bundle (SavedModel + LiteRT variants of
`generate`, `gibbs_step`, `features`) and compares each variant with the
SavedModel on one call. A sampler on a device loops `gibbs_step` (as
`export/kgen_litert.py`'s `gibbs_chain` does), and a unit flipped by a
quantization error changes every later step, so `export_rbm` also runs the
loop around the SavedModel signature and around each variant's LiteRT
`gibbs_step` from the SAME start states with the SAME uniform noise at every
step, and records, per step count k, the PSNR of `images` (`E[v | h]`) after
k steps against the SavedModel chain and the fraction of visible units whose
sampled states agree. The gate is the PSNR at the largest k.
"""

import json
from pathlib import Path

import numpy as np

from kgen.export import bundle as bundle_lib
from kgen.export import fidelity
from kgen.export.runtime import LiteRTModel

#: PSNR (SNR for Gaussian units) floors (dB) of `images` after the largest k steps, against the SavedModel chain.
#: Measured (tests/models/boltzmann/test_rbm_export.py, 16 chains x 100 steps): float32 and
#: float16 chains stay identical to the SavedModel's (PSNR capped); int8 chains drift apart
#: as units flip, so its floor only catches a broken conversion.
DEFAULT_CHAIN_FLOORS_DB = {"float32": 40.0, "float16": 30.0, "dynamic": 15.0, "int8": 8.0, "int8_io": 8.0}


def gibbs_loop(step, start, steps, seed, num_hidden, gaussian=False):
    """Run `max(steps)` Gibbs steps of `step(visible, hidden_noise, visible_noise) -> outputs`.

    The noise is drawn with `numpy.random.default_rng(seed)` in
    `export/kgen_litert.py`'s order (hidden, then visible, per step), so
    every caller with the same seed and start sees the same draws.

    Returns:
        {k: (images, visible)} after each k in `steps`.
    """
    rng = np.random.default_rng(seed)
    v = np.asarray(start, np.float32)
    n, d = len(v), int(np.prod(v.shape[1:]))
    kept, wanted = {}, set(int(k) for k in steps)
    for t in range(1, max(wanted) + 1):
        hn = rng.uniform(0.0, 1.0, (n, num_hidden)).astype(np.float32)
        vn = (rng.standard_normal((n, d)) if gaussian else rng.uniform(0.0, 1.0, (n, d))).astype(np.float32)
        out = step(v, hn, vn)
        v = np.asarray(out["visible"], np.float32)
        if t in wanted:
            kept[t] = (np.asarray(out["images"], np.float32), v)
    return kept


def export_rbm(model, out_dir, quantize=("float32", "float16", "int8"), steps=(1, 10, 100), n=16, seed=0,
               images=None, floors=None, gate=True, calibration_samples=200, **export_kwargs):
    """Export an RBM and measure every variant on the chain after k Gibbs steps.

    Args:
        model: a `kgen.models.RBM`.
        out_dir: bundle folder.
        quantize: LiteRT variants.
        steps: step counts at which the chains are compared (the gate uses the largest).
        n: chains (one batch).
        seed: seed of the start states and of the per-step noise (shared by every variant).
        images: real images for int8 calibration of `gibbs_step` / `features` (None: the prior's draws).
        floors: PSNR floors overriding `DEFAULT_CHAIN_FLOORS_DB`.
        gate: raise `kgen.export.FidelityError` when a variant's chain is below its floor.
        calibration_samples: int8 calibration draws.
        **export_kwargs: passed to `kgen.export.export_model` (latency_runs, ...).

    Returns:
        The report dict; report.json gains a "chain" entry:
        `{"steps", "n", "variants": {variant: {"kind": "PSNR" (binary units) or "SNR" (Gaussian),
        "images_db": {k: dB}, "unit_agreement": {k: fraction}, "floor_db", "passed"}}}`.

    Example:
        >>> report = export_rbm(rbm, "bundle", steps=(1, 10, 100))
        >>> report["chain"]["variants"]["int8"]["images_db"]["100"]
    """
    import tensorflow as tf

    steps = sorted(int(k) for k in steps)
    if not steps or steps[0] < 1:
        raise ValueError(f"expected step counts >= 1. Received: steps={steps}")
    report = bundle_lib.export_model(model, out_dir, quantize=quantize, calibration_data=images, gate=False,
                                     calibration_samples=calibration_samples, seed=seed, **export_kwargs)
    out = Path(out_dir)
    signature = tf.saved_model.load(str(out / "saved_model")).signatures["gibbs_step"]
    start = model.prior["visible"].numpy_sample(n, np.random.default_rng(seed))
    gaussian = model.visible == "gaussian"
    value_range = (0.0, 1.0) if not gaussian else None

    def chain(step):
        return gibbs_loop(step, start, steps, seed + 1, model.num_hidden, gaussian)

    reference = chain(lambda v, hn, vn: {k: t.numpy() for k, t in signature(
        visible=tf.constant(v), hidden_noise=tf.constant(hn), visible_noise=tf.constant(vn)).items()})
    floors = {**DEFAULT_CHAIN_FLOORS_DB, **(fidelity.parse_floors(floors) if isinstance(floors, str) else
                                            (floors or {}))}
    summary = {"steps": steps, "n": int(n), "seed": int(seed), "variants": {}}
    failures = []
    for variant in report["variants"]:
        entry = report["endpoints"]["gibbs_step"]["variants"].get(variant, {})
        if "error" in entry:
            failures.append(f"gibbs_step/{variant}: {entry['error']}")
            continue
        runner = LiteRTModel(out / bundle_lib.tflite_filename("gibbs_step", variant), num_threads=1)
        got = chain(lambda v, hn, vn: runner(visible=v, hidden_noise=hn, visible_noise=vn))
        figures = {"kind": "PSNR" if value_range else "SNR", "images_db": {}, "unit_agreement": {},
                   "floor_db": floors.get(variant)}
        for k in steps:
            ref_images, ref_v = reference[k]
            images_k, v_k = got[k]
            figures["images_db"][str(k)] = float(fidelity.compare(ref_images, images_k, value_range)["fidelity_db"])
            figures["unit_agreement"][str(k)] = float(np.mean(np.isclose(ref_v, v_k, atol=1e-3)))
        worst = figures["images_db"][str(steps[-1])]
        figures["passed"] = figures["floor_db"] is None or worst >= figures["floor_db"]
        if not figures["passed"]:
            failures.append(f"gibbs_step/{variant}: {figures['kind']} {worst:.1f} dB of the chain after {steps[-1]} Gibbs "
                            f"steps (same start and noise as the SavedModel's) is below the floor of "
                            f"{figures['floor_db']:g} dB")
        summary["variants"][variant] = figures
    report["chain"] = summary
    # The one-call figures stay in the report; the gate is the chain after k steps.
    report["one_step_failures"] = report.get("failures", [])
    report["failures"] = failures
    report["passed"] = not failures
    (out / "report.json").write_text(json.dumps(report, indent=2, default=float))
    if gate and failures:
        raise bundle_lib.FidelityError("RBM export gate failed:\n  " + "\n  ".join(failures) +
                                       "\nLower a floor with floors={'int8': dB} or export another variant.",
                                       report)
    return report
