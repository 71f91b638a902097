"""export/android/KgenTranslator.kt compiles against the Android/LiteRT stubs and maps a Bitmap to a Bitmap.

The stub interpreter runs a stand-in network set by the check (`Interpreter.model`): an identity
for a grey CycleGAN-like bundle (float32 and int8_io files, both directions) and a nearest x4
upsampling for a colour super-resolution bundle. So a Bitmap must come back as itself (to one
grey level through int8 I/O), the colour one enlarged with R, G and B in place; the feeds must be
named, shaped and typed as metadata.json says, with `x = pixel / 127.5 - 1` fed.
"""

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KOTLIN = ROOT / "export" / "android" / "KgenTranslator.kt"

#: int8 I/O parameters of a real tiny pix2pix bundle (16x16 grey, `kgen export --quantize int8_io`).
IN_Q = {"scale": 0.007842271588742733, "zero_point": 0}
#: The output's zero point made -5 (real: 0), so a class that ignored it would be 5 grey levels off.
OUT_Q = {"scale": 0.0078125, "zero_point": -5}


CHECK = """
import android.graphics.Bitmap
import android.graphics.Color
import dev.kgen.edge.KgenTranslator
import org.tensorflow.lite.Interpreter
import java.io.File
import kotlin.math.abs
import kotlin.math.roundToInt

// Stand-in networks on the interpreter's arrays: identity (float or int8 I/O) and nearest x4.
@Suppress("UNCHECKED_CAST")
fun identity(ins: Map<String, Any>, outs: Map<String, Any>, inQ: FloatArray, outQ: FloatArray) {
    val x = ins.values.first()
    val y = outs.values.first()
    if (x is Array<*> && (x[0] as Array<Array<Any>>)[0][0] is ByteArray) {
        val a = x as Array<Array<Array<ByteArray>>>
        val b = y as Array<Array<Array<ByteArray>>>
        for (i in a[0].indices) for (j in a[0][i].indices) for (k in a[0][i][j].indices) {
            val value = (a[0][i][j][k] - inQ[1]) * inQ[0]
            b[0][i][j][k] = ((value / outQ[0]).roundToInt() + outQ[1].toInt()).coerceIn(-128, 127).toByte()
        }
    } else {
        val a = x as Array<Array<Array<FloatArray>>>
        val b = y as Array<Array<Array<FloatArray>>>
        for (i in a[0].indices) for (j in a[0][i].indices) for (k in a[0][i][j].indices) b[0][i][j][k] = a[0][i][j][k]
    }
}

@Suppress("UNCHECKED_CAST")
fun upsample4(ins: Map<String, Any>, outs: Map<String, Any>) {
    val a = ins.values.first() as Array<Array<Array<FloatArray>>>
    val b = outs.values.first() as Array<Array<Array<FloatArray>>>
    for (i in b[0].indices) for (j in b[0][i].indices) for (k in b[0][i][j].indices) b[0][i][j][k] = a[0][i / 4][j / 4][k]
}

fun greyBitmap(w: Int, h: Int): Bitmap {
    val bitmap = Bitmap.createBitmap(w, h, Bitmap.Config.ARGB_8888)
    for (y in 0 until h) for (x in 0 until w) {
        val g = 8 + (x * 17 + y * 29) % 240  // above what OUT_Q's zero point leaves int8 below -1
        bitmap.setPixel(x, y, Color.rgb(g, g, g))
    }
    bitmap.setPixel(0, 0, Color.rgb(255, 255, 255))  // white: x = 1
    return bitmap
}

@Suppress("UNCHECKED_CAST")
fun fed(y: Int, x: Int): Float {
    val feed = Interpreter.lastInputs.values.first()
    return if ((feed as Array<Array<Array<Any>>>)[0][0][0] is ByteArray) {
        (feed as Array<Array<Array<ByteArray>>>)[0][y][x][0].toFloat()
    } else (feed as Array<Array<Array<FloatArray>>>)[0][y][x][0]
}

fun main(args: Array<String>) {
    val dir = File(args[0])
    val inQ = floatArrayOf(args[1].toFloat(), args[2].toFloat())
    val outQ = floatArrayOf(args[3].toFloat(), args[4].toFloat())
    Interpreter.model = java.util.function.BiConsumer { ins, outs -> identity(ins, outs, inQ, outQ) }
    for (variant in listOf("float32", "int8_io")) for (key in listOf("translate", "translate_b2a")) {
        val tr = KgenTranslator(File(dir, "grey"), variant, key)
        val input = greyBitmap(16, 16)
        val out = tr.translate(input)
        var maxDiff = 0
        for (y in 0 until 16) for (x in 0 until 16) {
            maxDiff = maxOf(maxDiff, abs((out.getPixel(x, y) and 0xff) - (input.getPixel(x, y) and 0xff)))
            require(out.getPixel(x, y) ushr 24 == 255) { "alpha" }
        }
        println("{\\"variant\\": \\"$variant\\", \\"signature\\": \\"${Interpreter.lastSignature}\\", " +
                "\\"model\\": \\"${Interpreter.lastModel}\\", \\"size\\": \\"${out.getWidth()}x${out.getHeight()}\\", " +
                "\\"max_diff\\": $maxDiff, \\"fed_3_2\\": ${fed(2, 3)}, \\"pixel_3_2\\": ${input.getPixel(3, 2) and 0xff}, " +
                "\\"feeds\\": \\"${Interpreter.lastFeeds}\\"}")
        tr.close()
    }
    Interpreter.model = java.util.function.BiConsumer { ins, outs -> upsample4(ins, outs) }
    val sr = KgenTranslator(File(dir, "sr"), "float32")
    val low = Bitmap.createBitmap(2, 2, Bitmap.Config.ARGB_8888)
    for (y in 0 until 2) for (x in 0 until 2) low.setPixel(x, y, Color.rgb(10 + 100 * x, 20 + 50 * y, 200 - 60 * x - 30 * y))
    val high = sr.translate(low)
    var wrong = 0
    for (y in 0 until 8) for (x in 0 until 8) if (high.getPixel(x, y) != low.getPixel(x / 4, y / 4)) wrong++
    val error = try { sr.translate(Bitmap.createBitmap(3, 3, Bitmap.Config.ARGB_8888)); "" } catch (e: IllegalArgumentException) { e.message }
    val missing = try { KgenTranslator(File(dir, "sr"), "float16"); "" } catch (e: IllegalArgumentException) { e.message }
    println("{\\"variant\\": \\"sr\\", \\"size\\": \\"${high.getWidth()}x${high.getHeight()}\\", \\"wrong\\": $wrong, " +
            "\\"error\\": \\"$error\\", \\"missing\\": \\"$missing\\", \\"feeds\\": \\"${Interpreter.lastFeeds}\\"}")
}
"""


