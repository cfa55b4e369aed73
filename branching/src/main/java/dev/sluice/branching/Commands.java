package dev.sluice.branching;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short-lived programs ({@code cp}, {@code stat}) to completion. */
final class Commands {

    private Commands() {}

    /** A finished program: its exit code and its stdout and stderr, interleaved. */
    record Result(int exitCode, String output) {
        boolean succeeded() {
            return exitCode == 0;
        }
    }

    /**
     * Runs {@code command} and waits up to {@code timeout}. Output goes to a temporary file, not a
     * pipe, so a chatty program cannot block on a full pipe while we wait for it.
     */
    static Result run(List<String> command, Duration timeout) {
        Path output = null;
        try {
            output = Files.createTempFile("sluice-branching-", ".log");
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
                    SluiceException.Reason.INTERNAL, "could not run " + String.join(" ", command) + ": " + e, e);
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
