package dev.sluice.snapshot;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Copies the source's schema to the target with {@code pg_dump --schema-only}, under the same
 * exported snapshot as the rows: the pre-data section (types, functions, tables, sequences) before
 * the rows, the post-data section (indexes, constraints, foreign keys, triggers) after them, which
 * builds indexes once instead of maintaining them row by row. The post-data section also refreshes
 * every materialized view the source has populated, from the copied rows, so that the target's can
 * be read too; one the source never populated stays so.
 *
 * <p>Owners and privileges are left out, so objects owned by roles the target lacks still restore.
 * Sluice's own schema is never copied.
 */
public final class SchemaCopier {

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");

    /** Which part of the schema. */
    public enum Section {
        PRE_DATA("pre-data"),
        POST_DATA("post-data");

        private final String flag;

        Section(String flag) {
            this.flag = flag;
        }
    }

    private final Path pgDump;
    private final int pgDumpMajor;
    private final PgUrl source;
    private final PgUrl target;

    private SchemaCopier(Path pgDump, int pgDumpMajor, PgUrl source, PgUrl target) {
        this.pgDump = pgDump;
        this.pgDumpMajor = pgDumpMajor;
        this.source = source;
        this.target = target;
    }

    /**
     * Finds a {@code pg_dump} at least as new as the source server: {@code explicit} when given, else
     * the newest under {@code /usr/lib/postgresql/N/bin}, else the one on the PATH.
     */
    public static SchemaCopier create(Path explicit, PgUrl source, PgUrl target, int serverMajor) {
        List<Path> candidates = new ArrayList<>();
        if (explicit != null) {
            candidates.add(explicit);
        } else {
            candidates.addAll(debianPgDumps());
            pathPgDump().ifPresent(candidates::add);
        }
        if (candidates.isEmpty()) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "No pg_dump found (looked in /usr/lib/postgresql/*/bin and on the PATH). Install the PostgreSQL"
                            + " client " + serverMajor + " or newer (Debian: postgresql-client-" + serverMajor
                            + "), or name one with snapshot.pg_dump.");
        }
        Path best = null;
        int bestMajor = -1;
        for (Path candidate : candidates) {
            int major = majorVersion(candidate);
            if (major > bestMajor) {
                best = candidate;
                bestMajor = major;
            }
        }
        if (bestMajor < serverMajor) {
            throw new SluiceException(
                    Reason.CONFIG,
                    best + " is pg_dump " + bestMajor + ", which cannot dump a PostgreSQL " + serverMajor
                            + " server: pg_dump must be at least the server's version. Install the PostgreSQL"
                            + " client " + serverMajor + " or newer (Debian: postgresql-client-" + serverMajor
                            + "), or name one with snapshot.pg_dump.");
        }
        return new SchemaCopier(best, bestMajor, source, target);
    }

    public Path pgDump() {
        return pgDump;
    }

    /** Dumps one section under the snapshot and runs it on the target in one transaction. */
    public void copy(Section section, String snapshotName) {
        String script = dump(section, snapshotName);
        try (Connection conn =
                        DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-schema"));
                Statement st = conn.createStatement()) {
            conn.setAutoCommit(false);
            st.execute(script);
            conn.commit();
        } catch (SQLException e) {
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "Creating the source's schema (" + section.flag + ") on the target " + target + " failed: "
                            + PgErrors.firstLine(e.getMessage()) + ". Point Sluice at an empty target database.",
                    e);
        }
    }

    /** The SQL of one section, without psql meta-commands. */
    String dump(Section section, String snapshotName) {
        List<String> command = new ArrayList<>(List.of(
                pgDump.toString(),
                "--section=" + section.flag,
                "--no-owner",
                "--no-privileges",
                "--no-publications",
                "--no-subscriptions",
                "--exclude-schema=sluice",
                "--host=" + source.host(),
                "--port=" + source.port(),
                "--dbname=" + source.database()));
        if (source.user() != null) {
            command.add("--username=" + source.user());
        }
        // Post-data goes without --schema-only: it then also holds a REFRESH MATERIALIZED VIEW for each
        // view the source has populated, which --schema-only leaves out as data. Optimizer statistics,
        // which pg_dump 18 can dump there too, stay out.
        if (section == Section.PRE_DATA) {
            command.add("--schema-only");
        } else if (pgDumpMajor >= 18) {
            command.add("--no-statistics");
        }
        if (snapshotName != null) {
            command.add("--snapshot=" + snapshotName);
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(false);
        String password = source.properties().getProperty("password");
        if (password != null) {
            // Through the environment, never the command line, which other users can see.
            pb.environment().put("PGPASSWORD", password);
        }
        pb.environment().put("PGCONNECT_TIMEOUT", "10");
        try {
            Process process = pb.start();
            process.getOutputStream().close();
            String out;
            String err;
            try (InputStream stdout = process.getInputStream();
                    InputStream stderr = process.getErrorStream()) {
                out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
                err = new String(stderr.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new SluiceException(
                        Reason.SOURCE_NOT_READY,
                        "pg_dump of the source's schema failed: " + PgUrl.maskText(err.strip()));
            }
            return withoutMetaCommands(out);
        } catch (IOException e) {
            throw new SluiceException(Reason.CONFIG, "Cannot run " + pgDump + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SluiceException(Reason.INTERNAL, "Interrupted while running pg_dump", e);
        }
    }

    /** Drops the restrict and unrestrict meta-commands pg_dump adds since 2025; any other meta-command is an error. */
    static String withoutMetaCommands(String script) {
        StringBuilder sql = new StringBuilder(script.length());
        for (String line : script.split("\n", -1)) {
            if (line.startsWith("\\restrict ") || line.startsWith("\\unrestrict ")) {
                continue;
            }
            if (line.startsWith("\\")) {
                throw new SluiceException(
                        Reason.INTERNAL, "pg_dump wrote a psql meta-command Sluice cannot run: " + line);
            }
            sql.append(line).append('\n');
        }
        return sql.toString();
    }

    private static List<Path> debianPgDumps() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin/pg_dump"))
                    .filter(Files::isExecutable)
                    .sorted(Comparator.reverseOrder())
                    .collect(Collectors.toList());
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Optional<Path> pathPgDump() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir, "pg_dump");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static int majorVersion(Path pgDump) {
        try {
            Process p = new ProcessBuilder(pgDump.toString(), "--version")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            Matcher m = VERSION.matcher(out);
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
