package dev.sluice.localpg;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs short-lived programs ({@code postgres --version}, {@code initdb}, {@code kill}, {@code cp}) to
 * completion. Public for the branch store, which copies data directories with {@code cp}.
 */
public final class Exec {

    private Exec() {}

    /** The result of a finished program: its exit code and its stdout and stderr, interleaved. */
    public record Result(int exitCode, String output) {
        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    /**
     * Runs {@code command} and waits for it; kills it and throws when it outlives {@code timeout}.
     *
     * <p>Output goes to a temporary file rather than a pipe, so a chatty program can never block on a
     * full pipe while we wait for it to exit.
     */
    public static Result run(List<String> command, Duration timeout) {
        Path output = null;
        try {
            output = Files.createTempFile("sluice-exec-", ".log");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new SluiceException(
                        SluiceException.Reason.INTERNAL,
                        String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL,
                    "could not run " + String.join(" ", command) + ": " + e.getMessage(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL, "interrupted while running " + String.join(" ", command), e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // A leftover file in the temp directory is harmless.
                }
            }
        }
    }
}
