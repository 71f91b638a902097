package dev.kgen.edge

import android.graphics.Bitmap
import android.graphics.Color
import org.json.JSONObject
import org.tensorflow.lite.Interpreter
import java.io.File
import java.util.Random
import kotlin.math.roundToInt

/**
 * Runs the `generate` (or `decode`) signature of a kgen export bundle and returns Bitmaps.
 *
 * Everything it needs comes from the bundle's metadata.json: the .tflite file of the
 * variant, the inputs (name, shape with -1 batch, role latent / label, latent
 * distribution), the int8 scale/zero point of int8_io files, and the output's
 * `to_pixels` mapping `pixel = (x + offset) * scale`.
 *
 * val gen = KgenGenerator(File(context.filesDir, "bundle"), variant = "int8")
 * val bitmaps = gen.generate(n = 4, labels = intArrayOf(3, 3, 7, 7), seed = 42L)
 * gen.close()
 */
class KgenGenerator(
    bundleDir: File,
    variant: String = "int8",
    numThreads: Int = 2,
) : AutoCloseable {

    private class Input(val name: String, val role: String, val size: Int, val dtype: String,
                        val distribution: JSONObject?, val numClasses: Int,
                        val qScale: Float, val qZeroPoint: Int)

    private val signatureKey: String
    private val inputs = mutableListOf<Input>()
    private val outputName: String
    private val height: Int
    private val width: Int
    private val channels: Int
    private val pixelOffset: Float
    private val pixelScale: Float
    private val outScale: Float
    private val outZeroPoint: Int
    private val interpreter: Interpreter

    init {
        val meta = JSONObject(File(bundleDir, "metadata.json").readText())
        val signatures = meta.getJSONObject("signatures")
        signatureKey = if (signatures.has("generate")) "generate" else "decode"
        val signature = signatures.getJSONObject(signatureKey)
        val files = signature.getJSONObject("files")
        require(files.has(variant)) { "no '$variant' file for $signatureKey in this bundle" }
        val file = files.getJSONObject(variant)
        val tensorsIn = file.getJSONObject("inputs")
        val specs = signature.getJSONArray("inputs")
        for (i in 0 until specs.length()) {
            val spec = specs.getJSONObject(i)
            val name = spec.getString("name")
            val shape = spec.getJSONArray("shape")
            val q = tensorsIn.getJSONObject(name).optJSONObject("quantization")
            inputs += Input(
                name = name,
                role = spec.getString("role"),
                size = if (shape.length() > 1) shape.getInt(1) else 1,
                dtype = tensorsIn.getJSONObject(name).getString("dtype"),
                distribution = spec.optJSONObject("distribution"),
                numClasses = spec.optInt("num_classes", 0),
                qScale = q?.getDouble("scale")?.toFloat() ?: 0f,
                qZeroPoint = q?.getInt("zero_point") ?: 0,
            )
        }
        val output = signature.getJSONArray("outputs").getJSONObject(0)
        outputName = output.getString("name")
        val outShape = output.getJSONArray("shape")  // [-1, H, W, C], NHWC
        height = outShape.getInt(1); width = outShape.getInt(2); channels = outShape.getInt(3)
        val toPixels = output.getJSONObject("to_pixels")
        pixelOffset = toPixels.getDouble("offset").toFloat()
        pixelScale = toPixels.getDouble("scale").toFloat()
        val outQ = file.getJSONObject("outputs").getJSONObject(outputName).optJSONObject("quantization")
        outScale = outQ?.getDouble("scale")?.toFloat() ?: 0f
        outZeroPoint = outQ?.getInt("zero_point") ?: 0
        interpreter = Interpreter(File(bundleDir, file.getString("file")),
                                  Interpreter.Options().setNumThreads(numThreads))
    }

    /** Draws `n` latents from the recorded prior (labels cycled if given) and returns `n` Bitmaps. */
    fun generate(n: Int, labels: IntArray? = null, seed: Long = System.nanoTime()): List<Bitmap> {
        val random = Random(seed)
        val feeds = HashMap<String, Any>()
        for (input in inputs) {
            feeds[input.name] = when (input.role) {
                "label" -> IntArray(n) { i ->
                    val id = labels?.get(i % labels.size) ?: random.nextInt(input.numClasses)
                    require(id in 0 until input.numClasses) { "label $id not in [0, ${input.numClasses})" }
                    id
                }
                "latent", "code" -> {
                    val z = Array(n) { FloatArray(input.size) { draw(input.distribution, random) } }
                    if (input.dtype == "int8") Array(n) { b -> ByteArray(input.size) { quantize(z[b][it], input) } } else z
                }
                else -> throw IllegalArgumentException("input ${input.name} has role ${input.role}")
            }
        }
        // Arrays carry their batch size: runSignature resizes the dynamic batch axis to n.
        val out: Any = if (outScale != 0f) Array(n) { Array(height) { Array(width) { ByteArray(channels) } } }
                       else Array(n) { Array(height) { Array(width) { FloatArray(channels) } } }
        interpreter.runSignature(feeds, mapOf(outputName to out), signatureKey)
        return List(n) { toBitmap(out, it) }
    }

    private fun draw(distribution: JSONObject?, random: Random): Float =
        when (distribution?.optString("type", "normal") ?: "normal") {
            "uniform" -> {
                val low = distribution!!.optDouble("low", -1.0); val high = distribution.optDouble("high", 1.0)
                (low + (high - low) * random.nextDouble()).toFloat()
            }
            else -> {  // "normal" (and "code": a plain AE has no prior, N(0, 1) stand-in)
                val loc = distribution?.optDouble("loc", 0.0) ?: 0.0
                val scale = distribution?.optDouble("scale", 1.0) ?: 1.0
                (loc + scale * random.nextGaussian()).toFloat()
            }
        }

    private fun quantize(x: Float, input: Input): Byte =
        ((x / input.qScale).roundToInt() + input.qZeroPoint).coerceIn(-128, 127).toByte()

    @Suppress("UNCHECKED_CAST")
    private fun toBitmap(out: Any, index: Int): Bitmap {
        val bitmap = Bitmap.createBitmap(width, height, Bitmap.Config.ARGB_8888)
        for (y in 0 until height) for (x in 0 until width) {
            val px = IntArray(channels) { c ->
                val value = if (outScale != 0f) {
                    ((out as Array<Array<Array<ByteArray>>>)[index][y][x][c] - outZeroPoint) * outScale
                } else {
                    (out as Array<Array<Array<FloatArray>>>)[index][y][x][c]
                }
                ((value + pixelOffset) * pixelScale).roundToInt().coerceIn(0, 255)
            }
            val color = if (channels == 1) Color.rgb(px[0], px[0], px[0])
                        else Color.argb(if (channels == 4) px[3] else 255, px[0], px[1], px[2])
            bitmap.setPixel(x, y, color)
        }
        return bitmap
    }

    override fun close() = interpreter.close()
}
