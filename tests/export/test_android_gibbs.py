"""export/android/KgenGibbsSampler.kt compiles against the Android/LiteRT stubs and loops `gibbs_step`.

The stub interpreter returns zeros and records the last call's feeds: the loop must call the
signature once per step (`onStep` sees t = 1..steps), feed `visible`, `hidden_noise` and
`visible_noise` named and shaped as the metadata says, and return the last step's `images`.
"""

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KOTLIN = ROOT / "export" / "android" / "KgenGibbsSampler.kt"


CHECK = """
import dev.kgen.edge.KgenGibbsSampler
import java.io.File

fun main(args: Array<String>) {
    val sampler = KgenGibbsSampler(File(args[0]), "float16", 1)
    val seen = ArrayList<Int>()
    val out = sampler.sample(n = 2, steps = 5, seed = 3L) { t, _ -> seen.add(t) }
    var maxAbs = 0f
    for (p in 0 until 2) for (q in 0 until sampler.height) for (r in 0 until sampler.width) for (k in 0 until sampler.channels) {
        maxAbs = maxOf(maxAbs, kotlin.math.abs(out[p][q][r][k]))
    }
    println("{\\"steps\\": \\"${seen.joinToString(",")}\\", \\"max\\": $maxAbs, \\"size\\": ${out.size}, " +
            "\\"gaussian\\": ${sampler.gaussianVisible}, \\"signature\\": \\"${org.tensorflow.lite.Interpreter.lastSignature}\\", " +
            "\\"model\\": \\"${org.tensorflow.lite.Interpreter.lastModel}\\", " +
            "\\"feeds\\": \\"${org.tensorflow.lite.Interpreter.lastFeeds}\\"}")
}
"""


def _metadata(noise):
    """The gibbs_step entry of a real RBM bundle's metadata.json (3x3x1 visible units, 5 hidden units)."""
    return {"signatures": {"gibbs_step": {
        "inputs": [{"name": "visible", "shape": [-1, 3, 3, 1], "dtype": "float32", "role": "image"},
                   {"name": "hidden_noise", "shape": [-1, 5], "dtype": "float32", "role": "latent",
                    "distribution": {"type": "uniform", "shape": [5], "low": 0.0, "high": 1.0}},
                   {"name": "visible_noise", "shape": [-1, 9], "dtype": "float32", "role": "latent",
                    "distribution": {"type": noise, "shape": [9]}}],
        "outputs": [{"name": "visible", "shape": [-1, 3, 3, 1], "dtype": "float32", "role": "output"},
                    {"name": "images", "shape": [-1, 3, 3, 1], "dtype": "float32", "role": "image"},
                    {"name": "hidden", "shape": [-1, 5], "dtype": "float32", "role": "code"}],
        "files": {"float16": {"file": "gibbs_step_float16.tflite"}}}}}


@pytest.mark.slow
def test_kotlin_gibbs_sampler_compiles_and_loops_the_gibbs_step_signature(tmp_path, external_tool, android):
    check = tmp_path / "Check.kt"
    check.write_text(CHECK)
    classpath = android.compile_check(external_tool, [KOTLIN, check], tmp_path)
    for noise in ("uniform", "normal"):  # binary / Gaussian visible units
        bundle = tmp_path / noise
        bundle.mkdir()
        (bundle / "gibbs_step_float16.tflite").write_bytes(b"stub")
        (bundle / "metadata.json").write_text(json.dumps(_metadata(noise)))
        ran = subprocess.run(["java", "-cp", classpath, "CheckKt", str(bundle)], capture_output=True,
                             text=True, timeout=300)
        assert ran.returncode == 0, ran.stderr
        result = json.loads(ran.stdout.strip().splitlines()[-1])
        assert result["steps"] == "1,2,3,4,5", result  # one signature call per Gibbs step
        assert result["gaussian"] is (noise == "normal")
        assert result["signature"] == "gibbs_step" and result["model"] == "gibbs_step_float16.tflite"
        assert result["size"] == 2 and result["max"] == 0.0  # the stub's zeros: the last step's images
        for feed in ("visible=float[2x3x3x1]", "hidden_noise=float[2x5]", "visible_noise=float[2x9]",
                     "output:visible=float[2x3x3x1]", "output:images=float[2x3x3x1]", "output:hidden=float[2x5]"):
            assert feed in result["feeds"], (feed, result)
