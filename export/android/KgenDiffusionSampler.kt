package dev.kgen.edge

import org.json.JSONObject
import org.tensorflow.lite.Interpreter
import java.io.File
import java.util.Random
import kotlin.math.max
import kotlin.math.sqrt

/**
 * Samples images with a kgen diffusion bundle: the DDIM loop around the LiteRT `denoise` signature.
 *
 * The bundle (`kgen export` of a ddpm run) has one signature, `denoise`: inputs `x_t` (float32
 * [-1, H, W, C], role "latent"), `t` (int32 [-1], role "timestep", the original index 0..T-1)
 * and, for class-conditional models, `labels` (int32 [-1], role "label"; `null_label` K = no
 * label); output `eps` (or `v`, by the output's `prediction`) whose metadata holds the training
 * `schedule` (`alpha_bar`, T values). There is no loop in the model: this class runs DDIM
 * (Song et al. 2021, eq. 12), the loop of `export/kgen_litert.py`'s `ddim_sample`, with
 * timesteps round(linspace(0, T - 1, steps)) (or the bundle's `sampler.spacing` "quadratic":
 * round(linspace(0, 1, steps)^2 (T - 1)), each at least the previous + 1), eta in [0, 1] (0: deterministic) and
 * classifier-free guidance (1 + w) out(c) - w out(null). Noise uses java.util.Random, so a seed
 * gives the same images every time on the device (other values than numpy's in Python).
 * Variants with float I/O (float32, float16, dynamic, int8) are supported; not int8_io.
 *
 * val sampler = KgenDiffusionSampler(File(context.filesDir, "ddpm_bundle"), variant = "int8")
 * val images = sampler.sample(n = 4, steps = 20, eta = 0f, seed = 0L)   // [n][H][W][C] in [-1, 1]
 * sampler.close()
 */
