"""Char-RNN export: one `step` signature, every LiteRT variant checked on logits and on greedy text,
and the edge runner generating text without TensorFlow."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import zoo
from kgen.export.runtime import LiteRTModel
from kgen.models.language import load_text_stream, stream_dataset
from kgen.models.language.export import export_char_rnn, keras_greedy, litert_greedy

ROOT = Path(__file__).resolve().parents[3]
SHAKESPEARE = ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
VARIANTS = ("float32", "float16", "dynamic", "int8")


def _run_blocked(*argvs):
    """The edge runner's command lines with `import tensorflow` made to fail (tests/export/test_runner.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("kgen_test_runner", ROOT / "tests" / "export" / "test_runner.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._run_blocked(*argvs)  # asserts that neither TensorFlow, keras nor kgen got imported


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small LSTM trained briefly on Shakespeare (peaked, text-like logits), exported in 4 variants."""
    stream = load_text_stream(f"text:{SHAKESPEARE}")
    keras.utils.set_random_seed(0)
    model = zoo.build("char_rnn", (51,), vocabulary=stream.vocabulary, units=48, num_layers=2,
                      embedding_dim=16, stateful=True, batch_size=32, learning_rate=5e-3, seed=0)
    model.fit(stream_dataset(stream.train[:200_000], 32, 50).take(60), epochs=1, verbose=0)
    bundle = tmp_path_factory.mktemp("char_rnn") / "bundle"
    report = export_char_rnn(model, bundle, stream.validation, quantize=VARIANTS, prompt="ROMEO:",
                             greedy_length=120)
    return model, bundle, report, stream


@pytest.mark.slow
def test_every_variant_passes_on_logits_and_text(exported):
    model, bundle, report, _ = exported
    assert report["passed"], report["failures"]
    meta = json.loads((bundle / "metadata.json").read_text())
    step = meta["signatures"]["step"]
    assert [s["name"] for s in step["inputs"]] == ["ids", "state", "cell_state"]  # an LSTM: h and c apart
    assert [s["name"] for s in step["outputs"]] == ["logits", "next_state", "next_cell_state"]
    assert step["inputs"][0]["vocabulary"] == model.vocabulary
    assert step["inputs"][1]["shape"] == step["inputs"][2]["shape"] == [-1, model.network.state_size // 2]
    for variant in VARIANTS:
        figures = report["endpoints"]["step"]["variants"][variant]
        text = report["text"][variant]
        assert figures["passed"] and text["agreement"] >= text["agreement_floor"], (variant, figures, text)
    assert report["text"]["float32"]["greedy_identical"]
    assert report["text"]["float32"]["greedy_text"] == report["text"]["keras"]["greedy_text"]
    assert report["text"]["float16"]["agreement"] >= 0.99
    assert report["endpoints"]["step"]["variants"]["float32"]["max_abs_error"] < 1e-4
    # No loop inside: every variant's graph is straight-line builtin ops (one character per call).
    for variant in VARIANTS:
        ops = {op["op_name"] for op in LiteRTModel(bundle / f"step_{variant}.tflite").interpreter._get_ops_details()}
        assert "FULLY_CONNECTED" in ops and not ops & {"WHILE", "CUSTOM", "FlexTensorListReserve"}, (variant, ops)


@pytest.mark.slow
def test_litert_step_loop_matches_keras_logits_along_a_text(exported):
    model, bundle, _, stream = exported
    runner = LiteRTModel(bundle / "step_float32.tflite")
    ids = stream.validation[:40]
    keras_logits, final = model.network(ids[None], training=False)
    states = {"state": np.zeros((1, 96), np.float32), "cell_state": np.zeros((1, 96), np.float32)}
    for t, i in enumerate(ids):
        out = runner(ids=np.asarray([i], np.int32), **states)
        np.testing.assert_allclose(out["logits"][0], np.asarray(keras_logits)[0, t], atol=1e-4)
        states = {"state": out["next_state"], "cell_state": out["next_cell_state"]}
    for name, value in model.network.split_state(final).items():
        np.testing.assert_allclose(states[name], np.asarray(value), atol=1e-4)
    prompt = model.encode("ROMEO:")
    np.testing.assert_array_equal(litert_greedy(runner, model, prompt, 60), keras_greedy(model, prompt, 60))


@pytest.mark.slow
def test_edge_runner_generates_text_without_tensorflow(exported, tmp_path):
    model, bundle, report, _ = exported
    outs = {name: tmp_path / f"{name}.txt" for name in ("greedy", "seed0", "seed0_again", "seed1", "int8")}
    argvs = [[str(bundle), "--variant", "float32", "--prompt", "ROMEO:", "--length", "120", "--temperature", "0",
              "--out", str(outs["greedy"])]]
    for name, seed in (("seed0", 0), ("seed0_again", 0), ("seed1", 1)):
        argvs.append([str(bundle), "--prompt", "ROMEO:", "--length", "200", "--temperature", "0.8", "--top-k",
                      "20", "--top-p", "0.95", "--seed", str(seed), "--out", str(outs[name])])
    argvs.append([str(bundle), "--variant", "int8", "--prompt", "ROMEO:", "--length", "50", "--temperature", "0.8",
                  "--seed", "0", "--out", str(outs["int8"])])
    proc = _run_blocked(*argvs)
    text = {name: path.read_text(encoding="utf-8") for name, path in outs.items()}
    # Greedy decoding on the device writes the Keras model's text; a seed gives the same text every time.
    assert text["greedy"] == report["text"]["keras"]["greedy_text"]
    assert text["seed0"] == text["seed0_again"] != text["seed1"]
    assert all(t.startswith("ROMEO:") and set(t) <= set(model.vocabulary) for t in text.values())
    assert len(text["seed0"]) == 206 and len(text["int8"]) == 56
    assert "generated characters/s" in proc.stdout


def test_the_step_signature_has_no_random_op_and_takes_an_id_and_a_state():
    from kgen.export.savedmodel import find_random_ops, input_signature

    for cell, roles in (("lstm", ["token", "state", "state"]), ("gru", ["token", "state"])):
        model = zoo.build("char_rnn", (9,), tiny=True, seed=0, cell=cell)
        (endpoint,) = model.export_endpoints()
        assert endpoint.name == "step" and [s.role for s in endpoint.inputs] == roles
        assert [s.name for s in endpoint.outputs][1:] == [f"next_{s.name}" for s in endpoint.inputs[1:]]
        fn = tf.function(lambda *args: endpoint.call(endpoint.network, *args),
                         input_signature=input_signature(endpoint))
        assert find_random_ops(fn.get_concrete_function()) == []


@pytest.mark.slow
def test_kotlin_text_generator_reads_only_fields_the_bundle_has(exported):
    import re

    from kgen.export import __doc__ as export_doc

    _, bundle, _, _ = exported
    source = (ROOT / "export" / "android" / "KgenTextGenerator.kt").read_text()
    used = set(re.findall(r'\b(?:get|opt)(?:JSONObject|JSONArray|String|Double|Int)\("([a-z_0-9]+)"', source))
    meta = json.loads((bundle / "metadata.json").read_text())

    def keys(value):
        if isinstance(value, dict):
            return set(value) | set().union(*map(keys, value.values()))
        return set().union(*map(keys, value)) if isinstance(value, list) else set()

    # scale/zero_point live in the quantization record of int8 I/O files (documented in kgen.export).
    missing = used - keys(meta) - {"scale", "zero_point"}
    assert not missing, f"KgenTextGenerator.kt reads {sorted(missing)}, absent from metadata.json"
    assert "{scale, zero_point}" in export_doc
    assert {"step", "vocabulary", "logits", "quantization", "files", "role", "shape"} <= used
    assert '"token"' in source and '"state"' in source and 'runSignature' in source
    # Each state input NAME is fed back from output next_NAME, as the metadata records.
    assert '"next_$name"' in source and '"next_${s.name}"' in source
    assert all(spec["feedback"] == f"next_{spec['name']}" for spec in meta["signatures"]["step"]["inputs"]
               if spec["role"] == "state")
