package dev.sluice.pipeline;

/** Byte counts for people: {@code 512 B}, {@code 3.1 KiB}, {@code 2.0 GiB}. */
public final class ByteSizes {

    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB"};

    private ByteSizes() {}

    public static String format(long n) {
        if (n < 1024) {
            return n + " B";
        }
        double v = n;
        int u = -1;
        while (v >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, UNITS[u]);
    }
}
