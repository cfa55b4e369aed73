package dev.sluice.snapshot;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
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
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the source's schema to the target with {@code pg_dump --schema-only}, under the same
 * exported snapshot as the rows: the pre-data section (types, functions, tables, sequences) before
 * the rows, the post-data section (indexes, constraints, foreign keys, triggers) after them, which
 * builds indexes once instead of maintaining them row by row. The post-data section also refreshes
 * every materialized view the source has populated, from the copied rows, so that the target's can
 * be read too; one the source never populated stays so.
 *
 * <p>Pre-data runs in one transaction, which can also record that it ran. Post-data is split into
 * its objects, created in parallel where they can be, each in a transaction of its own that records
 * it in the {@link SnapshotLedger}: a run that stops part-way (killed, or failing on one object)
 * resumes with the objects it had not created yet.
 *
 * <p>Only the selected tables are created ({@link #forTables}); a table left out takes its
 * partitions and the views reading it along, and foreign keys referencing it are skipped with a
 * warning. Owners, privileges and tablespaces are left out, so objects owned by roles the target
 * lacks, or stored in tablespaces it lacks, still restore. Sluice's own schema is never copied.
 *
 * <p>Instances are immutable; each call opens its own connections.
 */
public final class SchemaCopier {

    private static final Logger log = LoggerFactory.getLogger(SchemaCopier.class);
    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");

    /** Which part of the schema. */
    enum Section {
        PRE_DATA("pre-data"),
        POST_DATA("post-data");

        private final String flag;

        Section(String flag) {
            this.flag = flag;
        }
    }

    /**
     * What {@link #copyPostData} did.
     *
     * @param created objects created by this call
     * @param alreadyDone objects an earlier call had created, skipped
     * @param skipped objects left out because they cannot exist on the target (a foreign key
     *     referencing a table that is not replicated, ...), each with its reason, as logged
     */
    public record PostDataResult(int created, int alreadyDone, List<String> skipped) {
        public PostDataResult {
            skipped = List.copyOf(skipped);
        }
    }

    private final Path pgDump;
    private final int pgDumpMajor;
    private final PgUrl source;
    private final PgUrl target;
    private final Predicate<TableId> selected;
    private final Set<TableId> schemaOnly;

    private SchemaCopier(
            Path pgDump,
            int pgDumpMajor,
            PgUrl source,
            PgUrl target,
            Predicate<TableId> selected,
            Set<TableId> schemaOnly) {
        this.pgDump = pgDump;
        this.pgDumpMajor = pgDumpMajor;
        this.source = source;
        this.target = target;
        this.selected = selected;
        this.schemaOnly = schemaOnly;
    }

    /**
     * Finds a {@code pg_dump} at least as new as the source server: {@code explicit} when given, else
     * the newest under {@code /usr/lib/postgresql/N/bin}, else the one on the PATH. The copier
     * creates every table until told otherwise by {@link #forTables}.
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
        return new SchemaCopier(best, bestMajor, source, target, table -> true, Set.of());
    }

    /**
     * The same copier, creating only some tables.
     *
     * @param selected whether a source table is created on the target; asked of top-level tables
     *     (a partition goes with its partition tree's root), so pass the table filter streaming uses
     *     ({@code TableFilter::includes}), which also answers for tables that cannot be published
     *     (unlogged ones)
     * @param schemaOnly tables created without their rows (created even when not {@code selected});
     *     the caller does not copy their rows. Foreign keys from tables with rows to them are added
     *     {@code NOT VALID}, since the copied rows reference rows that are not there
     */
    public SchemaCopier forTables(Predicate<TableId> selected, Set<TableId> schemaOnly) {
        Set<TableId> only = Set.copyOf(schemaOnly);
        return new SchemaCopier(pgDump, pgDumpMajor, source, target, t -> selected.test(t) || only.contains(t), only);
    }

    public Path pgDump() {
        return pgDump;
    }

    /**
     * Dumps the pre-data section under the snapshot and runs it on the target in one transaction,
     * in which {@code alsoInTransaction} runs too (to record that pre-data is done), so that both
     * or neither commit.
     *
     * @param snapshotName the exported snapshot the rows are copied under; null for the source as it is now
     */
    public void copyPreData(String snapshotName, SqlWork alsoInTransaction) {
        String script = dump(Section.PRE_DATA, snapshotName, selection(snapshotName, true));
        try (Connection conn =
                        DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-schema"));
                Statement st = conn.createStatement()) {
            conn.setAutoCommit(false);
            st.execute(script);
            alsoInTransaction.run(conn);
            conn.commit();
        } catch (SQLException e) {
            if (PgErrors.isConnectionFailure(e)) {
                throw PgErrors.connectFailure("target", target, e);
            }
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "Creating the source's schema (pre-data) on the target " + target + " failed: "
                            + PgErrors.firstLine(e.getMessage()) + ". Point Sluice at an empty target database.",
                    e);
        }
    }

    /**
     * Dumps the post-data section under the snapshot and creates its objects on the target with up
     * to {@code workers} connections, each object in its own transaction that records it in {@code
     * ledger}; objects the ledger already holds are skipped, so a call after a failed or interrupted
     * one completes the work. Fails naming the first object that could not be created; the objects
     * created until then stay recorded.
     *
     * @param snapshotName the exported snapshot, which must still be open; null for the source as it is now
     */
    public PostDataResult copyPostData(String snapshotName, int workers, SnapshotLedger ledger) {
        return copyPostData(snapshotName, workers, ledger, new PostDataListener() {});
    }

    /** Hears of post-data objects as they are created. Workers call it concurrently. */
    public interface PostDataListener {
        /** How many objects are left to create. */
        default void planned(int objects) {}

        /** An object, named by its ledger key, is being created. */
        default void started(String object) {}

        /** That object is created and recorded. */
        default void created(String object) {}
    }

    /** As {@link #copyPostData(String, int, SnapshotLedger)}, telling the listener as it goes. */
    public PostDataResult copyPostData(
            String snapshotName, int workers, SnapshotLedger ledger, PostDataListener listener) {
        try (PostData postData = startPostData(snapshotName, workers, ledger, listener, new Semaphore(workers))) {
            return postData.finish();
        }
    }

    /**
     * Dumps the post-data section under the snapshot and plans its objects, so that each table's
     * indexes and constraints can be built as soon as its rows are in ({@link PostData#tableCopied})
     * while other tables are still being copied; {@link PostData#finish} creates the rest. The
     * snapshot must stay open until then.
     *
     * @param slots an object built during the copy is built only while holding one: share them
     *     with the copy ({@link SnapshotCopier.Config#slots()})
     */
    public PostData startPostData(
            String snapshotName, int workers, SnapshotLedger ledger, PostDataListener listener, Semaphore slots) {
        Objects.requireNonNull(ledger, "ledger");
        PostDataBuilder builder = new PostDataBuilder(target, ledger, workers, listener, slots);
        // pg_dump runs beside the pre-data and the first rows rather than before them.
        CompletableFuture<PostDataBuilder> planned = CompletableFuture.supplyAsync(
                () -> {
                    SchemaSelection selection = selection(snapshotName, false);
                    DumpScript script = DumpScript.parse(dump(Section.POST_DATA, snapshotName, selection));
                    builder.prepare(script, selection, schemaOnly);
                    return builder;
                },
                task -> new Thread(task, "sluice-post-data-dump").start());
        return new PostData(builder, planned);
    }

    /** Post-data being built; closing it stops what has not finished and releases its sessions. */
    public static final class PostData implements AutoCloseable {
        private final PostDataBuilder builder;
        private final CompletableFuture<PostDataBuilder> planned;
        private final List<TableId> copiedBeforePlanned = new ArrayList<>();
        private PostDataBuilder ready;

        private PostData(PostDataBuilder builder, CompletableFuture<PostDataBuilder> planned) {
            this.builder = builder;
            this.planned = planned.thenApply(this::startWaitingTables);
        }

        private synchronized PostDataBuilder startWaitingTables(PostDataBuilder planned) {
            ready = planned;
            copiedBeforePlanned.forEach(planned::tableCopied);
            copiedBeforePlanned.clear();
            return planned;
        }

        /** Every row of a table (a partitioned table: of all its partitions) is committed. Thread-safe. */
        public void tableCopied(TableId table) {
            PostDataBuilder target;
            synchronized (this) {
                if (ready == null) {
                    copiedBeforePlanned.add(table);
                    return;
                }
                target = ready;
            }
            target.tableCopied(table);
        }

        /** Waits for the objects under way, creates the others, and says what was done. */
        public PostDataResult finish() {
            try {
                return planned.join().finish();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException cause) {
                    throw cause;
                }
                throw e;
            }
        }

        @Override
        public void close() {
            planned.cancel(false);
            builder.close();
        }
    }

    /**
     * The SQL of the pre-data ({@code preData}) or post-data section for the selected tables under
     * the snapshot, to be run elsewhere: the Kafka sink publishes it as part of the initial copy.
     */
    public String script(boolean preData, String snapshotName) {
        if (preData) {
            return dump(Section.PRE_DATA, snapshotName);
        }
        // What copyPostData leaves out, left out here too: Sluice's own event triggers on the
        // source, and foreign keys to tables that are not replicated.
        SchemaSelection selection = selection(snapshotName, false);
        DumpScript script = DumpScript.parse(dump(Section.POST_DATA, snapshotName, selection));
        StringBuilder sql = new StringBuilder(script.preamble());
        for (DumpScript.Entry entry : script.entries()) {
            boolean ownTrigger = entry.type().equals("EVENT TRIGGER")
                    && SqlNames.eventTriggerFunctionSchema(entry.sql())
                            .filter("sluice"::equals)
                            .isPresent();
            boolean foreignKeyOut = entry.type().equals("FK CONSTRAINT")
                    && SqlNames.foreignKey(entry.sql())
                            .map(fk -> selection.excluded.contains(fk.references()))
                            .orElse(false);
            if (!ownTrigger && !foreignKeyOut) {
                entry.settings().forEach(setting -> sql.append(setting).append('\n'));
                sql.append(entry.sql());
            }
        }
        return sql.toString();
    }

    /** The SQL of one section, for the selected tables, without psql meta-commands. */
    String dump(Section section, String snapshotName) {
        return dump(section, snapshotName, selection(snapshotName, false));
    }

    /** Reads which relations to leave out, under the snapshot; logs the warnings when asked. */
    private SchemaSelection selection(String snapshotName, boolean logWarnings) {
        try (Connection conn =
                        DriverManager.getConnection(source.jdbcUrl(), source.sessionProperties("sluice-schema"));
                Statement st = conn.createStatement()) {
            conn.setAutoCommit(false);
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            if (snapshotName != null) {
                st.execute("SET TRANSACTION SNAPSHOT '" + snapshotName.replace("'", "''") + "'");
            }
            SchemaSelection selection = SchemaSelection.read(conn, selected);
            conn.rollback();
            if (logWarnings) {
                selection.warnings.forEach(log::warn);
            }
            if (!selection.excluded.isEmpty()) {
                log.debug(
                        "Leaving {} relation(s) out of the schema: {}", selection.excluded.size(), selection.excluded);
            }
            return selection;
        } catch (SQLException e) {
            if (PgErrors.isConnectionFailure(e)) {
                throw PgErrors.connectFailure("source", source, e);
            }
            throw new SluiceException(
                    Reason.SOURCE_UNREACHABLE,
                    "Reading the source's tables on " + source + " failed: " + PgErrors.firstLine(e.getMessage()),
                    e);
        }
    }

    private String dump(Section section, String snapshotName, SchemaSelection selection) {
        List<String> command = new ArrayList<>(List.of(
                pgDump.toString(),
                "--section=" + section.flag,
                "--no-owner",
                "--no-privileges",
                "--no-tablespaces",
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
        for (String pattern : selection.excludePatterns()) {
            command.add("--exclude-table=" + pattern);
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
