package dev.kgen.edge

import org.json.JSONObject
import org.tensorflow.lite.Interpreter
import java.io.File
import java.util.Random

/**
 * Runs Gibbs chains with a kgen RBM bundle: a loop around the LiteRT `gibbs_step` signature.
 *
 * The bundle (`kgen export` of an rbm run) has a `gibbs_step` signature: inputs `visible`
 * (float32 [-1, H, W, C], the chains' states), `hidden_noise` (float32 [-1, units], uniform
 * on [0, 1)) and `visible_noise` (float32 [-1, H*W*C], uniform for binary units, standard
 * normal for Gaussian ones, as its metadata `distribution` says); outputs `visible` (the next
 * state, fed back), `images` (E[v | h], [-1, H, W, C]) and `hidden`. One call is one step
 * v -> h -> v with the given noise, so the model holds no random op and no loop: this class
 * runs the loop of `export/kgen_litert.py`'s `gibbs_chain` (start: Bernoulli(0.5) states,
 * then hidden noise and visible noise drawn per step). Noise uses java.util.Random, so a seed
 * gives the same chains every time on the device (other values than numpy's in Python).
 * Variants with float I/O (float32, float16, dynamic, int8) are supported; not int8_io.
 *
 * val sampler = KgenGibbsSampler(File(context.filesDir, "rbm_bundle"), variant = "float16")
 * val images = sampler.sample(n = 16, steps = 1000, seed = 0L)   // [n][H][W][C] in [0, 1]
 * sampler.close()
 */
class KgenGibbsSampler(
    bundleDir: File,
    variant: String = "float32",
    numThreads: Int = 2,
) : AutoCloseable {

    val height: Int
    val width: Int
    val channels: Int
    val numHidden: Int
    val numVisible: Int
    /** True when `visible_noise` is standard normal (Gaussian visible units). */
    val gaussianVisible: Boolean
    private val interpreter: Interpreter

    init {
        val meta = JSONObject(File(bundleDir, "metadata.json").readText())
        val signatures = meta.getJSONObject("signatures")
        require(signatures.has("gibbs_step")) { "this bundle has no gibbs_step signature (export an rbm run)" }
        val signature = signatures.getJSONObject("gibbs_step")
        val files = signature.getJSONObject("files")
        require(files.has(variant)) { "no '$variant' file for gibbs_step in this bundle" }
        require(variant != "int8_io") { "int8_io has int8 inputs; export float32, float16, dynamic or int8" }
        val specs = signature.getJSONArray("inputs")
        val byName = HashMap<String, JSONObject>()
        for (i in 0 until specs.length()) specs.getJSONObject(i).let { byName[it.getString("name")] = it }
        for (name in listOf("visible", "hidden_noise", "visible_noise")) {
            require(byName.containsKey(name)) { "the gibbs_step signature has no '$name' input" }
        }
        val shape = byName.getValue("visible").getJSONArray("shape")
        require(shape.length() == 4) { "expected visible states [-1, H, W, C]. Received: $shape" }
        height = shape.getInt(1)
        width = shape.getInt(2)
        channels = shape.getInt(3)
        numVisible = height * width * channels
        numHidden = byName.getValue("hidden_noise").getJSONArray("shape").getInt(1)
        val noise = byName.getValue("visible_noise").optJSONObject("distribution")?.optString("type", "uniform")
        gaussianVisible = noise == "normal"
        interpreter = Interpreter(File(bundleDir, files.getJSONObject(variant).getString("file")),
                                  Interpreter.Options().setNumThreads(numThreads))
    }

    /** One Gibbs step with the given noise: (next visible state, E[v | h]), both [n][H][W][C]. */
    fun step(visible: Array<Array<Array<FloatArray>>>, hiddenNoise: Array<FloatArray>,
             visibleNoise: Array<FloatArray>): Pair<Array<Array<Array<FloatArray>>>, Array<Array<Array<FloatArray>>>> {
        val n = visible.size
        val feeds = HashMap<String, Any>()
        feeds["visible"] = visible
        feeds["hidden_noise"] = hiddenNoise
        feeds["visible_noise"] = visibleNoise
        val next = Array(n) { Array(height) { Array(width) { FloatArray(channels) } } }
        val images = Array(n) { Array(height) { Array(width) { FloatArray(channels) } } }
        val outputs = HashMap<String, Any>()
        outputs["visible"] = next
        outputs["images"] = images
        outputs["hidden"] = Array(n) { FloatArray(numHidden) }
        interpreter.runSignature(feeds, outputs, "gibbs_step")
        return Pair(next, images)
    }

    /**
     * [n][H][W][C] images E[v | h] in [0, 1] after `steps` Gibbs steps of `n` chains from `start`
     * (default: Bernoulli(0.5) states drawn from `seed`); `onStep(t, images)` sees every step t = 1..steps.
     */
    fun sample(n: Int = 16, steps: Int = 1000, seed: Long = 0L, start: Array<Array<Array<FloatArray>>>? = null,
               onStep: ((Int, Array<Array<Array<FloatArray>>>) -> Unit)? = null): Array<Array<Array<FloatArray>>> {
        require(n >= 1 && steps >= 1) { "expected n >= 1 and steps >= 1. Received: n=$n, steps=$steps" }
        val random = Random(seed)
        var v = start ?: Array(n) { Array(height) { Array(width) { FloatArray(channels) {
            if (random.nextFloat() < 0.5f) 1f else 0f } } } }
        require(v.size == n) { "expected $n start states. Received: ${v.size}" }
        var images = v
        for (t in 1..steps) {
            val hiddenNoise = Array(n) { FloatArray(numHidden) { random.nextFloat() } }
            val visibleNoise = Array(n) { FloatArray(numVisible) {
                if (gaussianVisible) random.nextGaussian().toFloat() else random.nextFloat() } }
            val (next, mean) = step(v, hiddenNoise, visibleNoise)
            v = next
            images = mean
            onStep?.invoke(t, mean)
        }
        return images
    }

    override fun close() = interpreter.close()
}
