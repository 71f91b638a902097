"""Edge export of a char-RNN: the `step` bundle, calibrated on real states, checked on logits and on text.

`kgen.export.export_model` writes the bundle (SavedModel + LiteRT variants +
metadata.json, whose `step` input `ids` carries the vocabulary) and checks
every variant's logits and states against the SavedModel (SNR floors).
`export_char_rnn` adds what a language model needs on top:

- int8 calibration and the parity batch use REAL inputs: a character of the
  text and the state the model reached reading the text up to it (a state
  drawn from N(0, 1) is not one the network ever sees);
- text parity per variant, on a held-out text: the agreement of the
  variant's greedy (argmax) next-character predictions with the Keras
  model's along the text (teacher forcing), and the greedy-decoded text of
  `greedy_length` characters from a prompt, compared with the Keras model's
  (identical, or the length of the common prefix).

The figures go into report.json under `"text"`.
"""

import json
from pathlib import Path

import numpy as np

from kgen.export import bundle as bundle_lib
from kgen.export.runtime import LiteRTModel

#: Least agreement of teacher-forced greedy predictions with the Keras model, per variant.
DEFAULT_AGREEMENT_FLOORS = {"float32": 0.999, "float16": 0.99, "dynamic": 0.95, "int8": 0.9, "int8_io": 0.9}


def real_step_inputs(model, ids, n=200, warmup=64, seed=0):
    """`n` real inputs of the step signature: a character and the state after reading the text before it.

    Each of `n` random (seeded) spots of the text is read for `warmup`
    characters from the zero state, and the next character is paired with
    the state reached; row 0 keeps the zero state (the start of a text).

    Returns:
        `{"ids": int32 (n,), "state": float32 (n, layers * units)}` (+ `"cell_state"` for an LSTM).
    """
    ids = np.asarray(ids, np.int32)
    warmup = int(min(warmup, len(ids) - 2))
    if warmup < 1:
        raise ValueError(f"expected a text of at least 3 characters. Received: {len(ids)}")
    starts = np.random.default_rng(seed).integers(0, len(ids) - warmup, n)
    chunk = ids[starts[:, None] + np.arange(warmup + 1)]
    _, state = model.network(chunk[:, :-1], model.network.zero_state(n), training=False)
    state = np.asarray(state).copy()
    state[0] = 0.0
    return {"ids": chunk[:, -1].astype(np.int32),
            **{k: np.asarray(v, np.float32) for k, v in model.network.split_state(state).items()}}


def zero_states(model, n):
    """The step signature's state inputs for `n` rows starting a text: zeros, by name."""
    return {k: np.asarray(v) for k, v in model.network.split_state(model.network.zero_state(n)).items()}


def _feedback(out, states):
    return {name: out[f"next_{name}"] for name in states}


def keras_greedy(model, prompt_ids, length):
    """Greedy continuation of a prompt with the Keras model (ids)."""
    return model.sample_ids(np.asarray(prompt_ids)[None], length, temperature=0.0)[0]


def litert_greedy(runner, model, prompt_ids, length):
    """Greedy continuation of a prompt with a LiteRT `step` runner, one character per call."""
    states = zero_states(model, 1)
    logits = None
    for i in prompt_ids:
        out = runner(ids=np.asarray([i], np.int32), **states)
        logits, states = out["logits"], _feedback(out, states)
    drawn = []
    for _ in range(int(length)):
        nxt = int(np.argmax(logits[0]))
        drawn.append(nxt)
        out = runner(ids=np.asarray([nxt], np.int32), **states)
        logits, states = out["logits"], _feedback(out, states)
    return np.asarray(drawn, np.int32)


