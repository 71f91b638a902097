package dev.kgen.edge

import android.graphics.Bitmap
import android.graphics.Color
import org.json.JSONObject
import org.tensorflow.lite.Interpreter
import java.io.File
import kotlin.math.roundToInt

/**
 * Runs the `translate` signature (or CycleGAN's `translate_b2a`) of a kgen image-to-image bundle
 * (pix2pix, CycleGAN, SRResNet / SRGAN): a Bitmap in, a Bitmap out.
 *
 * From metadata.json: the variant's .tflite file, the image input (shape [-1, H, W, C], its
 * `to_pixels` mapping `pixel = (x + offset) * scale`, and the int8 scale / zero point of int8_io
 * files) and the output's. The input Bitmap must have the input's size (scale it first with
 * `Bitmap.createScaledBitmap`); grey models read the mean of R, G and B.
 *
 * val tr = KgenTranslator(File(context.filesDir, "bundle"), variant = "int8")
 * val digit: Bitmap = tr.translate(edgeBitmap)
 * tr.close()
 */
class KgenTranslator(
    bundleDir: File,
    variant: String = "int8",
    val signatureKey: String = "translate",
    numThreads: Int = 2,
) : AutoCloseable {

    private class Image(val name: String, val height: Int, val width: Int, val channels: Int,
                        val offset: Float, val scale: Float, val qScale: Float, val qZeroPoint: Int)

    private val input: Image
    private val output: Image
    private val interpreter: Interpreter

    init {
        val meta = JSONObject(File(bundleDir, "metadata.json").readText())
        val signature = meta.getJSONObject("signatures").getJSONObject(signatureKey)
        val files = signature.getJSONObject("files")
        require(files.has(variant)) { "no '$variant' file for $signatureKey in this bundle" }
        val file = files.getJSONObject(variant)
        input = image(signature.getJSONArray("inputs").getJSONObject(0), file.getJSONObject("inputs"))
        output = image(signature.getJSONArray("outputs").getJSONObject(0), file.getJSONObject("outputs"))
        interpreter = Interpreter(File(bundleDir, file.getString("file")),
                                  Interpreter.Options().setNumThreads(numThreads))
    }

    private fun image(spec: JSONObject, tensors: JSONObject): Image {
        val name = spec.getString("name")
        require(spec.getString("role") == "image" || spec.getString("role") == "output") {
            "$signatureKey's tensor $name is not an image (role ${spec.getString("role")})"
        }
        val shape = spec.getJSONArray("shape")
        val toPixels = spec.getJSONObject("to_pixels")
        val q = tensors.getJSONObject(name).optJSONObject("quantization")
        return Image(name, shape.getInt(1), shape.getInt(2), shape.getInt(3),
                     toPixels.getDouble("offset").toFloat(), toPixels.getDouble("scale").toFloat(),
                     q?.getDouble("scale")?.toFloat() ?: 0f, q?.getInt("zero_point") ?: 0)
    }

    /** Translates one Bitmap of the input's size; returns a Bitmap of the output's size. */
    fun translate(bitmap: Bitmap): Bitmap {
        require(bitmap.getWidth() == input.width && bitmap.getHeight() == input.height) {
            "expected a ${input.width}x${input.height} Bitmap, got ${bitmap.getWidth()}x${bitmap.getHeight()}: " +
                "scale it with Bitmap.createScaledBitmap first"
        }
        val values = Array(input.height) { y -> Array(input.width) { x ->
            val color = bitmap.getPixel(x, y)
            val rgb = intArrayOf((color shr 16) and 0xff, (color shr 8) and 0xff, color and 0xff)
            FloatArray(input.channels) { c ->
                val pixel = if (input.channels == 1) rgb.average().toFloat() else rgb[c].toFloat()
                pixel / input.scale - input.offset
            }
        } }
        val feed: Any = if (input.qScale != 0f) {
            arrayOf(Array(input.height) { y -> Array(input.width) { x -> ByteArray(input.channels) { c ->
                ((values[y][x][c] / input.qScale).roundToInt() + input.qZeroPoint).coerceIn(-128, 127).toByte()
            } } })
        } else arrayOf(values)
        val out: Any = if (output.qScale != 0f) arrayOf(Array(output.height) { Array(output.width) { ByteArray(output.channels) } })
                       else arrayOf(Array(output.height) { Array(output.width) { FloatArray(output.channels) } })
        interpreter.runSignature(mapOf(input.name to feed), mapOf(output.name to out), signatureKey)
        return toBitmap(out)
    }

    @Suppress("UNCHECKED_CAST")
    private fun toBitmap(out: Any): Bitmap {
        val bitmap = Bitmap.createBitmap(output.width, output.height, Bitmap.Config.ARGB_8888)
        for (y in 0 until output.height) for (x in 0 until output.width) {
            val px = IntArray(output.channels) { c ->
                val value = if (output.qScale != 0f) {
                    ((out as Array<Array<Array<ByteArray>>>)[0][y][x][c] - output.qZeroPoint) * output.qScale
                } else {
                    (out as Array<Array<Array<FloatArray>>>)[0][y][x][c]
                }
                ((value + output.offset) * output.scale).roundToInt().coerceIn(0, 255)
            }
            val color = if (output.channels == 1) Color.rgb(px[0], px[0], px[0])
                        else Color.rgb(px[0], px[1], px[2])
            bitmap.setPixel(x, y, color)
        }
        return bitmap
    }

    override fun close() = interpreter.close()
}
