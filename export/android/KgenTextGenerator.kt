package dev.kgen.edge

import org.json.JSONObject
import org.tensorflow.lite.Interpreter
import java.io.File
import java.util.Random
import kotlin.math.exp
import kotlin.math.roundToInt

/**
 * Generates text with a kgen char-RNN bundle: the `step` signature, one LiteRT call per character.
 *
 * The bundle (`kgen.models.language.export.export_char_rnn`, or `kgen export` of a char_rnn
 * run) has one signature, `step`: input `ids` (int32, one character id per row; its metadata
 * holds the `vocabulary` string, id i = vocabulary[i]) and the state inputs (role "state",
 * float32 [-1, S]: `state`, plus `cell_state` for an LSTM; zeros start a text); outputs
 * `logits` (float32 [-1, V]) and, for each state input NAME, `next_NAME`, fed back as NAME.
 * There is no loop in the model: this class runs it, the same loop as
 * `export/kgen_litert.py`'s TextGenerator, with the same sampling rules as kgen:
 * temperature (0: greedy), then top-k (keep logits >= the k-th largest), then top-p (keep
 * the logits whose exclusive cumulative probability is below p). Draws use java.util.Random,
 * so a seed gives the same text every time on the device (other values than in Python).
 * An int8_io file's int8 states are quantized/dequantized with the scale/zero point from
 * metadata.json.
 *
 * val gen = KgenTextGenerator(File(context.filesDir, "char_bundle"), variant = "int8")
 * val text = gen.generate("ROMEO:", length = 500, temperature = 0.8f, seed = 0L)
 * gen.close()
 */
