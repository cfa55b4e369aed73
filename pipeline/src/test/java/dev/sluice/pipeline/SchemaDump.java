package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A database's schema as {@code pg_dump --schema-only} prints it, normalized to compare a source with its copy. */
final class SchemaDump {

    private SchemaDump() {}

    private static final Pattern PG_DUMP_VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");

    /**
     * The database's schema as {@code pg_dump --schema-only} prints it, one line per element, without
     * what legitimately differs between a source and its copy or carries no schema:
     *
     * <ul>
     *   <li>publications and subscriptions ({@code --no-publications --no-subscriptions}): Sluice
     *       creates its publication on the source only;
     *   <li>Sluice's own schema ({@code --exclude-schema=sluice}), and on the source the event triggers
     *       of DDL capture, which call functions in it;
     *   <li>owners and privileges ({@code --no-owner --no-privileges}), which the copy leaves out;
     *   <li>statistics (pg_dump 18 and newer, {@code --no-statistics}), which are not schema;
     *   <li>comment lines: the dump's header (pg_dump and server versions) and the table of contents
     *       entry above each statement, which only repeats the statement's object name and type;
     *   <li>blank lines;
     *   <li>the restrict and unrestrict psql meta-commands (a backslash, then the word) that pg_dump
     *       writes since August 2025: their key is random per dump;
     *   <li>{@code SET} and {@code SELECT pg_catalog.set_config(...)} lines at the top: session
     *       settings for the restore, not schema. (No function body here has a line starting with
     *       {@code SET}, so none is dropped by mistake.)
     * </ul>
     *
     * Everything else, including sequences' {@code START WITH} (their current values are data, not
     * schema, so they are compared by {@code SnapshotUnderLoadTest.sequencesContinueAtOrAboveTheSource}), must be equal.
     */
    static List<String> of(Path pgDump, TestDatabase db) {
        List<String> command = new ArrayList<>(List.of(
                pgDump.toString(),
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--no-publications",
                "--no-subscriptions",
                "--exclude-schema=sluice",
                "--host=" + db.url().host(),
                "--port=" + db.url().port(),
                "--username=" + db.url().user(),
                "--dbname=" + db.url().database()));
        if (majorVersion(pgDump) >= 18) {
            command.add("--no-statistics");
        }
        String dump = run(command, db.url().properties().getProperty("password"));
        return withoutSluiceEventTriggers(dump.lines()
                .filter(line -> !line.isBlank())
                .filter(line -> !line.startsWith("--"))
                .filter(line -> !line.startsWith("\\restrict ") && !line.startsWith("\\unrestrict "))
                .filter(line -> !line.startsWith("SET ") && !line.startsWith("SELECT pg_catalog.set_config("))
                .toList());
    }

    /** Leaves out the statements creating DDL capture's event triggers, up to the line ending each. */
    private static List<String> withoutSluiceEventTriggers(List<String> lines) {
        List<String> kept = new ArrayList<>();
        boolean skipping = false;
        for (String line : lines) {
            skipping = skipping || line.startsWith("CREATE EVENT TRIGGER sluice_");
            if (!skipping) {
                kept.add(line);
            }
            skipping = skipping && !line.endsWith(";");
        }
        return kept;
    }

    private static int majorVersion(Path pgDump) {
        Matcher m = PG_DUMP_VERSION.matcher(run(List.of(pgDump.toString(), "--version"), null));
        assertThat(m.find()).as("pg_dump --version names a major version").isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static String run(List<String> command, String password) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (password != null) {
            pb.environment().put("PGPASSWORD", password);
        }
        try {
            Process process = pb.start();
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(1, TimeUnit.MINUTES))
                    .as("%s finished", command.get(0))
                    .isTrue();
            assertThat(process.exitValue())
                    .as("exit code of %s; output:%n%s", command, out)
                    .isZero();
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + command, e);
        }
    }
}
