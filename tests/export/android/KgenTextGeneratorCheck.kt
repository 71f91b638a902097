// Drives export/android/KgenTextGenerator.kt on a real char-RNN bundle with the stub LiteRT class
// (zero outputs): prints one JSON line per variant with the text, the feeds of the last step and
// the message for a prompt character outside the vocabulary.
import dev.kgen.edge.KgenTextGenerator
import org.tensorflow.lite.Interpreter
import java.io.File

fun main(args: Array<String>) {
    val bundle = File(args[0])
    for (variant in args.drop(1)) {
        val generator = KgenTextGenerator(bundle, variant = variant, numThreads = 1)
        val text = generator.generate(prompt = "ba", length = 5, temperature = 0f, seed = 0L)
        val feeds = Interpreter.lastFeeds.entries.joinToString(",") { "\"${it.key}\":\"${it.value}\"" }
        val sampled = generator.generate(prompt = "b", length = 20, temperature = 1f, topK = 3, seed = 7L)
        val error = try { generator.generate(prompt = "z", length = 1); "" } catch (e: IllegalArgumentException) {
            e.message ?: "" }
        generator.close()
        println("{\"variant\":\"$variant\",\"model\":\"${Interpreter.lastModel}\"," +
                "\"signature\":\"${Interpreter.lastSignature}\",\"text\":\"$text\",\"sampled\":\"$sampled\"," +
                "\"error\":\"$error\",\"feeds\":{$feeds}}")
    }
}