class KgenTextGenerator(
    bundleDir: File,
    variant: String = "int8",
    numThreads: Int = 2,
) : AutoCloseable {

    val vocabulary: String
    val defaultPrompt: String
    /** The characters by id, as code points (a Kotlin Char is a UTF-16 unit: emoji take two). */
    private val symbols: List<String>
    private val index: Map<String, Int>
    private val idsName: String

    private class State(val name: String, val size: Int, val inScale: Float, val inZeroPoint: Int,
                        val outScale: Float, val outZeroPoint: Int)

    private val states = mutableListOf<State>()
    private val logitsScale: Float
    private val logitsZeroPoint: Int
    private val interpreter: Interpreter

    init {
        val meta = JSONObject(File(bundleDir, "metadata.json").readText())
        val signature = meta.getJSONObject("signatures").getJSONObject("step")
        val files = signature.getJSONObject("files")
        require(files.has(variant)) { "no '$variant' file for step in this bundle" }
        val file = files.getJSONObject(variant)
        val tensorsIn = file.getJSONObject("inputs")
        val tensorsOut = file.getJSONObject("outputs")
        val specs = signature.getJSONArray("inputs")
        var ids: JSONObject? = null
        for (i in 0 until specs.length()) {
            val spec = specs.getJSONObject(i)
            val name = spec.getString("name")
            when (spec.getString("role")) {
                "token" -> ids = spec
                "state" -> {
                    val qIn = tensorsIn.getJSONObject(name).optJSONObject("quantization")
                    val qOut = tensorsOut.getJSONObject("next_$name").optJSONObject("quantization")
                    states += State(name, spec.getJSONArray("shape").getInt(1),
                                    qIn?.getDouble("scale")?.toFloat() ?: 0f, qIn?.getInt("zero_point") ?: 0,
                                    qOut?.getDouble("scale")?.toFloat() ?: 0f, qOut?.getInt("zero_point") ?: 0)
                }
            }
        }
        requireNotNull(ids) { "the step signature has no token input" }
        require(states.isNotEmpty()) { "the step signature has no state input" }
        vocabulary = ids.getString("vocabulary")
        symbols = vocabulary.codePoints().toArray().map { String(Character.toChars(it)) }
        index = symbols.withIndex().associate { it.value to it.index }
        defaultPrompt = ids.optString("default_prompt", symbols[0])
        idsName = ids.getString("name")
        val qLogits = tensorsOut.getJSONObject("logits").optJSONObject("quantization")
        logitsScale = qLogits?.getDouble("scale")?.toFloat() ?: 0f
        logitsZeroPoint = qLogits?.getInt("zero_point") ?: 0
        interpreter = Interpreter(File(bundleDir, file.getString("file")),
                                  Interpreter.Options().setNumThreads(numThreads))
    }

    /** The prompt followed by `length` generated characters. */
    fun generate(prompt: String = defaultPrompt, length: Int = 500, temperature: Float = 1f,
                 topK: Int = 0, topP: Float = 1f, seed: Long = System.nanoTime()): String {
        require(temperature >= 0f) { "temperature must be >= 0 (0: greedy)" }
        require(topK >= 0 && topP > 0f && topP <= 1f) { "expected topK >= 0 and topP in (0, 1]" }
        val random = Random(seed)
        var state: List<FloatArray> = states.map { FloatArray(it.size) }
        var logits = FloatArray(0)
        val start = prompt.ifEmpty { defaultPrompt }
        val text = StringBuilder(start)
        for (codePoint in start.codePoints().toArray()) {
            val ch = String(Character.toChars(codePoint))
            val id = requireNotNull(index[ch]) { "character '$ch' is not in the model's vocabulary" }
            val out = step(id, state); logits = out.first; state = out.second
        }
        repeat(length) {
            val next = chooseNext(logits, temperature, topK, topP, random)
            text.append(symbols[next])
            val out = step(next, state); logits = out.first; state = out.second
        }
        return text.toString()
    }

    /** One character: (id, states in input order) -> (logits, next states). */
    fun step(id: Int, state: List<FloatArray>): Pair<FloatArray, List<FloatArray>> {
        val feeds = HashMap<String, Any>()
        feeds[idsName] = intArrayOf(id)
        val outputs = HashMap<String, Any>()
        val v = symbols.size
        outputs["logits"] = if (logitsScale != 0f) arrayOf(ByteArray(v)) else arrayOf(FloatArray(v))
        for ((i, s) in states.withIndex()) {
            feeds[s.name] = if (s.inScale != 0f) arrayOf(ByteArray(s.size) { quantize(state[i][it], s) })
                            else arrayOf(state[i])
            outputs["next_${s.name}"] = if (s.outScale != 0f) arrayOf(ByteArray(s.size)) else arrayOf(FloatArray(s.size))
        }
        interpreter.runSignature(feeds, outputs, "step")
        val logits = dequantize(outputs.getValue("logits"), logitsScale, logitsZeroPoint, v)
        return Pair(logits, states.map { s ->
            dequantize(outputs.getValue("next_${s.name}"), s.outScale, s.outZeroPoint, s.size) })
    }

    private fun quantize(x: Float, s: State): Byte =
        ((x / s.inScale).roundToInt() + s.inZeroPoint).coerceIn(-128, 127).toByte()

    @Suppress("UNCHECKED_CAST")
    private fun dequantize(out: Any, scale: Float, zeroPoint: Int, size: Int): FloatArray =
        if (scale != 0f) { val b = (out as Array<ByteArray>)[0]; FloatArray(size) { (b[it] - zeroPoint) * scale } }
        else (out as Array<FloatArray>)[0]

    /** Greedy at temperature 0; else a draw from softmax(logits / T) after the top-k and top-p filters. */
    private fun chooseNext(logits: FloatArray, temperature: Float, topK: Int, topP: Float, random: Random): Int {
        if (temperature == 0f) return logits.indices.maxByOrNull { logits[it] } ?: 0
        val z = FloatArray(logits.size) { logits[it] / temperature }
        if (topK in 1 until z.size) {
            val kth = z.sortedDescending()[topK - 1]
            for (i in z.indices) if (z[i] < kth) z[i] = Float.NEGATIVE_INFINITY
        }
        if (topP < 1f) {
            val ordered = z.sortedDescending()
            val p = softmax(ordered.toFloatArray())
            var before = 0.0
            var cut = ordered[0]
            for (i in ordered.indices) {
                if (before < topP) cut = ordered[i] else break
                before += p[i]
            }
            for (i in z.indices) if (z[i] < cut) z[i] = Float.NEGATIVE_INFINITY
        }
        val probs = softmax(z)
        val u = random.nextDouble()
        var cumulative = 0.0
        for (i in probs.indices) {
            cumulative += probs[i]
            if (u < cumulative) return i
        }
        return probs.size - 1
    }

    private fun softmax(z: FloatArray): DoubleArray {
        val max = z.filter { it.isFinite() }.maxOrNull() ?: 0f
        val e = DoubleArray(z.size) { if (z[it].isFinite()) exp((z[it] - max).toDouble()) else 0.0 }
        val sum = e.sum()
        return DoubleArray(z.size) { e[it] / sum }
    }

    override fun close() = interpreter.close()
}