def _image(name, h, w, c):
    """An image tensor's entry as kgen's export writes it ([-1, 1] pixels)."""
    return {"name": name, "shape": [-1, h, w, c], "dtype": "float32", "role": "image", "value_range": [-1.0, 1.0],
            "layout": "NHWC", "to_pixels": {"offset": 1.0, "scale": 127.5, "formula": "pixel = (x + 1) * 127.5"}}


def _files(key, input_name, variants):
    files = {}
    for variant in variants:
        q = variant == "int8_io"
        files[variant] = {
            "file": f"{key}_{variant}.tflite",
            "inputs": {input_name: {"dtype": "int8" if q else "float32", "quantization": IN_Q if q else None}},
            "outputs": {"translated": {"dtype": "int8" if q else "float32", "quantization": OUT_Q if q else None}}}
    return files


def _bundle(path, signatures):
    """Write metadata.json (the layout of a real `kgen export` of a translator) and stub .tflite files."""
    path.mkdir()
    for sig in signatures.values():
        for entry in sig["files"].values():
            (path / entry["file"]).write_bytes(b"stub")
    (path / "metadata.json").write_text(json.dumps({"format": "kgen-bundle", "signatures": signatures}))


@pytest.mark.slow
def test_kotlin_translator_compiles_and_maps_a_bitmap_through_the_translate_signature(tmp_path, external_tool, android):
    # A CycleGAN bundle (grey 16x16, both directions; B -> A's input is "images_b") and a colour x4 SR one.
    _bundle(tmp_path / "grey", {
        key: {"inputs": [_image(name, 16, 16, 1)], "outputs": [_image("translated", 16, 16, 1)],
              "files": _files(key, name, ("float32", "int8", "int8_io"))}
        for key, name in (("translate", "images"), ("translate_b2a", "images_b"))})
    _bundle(tmp_path / "sr", {"translate": {"inputs": [_image("images", 2, 2, 3)],
                                            "outputs": [_image("translated", 8, 8, 3)],
                                            "files": _files("translate", "images", ("float32",))}})
    check = tmp_path / "Check.kt"
    check.write_text(CHECK)
    classpath = android.compile_check(external_tool, [KOTLIN, check], tmp_path)
    ran = subprocess.run(["java", "-cp", classpath, "CheckKt", str(tmp_path), str(IN_Q["scale"]),
                          str(IN_Q["zero_point"]), str(OUT_Q["scale"]), str(OUT_Q["zero_point"])],
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    results = [json.loads(line) for line in ran.stdout.strip().splitlines()]
    assert [r["variant"] for r in results] == ["float32"] * 2 + ["int8_io"] * 2 + ["sr"]
    for r, key in zip(results[:4], ["translate", "translate_b2a"] * 2):
        variant = r["variant"]
        name = "images" if key == "translate" else "images_b"
        kind = "byte" if variant == "int8_io" else "float"
        assert r["signature"] == key and r["model"] == f"{key}_{variant}.tflite", r
        assert r["size"] == "16x16"
        assert f"{name}=float[1x16x16x1]".replace("float", kind) in r["feeds"], r
        assert f"output:translated={kind}[1x16x16x1]" in r["feeds"], r
        x = r["pixel_3_2"] / 127.5 - 1  # what the network is fed: x = pixel / 127.5 - 1 ...
        if variant == "int8_io":  # ... quantized with the input's scale and zero point
            assert r["fed_3_2"] == round(x / IN_Q["scale"]) + IN_Q["zero_point"], r
            assert r["max_diff"] <= 1, r  # two int8 roundings of an identity: one grey level
        else:
            assert abs(r["fed_3_2"] - x) < 1e-6, r
            assert r["max_diff"] == 0, r  # float I/O: the identity gives the Bitmap back exactly
    sr = results[4]
    assert sr["size"] == "8x8" and sr["wrong"] == 0, sr  # x4, R, G and B each in its own place
    assert "images=float[1x2x2x3]" in sr["feeds"] and "output:translated=float[1x8x8x3]" in sr["feeds"], sr
    assert "expected a 2x2 Bitmap, got 3x3" in sr["error"] and "createScaledBitmap" in sr["error"], sr
    assert "no 'float16' file for translate" in sr["missing"], sr
