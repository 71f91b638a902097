package android.graphics;

/** Stub of android.graphics.Color's packing helpers (same bit layout as Android). */
public final class Color {
    private Color() {}

    public static int argb(int alpha, int red, int green, int blue) {
        return (alpha << 24) | (red << 16) | (green << 8) | blue;
    }

    public static int rgb(int red, int green, int blue) { return argb(255, red, green, blue); }
}
