package dev.sluice.snapshot.progress;

import dev.sluice.snapshot.progress.SnapshotProgress.TableView;
import dev.sluice.snapshot.progress.SnapshotProgress.View;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** Progress as text for people: the periodic log line and the parts of the terminal display. */
final class ProgressFormat {

    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB"};

    private ProgressFormat() {}

    /**
     * One line saying where the snapshot stands, e.g. {@code snapshot rows: 42% of ~2.9 GiB (1.2 GiB,
     * 1,234,567 rows), 35.1 MiB/s, ETA 0:00:48, 12/40 tables done, largest in flight public.orders
     * 61% of ~1.6 GiB}.
     */
    static String logLine(View v) {
        return switch (v.phase()) {
            case NOT_STARTED -> "snapshot: not started";
            case PRE_DATA -> "snapshot schema pre-data: running for " + duration(v.phaseElapsed());
            case ROWS -> rowsLine(v);
            case POST_DATA -> postDataLine(v);
            case DONE ->
                "snapshot done in " + duration(v.elapsed()) + ": " + v.tablesDone() + " table(s), "
                        + bytes(v.bytesCopied()) + ", " + count(v.rowsCopied()) + " rows";
        };
    }

    private static String rowsLine(View v) {
        StringBuilder sb = new StringBuilder("snapshot rows: ")
                .append(percent(v.fraction()))
                .append(" of ~")
                .append(bytes(v.bytesEstimated()))
                .append(" (")
                .append(bytes(v.bytesCopied()))
                .append(", ")
                .append(count(v.rowsCopied()))
                .append(" rows), ")
                .append(rate(v.bytesPerSecond()))
                .append(", ETA ")
                .append(duration(v.eta()))
                .append(", ")
                .append(v.tablesDone())
                .append('/')
                .append(v.tablesTotal())
                .append(" tables done");
        if (!v.copying().isEmpty()) {
            TableView largest = v.copying().get(0);
            sb.append(", largest in flight ")
                    .append(largest.table())
                    .append(' ')
                    .append(percent(largest.fraction()))
                    .append(" of ~")
                    .append(bytes(largest.estimatedBytes()));
        }
        return sb.toString();
    }

    private static String postDataLine(View v) {
        StringBuilder sb = new StringBuilder("snapshot post-data: ")
                .append(postDataCount(v))
                .append(" objects, running for ")
                .append(duration(v.phaseElapsed()));
        List<String> running = v.postDataRunning();
        if (!running.isEmpty()) {
            sb.append(", creating ").append(running.get(0));
            if (running.size() > 1) {
                sb.append(" (+").append(running.size() - 1).append(" more)");
            }
        }
        return sb.toString();
    }

    static String postDataCount(View v) {
        return v.postDataDone() + "/" + (v.postDataTotal() < 0 ? "?" : String.valueOf(v.postDataTotal()));
    }

    /**
     * One table in flight, fitted to {@code width} columns: {@code public.orders 61% [######    ]
     * 980 MiB/~1.6 GiB 1,234,567 rows 12.0 MiB/s ETA 0:00:35}.
     */
    static String tableLine(TableView t, int width, boolean unicode) {
        String name = t.table().toString();
        String line = "  " + name + " ".repeat(Math.max(0, 24 - name.length())) + " " + pad(percent(t.fraction()), 4)
                + " " + bar(t.fraction(), 12, unicode) + " " + bytes(t.bytes()) + "/~" + bytes(t.estimatedBytes())
                + "  " + count(t.rows()) + " rows  " + rate(t.bytesPerSecond()) + "  ETA " + duration(t.eta());
        return fit(line, width);
    }

    /**
     * Cut or padded with spaces to exactly {@code width}, so that a line drawn over a longer one
     * leaves nothing of it behind.
     */
    static String fit(String line, int width) {
        int w = Math.max(0, width);
        return line.length() >= w ? line.substring(0, w) : line + " ".repeat(w - line.length());
    }

    static String bar(double fraction, int width, boolean unicode) {
        int full = (int) Math.floor(Math.max(0, Math.min(1, fraction)) * width);
        char block = unicode ? '\u2588' : '#';
        return (unicode ? "\u2502" : "[")
                + String.valueOf(block).repeat(full)
                + " ".repeat(width - full)
                + (unicode ? "\u2502" : "]");
    }

    /** Rounded down, so 100% only when complete: {@code 42%}. */
    static String percent(double fraction) {
        return (int) Math.floor(Math.max(0, Math.min(1, fraction)) * 100) + "%";
    }

    /** {@code 512 B}, {@code 3.1 KiB}, {@code 2.0 GiB}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        double v = n;
        int u = -1;
        while (v >= 1024 && u < UNITS.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, UNITS[u]);
    }

    /** {@code 12.0 MiB/s}; {@code ? B/s} when not known yet. */
    static String rate(double bytesPerSecond) {
        return bytesPerSecond <= 0 ? "? B/s" : bytes(Math.round(bytesPerSecond)) + "/s";
    }

    /** {@code 1:02:03}; {@code ?} when unknown. */
    static String duration(Duration d) {
        if (d == null) {
            return "?";
        }
        long s = Math.max(0, d.toSeconds());
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60);
    }

    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String pad(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }
}
