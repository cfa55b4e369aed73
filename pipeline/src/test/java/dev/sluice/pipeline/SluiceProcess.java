package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** `sluice` as a child JVM with the test classpath, so tests can kill it like an operator or a crash would. */
final class SluiceProcess implements AutoCloseable {

    private final Process process;
    private final Path output;

    private SluiceProcess(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    /**
     * Starts {@code sluice ARGS}; URLs and other settings go through the environment, as an operator
     * would pass secrets.
     */
    static SluiceProcess start(List<String> jvmOptions, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.sluice.pipeline.cli.SluiceCli");
        command.addAll(List.of(args));
        Path output = Files.createTempFile("sluice-process", ".log");
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
        pb.environment().putAll(env);
        return new SluiceProcess(pb.start(), output);
    }

    /**
     * The environment for streaming between two test databases whose tables the test made itself:
     * URLs through the environment, as an operator passes secrets; no metrics port; no snapshot.
     */
    static Map<String, String> streamOnly(TestDatabase source, TestDatabase target) {
        return Map.of(
                "SLUICE_SOURCE_URL",
                source.url().toUrlWithPassword(),
                "SLUICE_TARGET_URL",
                target.url().toUrlWithPassword(),
                "SLUICE_METRICS_PORT",
                "0",
                "SLUICE_SNAPSHOT_MODE",
                "none");
    }

    /** Like a crash: no chance to finish anything. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    /** Like an operator's `kill`: SIGTERM, then the exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as("sluice exits after SIGTERM")
                .isTrue();
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    int waitFor() throws InterruptedException {
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    String output() throws IOException {
        return Files.readString(output);
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        Files.deleteIfExists(output);
    }
}
