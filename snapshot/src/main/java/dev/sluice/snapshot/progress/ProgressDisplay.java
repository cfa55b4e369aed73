package dev.sluice.snapshot.progress;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.io.Console;
import java.time.Duration;
import java.util.Locale;

/**
 * Shows a {@link SnapshotProgress} to people while it runs: live bars on a terminal, or a log line
 * every 10 s elsewhere (CI logs, systemd). Starts showing when created; {@link #close} stops it
 * and leaves the terminal on a fresh line.
 */
public interface ProgressDisplay extends AutoCloseable {

    /** How to show progress; {@code auto} (the default) picks bars on a terminal and the log elsewhere. */
    enum Mode {
        AUTO,
        BAR,
        LOG,
        NONE;

        /** Reads {@code auto}, {@code bar}, {@code log} or {@code none}. */
        public static Mode parse(String text) {
            try {
                return valueOf(text.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new SluiceException(
                        Reason.CONFIG, "progress '" + text + "' is not known; expected one of auto, bar, log, none");
            }
        }
    }

    /** How often the log shows a line. */
    Duration LOG_INTERVAL = Duration.ofSeconds(10);

    /**
     * Starts showing the progress.
     *
     * @param tableLines at most this many tables in flight get a line of their own on a terminal
     *     (the copy's worker count is a good choice)
     */
    static ProgressDisplay start(SnapshotProgress progress, Mode mode, int tableLines) {
        Mode chosen = mode == Mode.AUTO ? (stderrIsTerminal() ? Mode.BAR : Mode.LOG) : mode;
        return switch (chosen) {
            case BAR -> BarDisplay.onStderr(progress, tableLines);
            case LOG -> LogDisplay.start(progress, LOG_INTERVAL);
            case NONE, AUTO -> () -> {};
        };
    }

    /**
     * Whether people are watching: a console exists and, on JDK 22 and later where a console may
     * exist without one, it is a terminal.
     */
    static boolean stderrIsTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21 has a console only on a terminal.
        }
    }

    /**
     * Whether this draws live on the terminal, where other lines written to stderr meanwhile (such
     * as per-table INFO logs) break the bars: keep them quiet while it runs.
     */
    default boolean live() {
        return false;
    }

    /** Stops showing; the last state stays on screen. */
    @Override
    void close();
}
