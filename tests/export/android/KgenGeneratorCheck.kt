// Drives export/android/KgenGenerator.kt on a real bundle with the stub Android/LiteRT classes:
// prints one JSON line per variant with the interpreter feeds and pixel (0, 0) of the first Bitmap.
import dev.kgen.edge.KgenGenerator
import org.tensorflow.lite.Interpreter
import java.io.File

fun main(args: Array<String>) {
    val bundle = File(args[0])
    for (variant in args.drop(1)) {
        val generator = KgenGenerator(bundle, variant = variant, numThreads = 1)
        val bitmaps = generator.generate(n = 3, labels = intArrayOf(7, 1), seed = 5L)
        generator.close()
        val feeds = Interpreter.lastFeeds.entries.joinToString(",") { "\"${it.key}\":\"${it.value}\"" }
        val pixel = bitmaps[0].getPixel(0, 0)
        println("{\"variant\":\"$variant\",\"model\":\"${Interpreter.lastModel}\"," +
                "\"signature\":\"${Interpreter.lastSignature}\",\"count\":${bitmaps.size}," +
                "\"width\":${bitmaps[0].width},\"height\":${bitmaps[0].height}," +
                "\"pixel\":$pixel,\"feeds\":{$feeds}}")
    }
}