class KgenDiffusionSampler(
    bundleDir: File,
    variant: String = "float32",
    numThreads: Int = 2,
) : AutoCloseable {

    val height: Int
    val width: Int
    val channels: Int
    val numClasses: Int
    val nullLabel: Int
    val prediction: String
    val defaultSteps: Int
    /** "uniform" or "quadratic": how `timesteps` picks the indices (the bundle's `sampler.spacing`). */
    val spacing: String
    private val alphaBar: DoubleArray
    private val xName: String
    private val tName: String
    private var labelName: String? = null
    private val outName: String
    private val interpreter: Interpreter

    init {
        val meta = JSONObject(File(bundleDir, "metadata.json").readText())
        val signature = meta.getJSONObject("signatures").getJSONObject("denoise")
        val files = signature.getJSONObject("files")
        require(files.has(variant)) { "no '$variant' file for denoise in this bundle" }
        require(variant != "int8_io") { "int8_io has int8 inputs; export float32, float16, dynamic or int8" }
        val specs = signature.getJSONArray("inputs")
        var x: JSONObject? = null
        var t: JSONObject? = null
        var label: JSONObject? = null
        for (i in 0 until specs.length()) {
            val spec = specs.getJSONObject(i)
            when (spec.getString("role")) {
                "latent" -> x = spec
                "timestep" -> t = spec
                "label" -> label = spec
                else -> throw IllegalArgumentException("input ${spec.getString("name")} has an unknown role")
            }
        }
        requireNotNull(x) { "the denoise signature has no latent (x_t) input" }
        requireNotNull(t) { "the denoise signature has no timestep (t) input" }
        xName = x.getString("name")
        tName = t.getString("name")
        val shape = x.getJSONArray("shape")
        height = shape.getInt(1)
        width = shape.getInt(2)
        channels = shape.getInt(3)
        numClasses = label?.getInt("num_classes") ?: 0
        nullLabel = label?.optInt("null_label", numClasses) ?: 0
        labelName = label?.getString("name")
        val out = signature.getJSONArray("outputs").getJSONObject(0)
        outName = out.getString("name")
        prediction = out.optString("prediction", "epsilon")
        defaultSteps = out.optJSONObject("sampler")?.optInt("steps", 50) ?: 50
        spacing = out.optJSONObject("sampler")?.optString("spacing", "uniform") ?: "uniform"
        require(spacing == "uniform" || spacing == "quadratic") {
            "expected sampler.spacing 'uniform' or 'quadratic'. Received: $spacing"
        }
        val values = out.getJSONObject("schedule").getJSONArray("alpha_bar")
        alphaBar = DoubleArray(values.length()) { values.getDouble(it) }
        interpreter = Interpreter(File(bundleDir, files.getJSONObject(variant).getString("file")),
                                  Interpreter.Options().setNumThreads(numThreads))
    }

    /** The DDIM timesteps by `spacing` (as kgen_litert's `ddim_timesteps`): distinct, increasing. */
    fun timesteps(steps: Int): IntArray {
        val big = alphaBar.size
        require(steps in 1..big) { "expected 1 <= steps <= $big. Received: steps=$steps" }
        if (steps == 1) return intArrayOf(big - 1)
        if (spacing == "uniform") {
            return (0 until steps).map { Math.rint(it * (big - 1).toDouble() / (steps - 1)).toInt() }
                .distinct().toIntArray()
        }
        val out = IntArray(steps) {
            val u = it.toDouble() / (steps - 1)
            Math.rint(u * u * (big - 1)).toInt()
        }
        // Near 0 the curve rises less than one index per step: take the next free index.
        for (i in 1 until steps) out[i] = max(out[i], out[i - 1] + 1)
        return out
    }

    private fun denoise(x: Array<Array<Array<FloatArray>>>, t: Int, labels: IntArray?): Array<Array<Array<FloatArray>>> {
        val n = x.size
        val feeds = HashMap<String, Any>()
        feeds[xName] = x
        feeds[tName] = IntArray(n) { t }
        labelName?.let { feeds[it] = labels ?: IntArray(n) { nullLabel } }
        val out = Array(n) { Array(height) { Array(width) { FloatArray(channels) } } }
        val outputs = HashMap<String, Any>()
        outputs[outName] = out
        interpreter.runSignature(feeds, outputs, "denoise")
        return out
    }

    /**
     * [n][H][W][C] images in [-1, 1]: x_T ~ N(0, I) from `seed`, then `steps` DDIM steps.
     * `labels` (conditional models): class ids 0..K-1 (K: none), cycled; default 0, 1, ..., K-1.
     */
    fun sample(n: Int = 4, steps: Int = defaultSteps, eta: Float = 0f, seed: Long = 0L,
               labels: IntArray? = null, guidance: Float = 0f): Array<Array<Array<FloatArray>>> {
        require(eta in 0f..1f) { "expected eta in [0, 1]. Received: eta=$eta" }
        val random = Random(seed)
        var x = Array(n) { Array(height) { Array(width) { FloatArray(channels) { random.nextGaussian().toFloat() } } } }
        val ids = if (labelName == null) null else IntArray(n) { i ->
            (labels?.let { it[i % it.size] } ?: (i % numClasses)).also {
                require(it in 0..nullLabel) { "expected labels in [0, $nullLabel]. Received: $it" }
            }
        }
        val steps_ = timesteps(steps)
        for (i in steps_.indices.reversed()) {
            val ab = alphaBar[steps_[i]]
            val abPrev = if (i == 0) 1.0 else alphaBar[steps_[i - 1]]
            var out = denoise(x, steps_[i], ids)
            if (ids != null && guidance != 0f) {
                val uncond = denoise(x, steps_[i], IntArray(n) { nullLabel })
                out = Array(n) { a -> Array(height) { b -> Array(width) { c -> FloatArray(channels) { d ->
                    (1f + guidance) * out[a][b][c][d] - guidance * uncond[a][b][c][d] } } } }
            }
            val a = sqrt(ab).toFloat()
            val s = sqrt(1.0 - ab).toFloat()
            val sigma = eta * sqrt((1.0 - abPrev) / (1.0 - ab)) * sqrt(1.0 - ab / abPrev)
            val cX0 = sqrt(abPrev).toFloat()
            val cEps = sqrt(max(1.0 - abPrev - sigma * sigma, 0.0)).toFloat()
            val cNoise = sigma.toFloat()
            val current = x
            x = Array(n) { p -> Array(height) { q -> Array(width) { r -> FloatArray(channels) { k ->
                val xv = current[p][q][r][k]
                val o = out[p][q][r][k]
                val eps = if (prediction == "epsilon") o else s * xv + a * o
                val x0 = if (prediction == "epsilon") (xv - s * eps) / a else a * xv - s * o
                cX0 * x0 + cEps * eps
            } } } }
            if (eta > 0f) {
                for (p in 0 until n) for (q in 0 until height) for (r in 0 until width) for (k in 0 until channels) {
                    x[p][q][r][k] += cNoise * random.nextGaussian().toFloat()
                }
            }
        }
        return x
    }

    override fun close() = interpreter.close()
}
