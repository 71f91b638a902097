package android.graphics;

/** Stub of android.graphics.Bitmap: the calls KgenGenerator makes, with Android's signatures. */
public final class Bitmap {
    public enum Config { ALPHA_8, RGB_565, ARGB_4444, ARGB_8888 }

    private final int width;
    private final int height;
    private final int[] pixels;

    private Bitmap(int width, int height) {
        this.width = width;
        this.height = height;
        this.pixels = new int[width * height];
    }

    public static Bitmap createBitmap(int width, int height, Config config) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("width and height must be > 0");
        return new Bitmap(width, height);
    }

    public void setPixel(int x, int y, int color) {
        if (x < 0 || y < 0 || x >= width || y >= height) throw new IllegalArgumentException("x/y out of range");
        pixels[y * width + x] = color;
    }

    public int getPixel(int x, int y) { return pixels[y * width + x]; }
    public int getWidth() { return width; }
    public int getHeight() { return height; }
}
