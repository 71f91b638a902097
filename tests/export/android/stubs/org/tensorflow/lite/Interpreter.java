package org.tensorflow.lite;

import java.io.File;
import java.lang.reflect.Array;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stub of LiteRT's org.tensorflow.lite.Interpreter (the 1.x Java API KgenGenerator uses). It
 * checks what a real interpreter would reject (a missing model file, feeds that are not arrays
 * with one row per sample) and leaves the outputs as given (zeros); `lastFeeds` records the call's
 * names and shapes, `lastInputs` the feeds themselves. A test may set `model` to a stand-in network
 * that writes the outputs from the inputs (e.g. an identity translator).
 */
public final class Interpreter implements AutoCloseable {
    public static final class Options {
        public int numThreads = -1;

        public Options setNumThreads(int numThreads) {
            this.numThreads = numThreads;
            return this;
        }
    }

    public static Map<String, String> lastFeeds = new LinkedHashMap<>();
    public static String lastSignature;
    public static String lastModel;
    public static Map<String, Object> lastInputs = new LinkedHashMap<>();
    /** A stand-in for the network: called with (inputs, outputs) after the checks; null leaves zeros. */
    public static java.util.function.BiConsumer<Map<String, Object>, Map<String, Object>> model;
    private boolean closed;

    public Interpreter(File modelFile, Options options) {
        if (!modelFile.isFile()) throw new IllegalArgumentException("Could not open " + modelFile);
        lastModel = modelFile.getName();
    }

    private static String describe(Object value) {
        if (value == null || !value.getClass().isArray()) {
            throw new IllegalArgumentException("DataType error: cannot resolve DataType of " + value);
        }
        StringBuilder shape = new StringBuilder();
        Object level = value;
        Class<?> type = value.getClass();
        while (type.isArray()) {
            shape.append(shape.length() == 0 ? "" : "x").append(Array.getLength(level));
            level = Array.getLength(level) > 0 ? Array.get(level, 0) : null;
            type = type.getComponentType();
        }
        return type.getName() + "[" + shape + "]";
    }

    public void runSignature(Map<String, Object> inputs, Map<String, Object> outputs, String signatureKey) {
        if (closed) throw new IllegalStateException("Internal error: The Interpreter has already been closed.");
        lastSignature = signatureKey;
        lastFeeds = new LinkedHashMap<>();
        for (Map.Entry<String, Object> feed : inputs.entrySet()) lastFeeds.put(feed.getKey(), describe(feed.getValue()));
        for (Map.Entry<String, Object> out : outputs.entrySet()) lastFeeds.put("output:" + out.getKey(), describe(out.getValue()));
        lastInputs = new LinkedHashMap<>(inputs);
        if (model != null) model.accept(inputs, outputs);
    }

    @Override
    public void close() { closed = true; }
}