def _teacher_forced_argmax(step, ids, tracks, model):
    """Argmax predictions along `tracks` rows of a text, one `step(ids=..., **states)` call per character."""
    rows = ids[: len(ids) // tracks * tracks].reshape(tracks, -1)
    states = zero_states(model, tracks)
    preds = []
    for t in range(rows.shape[1] - 1):
        out = step(ids=rows[:, t].astype(np.int32), **states)
        states = _feedback(out, states)
        preds.append(np.argmax(out["logits"], axis=-1))
    return np.stack(preds, axis=1), rows[:, 1:]


def text_parity(model, bundle_dir, variants, ids, prompt=None, greedy_length=200, tracks=8, chars=2000):
    """Compare each LiteRT variant of a bundle with the Keras model on text.

    Args:
        model: the `CharRNN`.
        bundle_dir: a bundle written for it.
        variants: variant names to compare.
        ids: a held-out id stream (teacher-forced agreement over `chars` of it).
        prompt: prompt of the greedy decoding (default: the model's default prompt).
        greedy_length: characters of greedy decoding.
        tracks: parallel rows of the teacher-forced pass.

    Returns:
        `{variant: {"agreement", "greedy_identical", "greedy_common_prefix", "greedy_text"}, "keras": ...}`.
    """
    prompt = prompt or model.default_prompt()
    prompt_ids = model.encode(prompt)
    ids = np.asarray(ids, np.int32)[: int(chars)]
    want = keras_greedy(model, prompt_ids, greedy_length)

    def keras_step(ids, **states):
        return {k: np.asarray(v) for k, v in model.network.step_split(ids, **states).items()}

    reference, _ = _teacher_forced_argmax(keras_step, ids, tracks, model)
    result = {"keras": {"greedy_text": prompt + model.decode(want)}, "prompt": prompt,
              "greedy_length": int(greedy_length), "agreement_characters": int(reference.size)}
    for variant in variants:
        path = Path(bundle_dir) / bundle_lib.tflite_filename("step", variant)
        if not path.exists():
            continue
        preds, _ = _teacher_forced_argmax(LiteRTModel(path), ids, tracks, model)
        single = LiteRTModel(path)
        got = litert_greedy(single, model, prompt_ids, greedy_length)
        same = got == want
        prefix = int(np.argmin(same)) if not same.all() else int(len(same))
        result[variant] = {"agreement": float(np.mean(preds == reference)),
                           "greedy_identical": bool(same.all()), "greedy_common_prefix": prefix,
                           "greedy_text": prompt + model.decode(got)}
    return result


def export_char_rnn(model, out_dir, text_ids, quantize=bundle_lib.DEFAULT_VARIANTS, *, prompt=None,
                    greedy_length=200, calibration_samples=200, parity_samples=32, agreement_floors=None,
                    floors=None, gate=True, latency_runs=0, seed=0):
    """Export a `CharRNN` as a `step` bundle and verify every variant on logits and on text.

    Args:
        model: a trained `CharRNN`.
        out_dir: bundle folder.
        text_ids: ids of a text the model did not train on (the validation
            stream): calibration states, parity inputs and text parity.
        quantize: LiteRT variants.
        prompt: prompt of the greedy-decoding check.
        greedy_length: characters decoded greedily per variant.
        calibration_samples: real (character, state) pairs for int8 calibration.
        parity_samples: real pairs on which logits and states are compared.
        agreement_floors: least teacher-forced greedy agreement per variant
            (overrides `DEFAULT_AGREEMENT_FLOORS`).
        floors: SNR floors of `kgen.export.export_model`.
        gate: raise `kgen.export.FidelityError` (after writing) when a
            variant fails a floor, or float32 greedy text differs.
        latency_runs: batch-1 latency runs per variant (0: none).
        seed: seed of the parity batch.

    Returns:
        The report (also in `out_dir/report.json`), with a `"text"` section.

    Example:
        >>> report = export_char_rnn(model, "bundle", stream.validation, quantize=("float32", "int8"))
        >>> report["text"]["int8"]["agreement"]
    """
    text_ids = np.asarray(text_ids, np.int32)
    cal = real_step_inputs(model, text_ids, n=max(int(calibration_samples), int(parity_samples)), seed=seed)
    report = bundle_lib.export_model(model, out_dir, quantize=quantize, calibration_data=cal,
                                     calibration_samples=calibration_samples, parity_samples=parity_samples,
                                     floors=floors, gate=False, grids=False, latency_runs=latency_runs,
                                     seed=seed)
    report["calibration"]["sources"]["step"] = (
        "real (character, state) pairs: the state reached reading the given text up to the character")
    variants = list(report["variants"])
    text = text_parity(model, out_dir, variants, text_ids, prompt=prompt, greedy_length=greedy_length)
    report["text"] = text
    agreement_floors = {**DEFAULT_AGREEMENT_FLOORS, **(agreement_floors or {})}
    for variant in variants:
        figures = text.get(variant)
        if figures is None:
            continue
        floor = agreement_floors.get(variant)
        figures["agreement_floor"] = floor
        if floor is not None and figures["agreement"] < floor:
            report["failures"].append(f"step/{variant}: greedy next-character agreement "
                                      f"{figures['agreement']:.4f} with the Keras model is below {floor}")
        if variant == "float32" and not figures["greedy_identical"]:
            report["failures"].append(f"step/float32: greedy text differs from the Keras model's from "
                                      f"character {figures['greedy_common_prefix']}")
    report["passed"] = not report["failures"]
    path = Path(out_dir) / "report.json"
    path.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
    if gate and report["failures"]:
        raise bundle_lib.FidelityError("char-RNN export gate failed:\n  " + "\n  ".join(report["failures"]),
                                       report)
    return report
