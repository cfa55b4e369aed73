package dev.sluice.localpg;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ServerLogTest {

    @TempDir
    Path tmp;

    /** A child process that writes its input to the log through an inherited descriptor, as the postmaster does. */
    private Process writerTo(Path log) throws IOException {
        return new ProcessBuilder("cat")
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    @Test
    @Timeout(30)
    void aLogPastItsLimitMovesAsideAndTheRunningWriterGoesOnAtTheStartOfTheEmptiedFile() throws Exception {
        Path log = tmp.resolve("server.log");
        Process cat = writerTo(log);
        try (Writer input = cat.outputWriter(StandardCharsets.UTF_8)) {
            String before =
                    IntStream.range(0, 1000).mapToObj(i -> "line " + i + "\n").collect(Collectors.joining());
            write(input, before);
            awaitContent(log, before);

            assertThat(ServerLog.rotateIfOver(log, 4096)).isTrue();
            write(input, "after the move\n");

            awaitContent(log, "after the move\n");
            assertThat(Files.readString(tmp.resolve("server.log.1"))).isEqualTo(before);
        } finally {
            cat.destroy();
        }
    }

    @Test
    void aLogWithinItsLimitStaysWhereItIs() throws Exception {
        Path log = tmp.resolve("server.log");
        Files.writeString(log, "short\n");

        assertThat(ServerLog.rotateIfOver(log, 4096)).isFalse();

        assertThat(Files.readString(log)).isEqualTo("short\n");
        assertThat(tmp.resolve("server.log.1")).doesNotExist();
    }

    @Test
    void aSecondMoveReplacesTheFirstSoThatAtMostTwoFilesRemain() throws Exception {
        Path log = tmp.resolve("server.log");
        Files.writeString(log, "a".repeat(100));
        ServerLog.rotateIfOver(log, 10);
        Files.writeString(log, "b".repeat(20));

        assertThat(ServerLog.rotateIfOver(log, 10)).isTrue();

        assertThat(Files.readString(tmp.resolve("server.log.1"))).isEqualTo("b".repeat(20));
        assertThat(log).isEmptyFile();
        try (var files = Files.list(tmp)) {
            assertThat(files).hasSize(2);
        }
    }

    @Test
    void aMissingLogIsNotAnError() throws Exception {
        assertThat(ServerLog.rotateIfOver(tmp.resolve("never-written.log"), 10)).isFalse();
    }

    private static void write(Writer input, String text) throws IOException {
        input.write(text);
        input.flush();
    }

    /** The writer is another process: wait until the file holds exactly {@code expected}. */
    private static void awaitContent(Path log, String expected) throws Exception {
        while (!(Files.exists(log) && Files.readString(log).equals(expected))) {
            if (Files.exists(log) && Files.size(log) > expected.length()) {
                // Longer than expected can only mean bytes were written at a stale offset (a hole of NULs).
                assertThat(Files.readString(log)).isEqualTo(expected);
            }
            Thread.sleep(10);
        }
    }
}
