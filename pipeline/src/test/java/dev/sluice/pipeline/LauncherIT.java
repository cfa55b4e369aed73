package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code bin/sluice} against the jar the build just packaged: its class data sharing archive is
 * written by a long-running command, holds the anonymization classes even when that command used
 * none, is used by every start after it, and is replaced after the jar is rebuilt (the JVM itself
 * neither uses nor replaces an archive older than the jar).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LauncherIT {

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path JAR = ROOT.resolve("pipeline/target/sluice.jar");
    private static final Path ARCHIVE = ROOT.resolve("pipeline/target/sluice.jsa");

    @Test
    void classDataSharingArchiveIsWrittenUsedAndReplacedWhenTheJarChanges() throws Exception {
        Files.deleteIfExists(ARCHIVE);

        launch("", "snapshot", "--help");
        assertThat(ARCHIVE)
                .as("not written by a command that only prints its help")
                .doesNotExist();
        snapshotOfNothing();
        assertThat(ARCHIVE).as("written at the exit of a long-running command").exists();
        assertThat(Files.getLastModifiedTime(ARCHIVE)).isGreaterThanOrEqualTo(Files.getLastModifiedTime(JAR));
        assertThat(launch("-Xlog:class+load=info", "--version"))
                .contains("dev.sluice.pipeline.cli.SluiceCli source: shared objects file (top)");
        // That command used no rules, yet the archive holds the transformers, loaded beside it.
        Path rules = Files.createTempFile("sluice-launcher", ".yaml");
        try {
            Files.writeString(rules, """
                    transformations:
                      table_transformers:
                        - table: users
                          column_transformers: {email: email_fpe, born: date_shift}
                    """);
            assertThat(launch("-Xlog:class+load=info", "validate", "--transform", rules.toString()))
                    .contains("dev.sluice.transform.builtin.Fpe source: shared objects file (top)")
                    .contains("dev.sluice.transform.builtin.DateTransformers source: shared objects file (top)");
        } finally {
            Files.delete(rules);
        }

        // As after a rebuild: the jar is newer than the archive made from its predecessor.
        Files.setLastModifiedTime(
                ARCHIVE,
                FileTime.from(Files.getLastModifiedTime(JAR).toInstant().minus(Duration.ofHours(1))));
        launch("", "--version");
        assertThat(ARCHIVE).as("a stale archive is removed").doesNotExist();

        snapshotOfNothing();
        assertThat(ARCHIVE).as("and written again").exists();
        assertThat(launch("-Xlog:class+load=info", "--version"))
                .contains("dev.sluice.pipeline.cli.SluiceCli source: shared objects file (top)");
    }

    /** A long-running command that ends at once, with exit status 3: its source refuses the connection. */
    private static void snapshotOfNothing() throws IOException, InterruptedException {
        String output = launch(
                3,
                "",
                "snapshot",
                "--source-url",
                "postgres://sluice@127.0.0.1:1/none",
                "--target-url",
                "postgres://sluice@127.0.0.1:1/none");
        assertThat(output).contains("Cannot reach the source server");
    }

    private static String launch(String javaOptions, String... args) throws IOException, InterruptedException {
        return launch(0, javaOptions, args);
    }

    /** Runs the launcher with these JVM options and arguments; its output, after checking its exit status. */
    private static String launch(int status, String javaOptions, String... args)
            throws IOException, InterruptedException {
        String[] command = new String[args.length + 2];
        command[0] = "bash";
        command[1] = ROOT.resolve("bin/sluice").toString();
        System.arraycopy(args, 0, command, 2, args.length);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("SLUICE_JAVA_OPTS", javaOptions);
        builder.environment().remove("SLUICE_CDS");
        builder.environment().put("SLUICE_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor())
                .as("exit status of bin/sluice %s: %s", String.join(" ", args), output)
                .isEqualTo(status);
        return output;
    }
}
