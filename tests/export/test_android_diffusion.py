"""export/android/KgenDiffusionSampler.kt compiles against the Android/LiteRT stubs and runs its DDIM loop.

The stub interpreter returns zeros, so with epsilon prediction every DDIM step
maps x to sqrt(ab_prev / ab) x and the loop must end at x_T / sqrt(alpha_bar[T-1])
(x_T: the class's own seeded draws); the feeds must be named and shaped as the metadata says.
"""

import json
import subprocess
from pathlib import Path

import pytest

from kgen.models.diffusion import spaced_timesteps

ROOT = Path(__file__).resolve().parents[2]


KOTLIN = ROOT / "export" / "android" / "KgenDiffusionSampler.kt"

CHECK = """
import dev.kgen.edge.KgenDiffusionSampler
import java.io.File
import java.util.Random
import kotlin.math.abs
import kotlin.math.sqrt

fun main(args: Array<String>) {
    val sampler = KgenDiffusionSampler(File(args[0]), "float32", 1)
    val out = sampler.sample(n = 2, steps = 3, eta = 0f, seed = 7L)
    val random = Random(7L)
    var err = 0.0
    for (p in 0 until 2) for (q in 0 until sampler.height) for (r in 0 until sampler.width) for (k in 0 until sampler.channels) {
        val x = random.nextGaussian().toFloat()
        err = maxOf(err, abs(out[p][q][r][k] - x / sqrt(0.25f)).toDouble())
    }
    println("{\\"err\\": $err, \\"feeds\\": \\"${org.tensorflow.lite.Interpreter.lastFeeds}\\", " +
            "\\"timesteps\\": \\"${sampler.timesteps(3).joinToString(",")}\\", " +
            "\\"quadratic\\": {${quadratic(File(args[1]))}}}")
}

// The quadratic spacing of a bundle whose metadata says so, for several step counts (JSON entries).
fun quadratic(bundle: File): String {
    val sampler = KgenDiffusionSampler(bundle, "float32", 1)
    require(sampler.spacing == "quadratic")
    return listOf(2, 3, 10, 20, 50, 333, 999, 1000).joinToString(", ") {
        "\\"$it\\": [${sampler.timesteps(it).joinToString(",")}]"
    }
}
"""


@pytest.mark.slow
def test_kotlin_diffusion_sampler_compiles_and_runs_the_ddim_loop(tmp_path, external_tool, android):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "denoise_float32.tflite").write_bytes(b"stub")
    alpha_bar = [0.9, 0.8, 0.6, 0.4, 0.25]
    meta = {"signatures": {"denoise": {
        "inputs": [{"name": "x_t", "shape": [-1, 2, 3, 1], "dtype": "float32", "role": "latent"},
                   {"name": "t", "shape": [-1], "dtype": "int32", "role": "timestep"}],
        "outputs": [{"name": "eps", "shape": [-1, 2, 3, 1], "role": "output", "prediction": "epsilon",
                     "schedule": {"alpha_bar": alpha_bar, "num_timesteps": 5}, "sampler": {"steps": 3}}],
        "files": {"float32": {"file": "denoise_float32.tflite"}}}}}
    (bundle / "metadata.json").write_text(json.dumps(meta))
    quad = tmp_path / "quadratic"
    quad.mkdir()
    (quad / "denoise_float32.tflite").write_bytes(b"stub")
    out = meta["signatures"]["denoise"]["outputs"][0]
    out["schedule"] = {"alpha_bar": [1.0 - (i + 1) / 1001 for i in range(1000)], "num_timesteps": 1000}
    out["sampler"] = {"steps": 10, "spacing": "quadratic"}
    (quad / "metadata.json").write_text(json.dumps(meta))
    check = tmp_path / "Check.kt"
    check.write_text(CHECK)
    classpath = android.compile_check(external_tool, [KOTLIN, check], tmp_path)
    ran = subprocess.run(["java", "-cp", classpath, "CheckKt", str(bundle), str(quad)], capture_output=True,
                         text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout.strip().splitlines()[-1])
    assert result["err"] < 1e-5, result
    assert result["timesteps"] == "0,2,4"  # round(linspace(0, T - 1, 3)), as kgen_litert's
    # The bundle's "quadratic" spacing picks kgen's indices at every step count, up to steps = T.
    for steps, indices in result["quadratic"].items():
        assert indices == spaced_timesteps(1000, int(steps), "quadratic").tolist(), steps
    assert "x_t=float[2x2x3x1]" in result["feeds"] and "t=int[2]" in result["feeds"], result
