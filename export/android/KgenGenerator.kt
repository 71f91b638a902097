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
 * variant, the inputs (name, shape with -1 batch, role latent / label, and the model's
 * prior as a `distribution` record: normal, uniform, categorical, one_hot_categorical,
 * bernoulli or concat of those, as kgen.priors writes it), the int8 scale/zero point of
 * int8_io files, and the output's `to_pixels` mapping `pixel = (x + offset) * scale`.
 * The draws follow the same distributions as kgen's numpy sampler (with java.util.Random,
 * so a seed gives other values than in Python).
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

    private class Input(val name: String, val role: String, val dims: IntArray, val dtype: String,
                        val distribution: JSONObject?, val numClasses: Int,
                        val qScale: Float, val qZeroPoint: Int) {
        /** Values per sample (1 for a scalar label). */
        val size: Int get() = dims.fold(1) { a, b -> a * b }
    }

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
                dims = IntArray(shape.length() - 1) { shape.getInt(it + 1) },
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

    /** Draws `n` inputs from the recorded prior (labels cycled if given) and returns `n` Bitmaps. */
    fun generate(n: Int, labels: IntArray? = null, seed: Long = System.nanoTime()): List<Bitmap> {
        val random = Random(seed)
        val feeds = HashMap<String, Any>()
        for (input in inputs) {
            require(input.role in setOf("label", "latent", "code")) { "input ${input.name} has role ${input.role}" }
            feeds[input.name] = if (input.role == "label" && labels != null) {
                IntArray(n) { i ->
                    val id = labels[i % labels.size]
                    require(id in 0 until input.numClasses) { "label $id not in [0, ${input.numClasses})" }
                    id
                }
            } else if (input.dtype == "int32") {
                val ids = Array(n) { drawVector(input.distribution, input.size, random) }
                when (input.dims.size) {
                    0 -> IntArray(n) { ids[it][0].toInt() }
                    1 -> Array(n) { b -> IntArray(input.size) { ids[b][it].toInt() } }
                    2 -> Array(n) { b -> Array(input.dims[0]) { r -> IntArray(input.dims[1]) { c -> ids[b][r * input.dims[1] + c].toInt() } } }
                    else -> throw IllegalArgumentException("integer input ${input.name} of rank ${input.dims.size} is not supported")
                }
            } else {
                val z = Array(n) { drawVector(input.distribution, input.size, random) }
                if (input.dtype == "int8") Array(n) { b -> ByteArray(input.size) { quantize(z[b][it], input) } } else z
            }
        }
        // Arrays carry their batch size: runSignature resizes the dynamic batch axis to n.
        val out: Any = if (outScale != 0f) Array(n) { Array(height) { Array(width) { ByteArray(channels) } } }
                       else Array(n) { Array(height) { Array(width) { FloatArray(channels) } } }
        interpreter.runSignature(feeds, mapOf(outputName to out), signatureKey)
        return List(n) { toBitmap(out, it) }
    }

    /** One sample of `size` values from a prior record (kgen.priors metadata). */
    private fun drawVector(distribution: JSONObject?, size: Int, random: Random): FloatArray {
        val type = distribution?.optString("type", "none") ?: "none"
        return when (type) {
            "normal" -> {
                val loc = distribution!!.optDouble("loc", 0.0); val scale = distribution.optDouble("scale", 1.0)
                FloatArray(size) { (loc + scale * random.nextGaussian()).toFloat() }
            }
            "uniform" -> {
                val low = distribution!!.optDouble("low", -1.0); val high = distribution.optDouble("high", 1.0)
                FloatArray(size) { (low + (high - low) * random.nextDouble()).toFloat() }
            }
            "categorical" -> {
                val k = distribution!!.getInt("num_classes")
                FloatArray(size) { random.nextInt(k).toFloat() }
            }
            "one_hot_categorical" -> {
                val v = distribution!!.getInt("num_variables"); val k = distribution.getInt("num_categories")
                val out = FloatArray(v * k)
                for (i in 0 until v) out[i * k + random.nextInt(k)] = 1f
                out
            }
            "bernoulli" -> {
                val p = distribution!!.optDouble("p", 0.5)
                FloatArray(size) { if (random.nextDouble() < p) 1f else 0f }
            }
            "concat" -> {
                val parts = distribution!!.getJSONArray("parts")
                val out = FloatArray(size)
                var start = 0
                for (i in 0 until parts.length()) {
                    val part = parts.getJSONObject(i)
                    val values = drawVector(part, part.getInt("size"), random)
                    values.copyInto(out, start)
                    start += values.size
                }
                out
            }
            // No prior (a plain autoencoder's code): N(0, 1) stands in.
            else -> FloatArray(size) { random.nextGaussian().toFloat() }
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
