"""Image-to-image export: translate signatures (image in, image out), LiteRT variants calibrated on real inputs,
the TensorFlow-free edge runner translating PNG files, and `kgen export` of a run."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from PIL import Image

from kgen import cli, export, zoo
from kgen.data import paired


@pytest.fixture(scope="module")
def cyclegan_bundle(tmp_path_factory):
    keras.utils.set_random_seed(0)
    pairs = paired.load_pairs("digits2inverted")
    model = zoo.build("cyclegan", (16, 16, 1), tiny=True, seed=0)
    model.fit(paired.pair_dataset(pairs, batch_size=8), steps_per_epoch=3, epochs=1, verbose=0)
    out = tmp_path_factory.mktemp("cg") / "bundle"
    convert = export.tflite.convert

    def recording_convert(saved_model_dir, signature, variant, calibration=None, **kwargs):
        CALIBRATION[(signature, variant)] = calibration
        return convert(saved_model_dir, signature, variant, calibration, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(export.tflite, "convert", recording_convert)
        report = export.export_model(model, out, quantize=("float32", "int8"), calibration_samples=100,
                                     calibration_data={"images": pairs.a[:100], "images_b": pairs.b[:100]},
                                     parity_samples=8, grids=False, gate=False)
    return model, pairs, out, report


#: (signature, variant) -> the calibration batch the LiteRT converter got (filled by `cyclegan_bundle`).
CALIBRATION = {}


def test_cyclegan_exports_both_directions_calibrated_on_each_domain(cyclegan_bundle):
    model, pairs, out, report = cyclegan_bundle
    assert set(report["endpoints"]) == {"translate", "translate_b2a"}
    for name, ep in report["endpoints"].items():
        assert ep["variants"]["float32"]["max_abs_error"] < 1e-4, (name, ep)
        assert "int8" in ep["variants"] and ep["variants"]["int8"].get("fidelity_db") is not None
    meta = json.loads((out / "metadata.json").read_text())
    sig = meta["signatures"]["translate_b2a"]
    assert [s["role"] for s in sig["inputs"]] == ["image"] and sig["outputs"][0]["shape"] == [-1, 16, 16, 1]
    assert "to_pixels" in sig["inputs"][0] and "to_pixels" in sig["outputs"][0]
    # int8 calibrates each direction on its own domain's real images, and the report and metadata say so.
    np.testing.assert_array_equal(CALIBRATION[("translate", "int8")]["images"], pairs.a[:100])
    np.testing.assert_array_equal(CALIBRATION[("translate_b2a", "int8")]["images_b"], pairs.b[:100])
    sources = report["calibration"]["sources"]
    assert sources == meta["calibration"]["sources"]
    assert sources["translate"] == "real inputs: calibration_data['images'] (100 rows)", sources
    assert sources["translate_b2a"] == "real inputs: calibration_data['images_b'] (100 rows)", sources


def test_edge_runner_translates_png_files_as_the_model_does(cyclegan_bundle, tmp_path, edge_runner):
    model, pairs, out, _ = cyclegan_bundle
    files = []
    for i in range(3):
        path = tmp_path / f"in{i}.png"
        Image.fromarray(np.round((pairs.b[i, ..., 0] + 1) * 127.5).astype(np.uint8)).save(path)
        files.append(str(path))
    runner = edge_runner
    assert runner.main([str(out), "--input", *files, "--signature", "translate_b2a", "--out", str(tmp_path / "o")]) == 0
    got = np.asarray(Image.open(tmp_path / "o" / "in1.png"), np.float32) / 127.5 - 1
    x = np.asarray(Image.open(files[1]), np.float32)[None, ..., None] / 127.5 - 1
    want = np.asarray(model.translate(x, direction="b2a"))[0, ..., 0]
    assert np.abs(got - want).max() <= 1.01 / 127.5
    assert (tmp_path / "o" / "grid.png").is_file()
    # The runner imports no TensorFlow.
    code = (f"import sys, importlib.util; s = importlib.util.spec_from_file_location('r', {edge_runner.__file__!r}); "
            "m = importlib.util.module_from_spec(s); s.loader.exec_module(m); "
            f"m.main([{str(out)!r}, '--input', {files[0]!r}, '--variant', 'int8', '--out', {str(tmp_path / 'q')!r}]); "
            "assert 'tensorflow' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300).returncode == 0


def test_kgen_export_of_a_super_resolution_run_calibrates_on_downsampled_data(tmp_path, capsys):
    run = tmp_path / "sr"
    assert cli.main(["train", "--model", "srresnet", "--data", "sr:x4", "--tiny", "--epochs", "1",
                     "--steps-per-epoch", "2", "--batch-size", "8", "--verbose", "0", "--run-dir", str(run)]) == 0
    rc = cli.main(["export", str(run), "--quantize", "float32,int8", "--no-gate", "--verbose", "0"])
    assert rc == 0, capsys.readouterr()
    report = json.loads((run / "export" / "report.json").read_text())
    ep = report["endpoints"]["translate"]
    assert ep["variants"]["float32"]["max_abs_error"] < 1e-4
    from kgen.commands import _translation

    cal = _translation.calibration_inputs(json.loads((run / "config.json").read_text()), 100)
    assert cal["images"].shape == (100, 4, 4, 1)  # the run's own high-res data, downsampled x4


def test_android_translator_reads_only_fields_of_the_real_bundle(cyclegan_bundle):
    """Every metadata key export/android/KgenTranslator.kt reads exists where it reads it, for each
    direction and variant (its compiled run on a hand-written bundle: tests/export/test_android_translator.py)."""
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parents[3] / "export" / "android" / "KgenTranslator.kt").read_text()
    used = set(re.findall(r'\b(?:get|opt)(?:JSONObject|JSONArray|String|Double|Int)\("([a-z_0-9]+)"', source))
    assert used == {"signatures", "files", "inputs", "outputs", "role", "name", "shape", "to_pixels", "offset",
                    "scale", "quantization", "zero_point", "file"}, used
    meta = json.loads((cyclegan_bundle[2] / "metadata.json").read_text())
    for key in ("translate", "translate_b2a"):
        sig = meta["signatures"][key]
        for variant, entry in sig["files"].items():
            assert (cyclegan_bundle[2] / entry["file"]).is_file()
            for side in ("inputs", "outputs"):
                spec = sig[side][0]  # the class reads the first input and the first output
                assert spec["role"] == "image" and len(spec["shape"]) == 4
                assert set(spec["to_pixels"]) >= {"offset", "scale"}
                q = entry[side][spec["name"]]["quantization"]  # null for float I/O: the float path
                assert q is None or {"scale", "zero_point"} <= set(q)
