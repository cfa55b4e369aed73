package dev.sluice.snapshot;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.snapshot.DumpScript.Entry;
import dev.sluice.snapshot.SchemaCopier.PostDataResult;
import dev.sluice.snapshot.SqlNames.ConstraintRef;
import dev.sluice.snapshot.SqlNames.ForeignKey;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the post-data objects of a dump on the target, each in its own transaction that also
 * records it in the snapshot ledger, skipping those a previous run recorded.
 *
 * <p>A table's indexes and table constraints can start as soon as its rows are committed ({@link
 * #tableCopied}), beside the copy of the other tables, as {@code pg_restore -j} does; whatever is
 * left then goes in four waves, each finished before the next starts: indexes and table constraints
 * (primary keys, unique, exclusion, check) in parallel, largest tables first; partition index
 * attachments one by one, since a partitioned index becomes valid, and usable by a foreign key,
 * only once every partition's index is attached; foreign keys in parallel, retried when two of them
 * deadlock locking each other's tables; then everything else one by one in the dump's order
 * (triggers, rules, policies, comments, statistics, ...), which respects their dependencies.
 */
final class PostDataBuilder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostDataBuilder.class);
    private static final int DEADLOCK_ATTEMPTS = 5;
    private static final String DEADLOCK = "40P01";

    /** Objects that can be built together, in the order the waves run. */
    enum Wave {
        INDEXES_AND_CONSTRAINTS("index(es) and constraint(s)", true),
        INDEX_ATTACHMENTS("partition index attachment(s)", false),
        FOREIGN_KEYS("foreign key(s)", true),
        OTHERS("other object(s): triggers, rules, policies, comments, ...", false);

        private final String description;
        private final boolean parallel;

        Wave(String description, boolean parallel) {
            this.description = description;
            this.parallel = parallel;
        }

        static Wave of(String type) {
            return switch (type) {
                case "INDEX", "CONSTRAINT", "CHECK CONSTRAINT" -> INDEXES_AND_CONSTRAINTS;
                case "INDEX ATTACH" -> INDEX_ATTACHMENTS;
                case "FK CONSTRAINT" -> FOREIGN_KEYS;
                default -> OTHERS;
            };
        }
    }

    /**
     * An entry to create, with the SQL to run for it and the size of its table.
     *
     * @param locks tables it locks against others of its kind: a foreign key takes a lock on its
     *     table and on the referenced one that excludes another foreign key on either
     */
    record Step(Entry entry, String sql, long pages, Set<TableId> locks) {
        Step(Entry entry, String sql, long pages) {
            this(entry, sql, pages, Set.of());
        }
    }

    private final PgUrl target;
    private final SnapshotLedger ledger;
    private final SchemaCopier.PostDataListener listener;
    private final Semaphore slots;
    private final int workers;
    private final Connection[] connections;
    private String preamble = "";
    private SchemaSelection selection;
    private final Map<Wave, List<Step>> waves = new EnumMap<>(Wave.class);
    private final List<String> skipped = new ArrayList<>();
    private int alreadyDone;
    private int toCreate;

    // Objects built while rows are still being copied, largest table first.
    private ExecutorService early;
    private final PriorityBlockingQueue<Step> earlyQueue = new PriorityBlockingQueue<>(
            16, Comparator.comparingLong(Step::pages).reversed());
    private final LinkedBlockingQueue<Integer> freeConnections = new LinkedBlockingQueue<>();
    private final List<Future<?>> earlyTasks = new CopyOnWriteArrayList<>();
    private final AtomicInteger earlyCreated = new AtomicInteger();
    private final AtomicBoolean earlyFailed = new AtomicBoolean();

    PostDataBuilder(
            PgUrl target, SnapshotLedger ledger, int workers, SchemaCopier.PostDataListener listener, Semaphore slots) {
        this.target = target;
        this.slots = slots;
        this.listener = listener;
        this.ledger = ledger;
        this.workers = Math.max(1, workers);
        this.connections = new Connection[this.workers];
    }

    /**
     * Creates what the script holds and the ledger does not.
     *
     * @param schemaOnly tables created without rows: foreign keys referencing them from a table that
     *     gets rows are added {@code NOT VALID}
     */
    PostDataResult build(DumpScript script, SchemaSelection selection, Set<TableId> schemaOnly) {
        prepare(script, selection, schemaOnly);
        return finish();
    }

    /** Plans the script's objects; none is created yet. */
    void prepare(DumpScript script, SchemaSelection selection, Set<TableId> schemaOnly) {
        preamble = script.preamble();
        this.selection = selection;
        Set<String> done = ledger.finishedPostData();
        Set<ConstraintRef> leftOut = new HashSet<>();
        List<Step> candidates = new ArrayList<>();
        for (Entry entry : script.entries()) {
            Optional<Step> step = plan(entry, selection, schemaOnly, leftOut, skipped);
            if (step.isEmpty()) {
                continue;
            }
            if (done.contains(entry.key())) {
                alreadyDone++;
            } else {
                candidates.add(step.get());
            }
        }
        for (Step step : candidates) {
            Optional<ConstraintRef> commented =
                    step.entry().type().equals("COMMENT") ? SqlNames.commentedConstraint(step.sql()) : Optional.empty();
            if (commented.isPresent() && leftOut.contains(commented.get())) {
                log.debug("Skipping the comment on {}, whose constraint is left out", commented.get());
                continue;
            }
            waves.computeIfAbsent(Wave.of(step.entry().type()), w -> new ArrayList<>())
                    .add(step);
        }
        toCreate = waves.values().stream().mapToInt(List::size).sum();
    }

    /**
     * A table's rows are all committed: its indexes and constraints are built now, beside the copy
     * of the other tables, instead of after the last one. Thread-safe.
     */
    synchronized void tableCopied(TableId table) {
        if (early == null) {
            early = Executors.newFixedThreadPool(workers, r -> new Thread(r, "sluice-post-data"));
            for (int i = 0; i < workers; i++) {
                freeConnections.add(i);
            }
        }
        List<Step> first = waves.getOrDefault(Wave.INDEXES_AND_CONSTRAINTS, new ArrayList<>());
        List<Step> ready = new ArrayList<>();
        for (java.util.Iterator<Step> it = first.iterator(); it.hasNext(); ) {
            Step step = it.next();
            if (SqlNames.table(step.sql())
                    .map(selection::rowsOwner)
                    .filter(table::equals)
                    .isPresent()) {
                ready.add(step);
                it.remove();
            }
        }
        for (Step step : ready) {
            earlyQueue.add(step);
            earlyTasks.add(early.submit(this::applyNextEarly));
        }
    }

    /** Builds the largest ready object on a free connection. */
    private void applyNextEarly() {
        Step step = earlyQueue.poll();
        if (step == null || earlyFailed.get()) {
            return;
        }
        int slot;
        try {
            slot = freeConnections.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        slots.acquireUninterruptibly();
        try {
            apply(connection(slot), step);
            earlyCreated.incrementAndGet();
        } catch (RuntimeException e) {
            earlyFailed.set(true);
            throw e;
        } finally {
            slots.release();
            freeConnections.add(slot);
        }
    }

    /**
     * Waits for what {@link #tableCopied} started, then creates everything else, wave by wave.
     * Fails naming the first object that could not be created.
     */
    PostDataResult finish() {
        int created = awaitEarly();
        if (alreadyDone > 0) {
            log.info("Post-data: {} object(s) already on the target from an earlier run", alreadyDone);
        }
        if (created > 0) {
            log.info("Post-data: {} index(es) and constraint(s) were built while rows were copied", created);
        }
        listener.planned(toCreate);
        for (Wave wave : Wave.values()) {
            run(wave, waves.getOrDefault(wave, List.of()));
        }
        return new PostDataResult(toCreate, alreadyDone, List.copyOf(skipped));
    }

    private int awaitEarly() {
        synchronized (this) {
            if (early == null) {
                return 0;
            }
            early.shutdown();
        }
        RuntimeException first = null;
        for (Future<?> task : earlyTasks) {
            try {
                task.get();
            } catch (ExecutionException e) {
                if (first == null) {
                    first = e.getCause() instanceof RuntimeException re
                            ? re
                            : new SluiceException(Reason.INTERNAL, "Post-data failed: " + e.getCause(), e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SluiceException(Reason.INTERNAL, "Interrupted while creating post-data objects", e);
            }
        }
        if (first != null) {
            throw first;
        }
        return earlyCreated.get();
    }

    /** The step for an entry, or none when it must not be created, with the reason in {@code skipped}. */
    private Optional<Step> plan(
            Entry entry,
            SchemaSelection selection,
            Set<TableId> schemaOnly,
            Set<ConstraintRef> leftOut,
            List<String> skipped) {
        String sql = entry.sql();
        switch (entry.type()) {
            case "FK CONSTRAINT" -> {
                Optional<ForeignKey> parsed = SqlNames.foreignKey(sql);
                if (parsed.isEmpty()) {
                    break;
                }
                ForeignKey fk = parsed.get();
                if (selection.excluded.contains(fk.references())) {
                    skip(
                            skipped,
                            "Foreign key " + fk.name() + " on " + fk.table() + " is not created: it references "
                                    + fk.references() + ", which is not replicated");
                    leftOut.add(new ConstraintRef(fk.table(), fk.name()));
                    return Optional.empty();
                }
                boolean referencesEmpty = schemaOnly.contains(selection.rowsOwner(fk.references()));
                boolean hasRows = !schemaOnly.contains(selection.rowsOwner(fk.table()));
                if (referencesEmpty && hasRows && !isNotValid(sql)) {
                    if (selection.partitioned.contains(fk.table()) && targetMajor() < 18) {
                        skip(
                                skipped,
                                "Foreign key " + fk.name() + " on the partitioned table " + fk.table()
                                        + " is not created: it references " + fk.references() + ", a schema-only table"
                                        + " whose rows are not copied, so it could only be added NOT VALID, which"
                                        + " PostgreSQL before 18 does not support on partitioned tables");
                        leftOut.add(new ConstraintRef(fk.table(), fk.name()));
                        return Optional.empty();
                    }
                    // The referenced table is created empty (schema_only_tables) while this table gets
                    // its rows, so validating the key would fail on the first row. NOT VALID keeps it
                    // enforced for new rows without checking the copied ones.
                    log.debug(
                            "Adding foreign key {} on {} NOT VALID: it references the schema-only table {}",
                            fk.name(),
                            fk.table(),
                            fk.references());
                    sql = notValid(sql);
                }
            }
            case "EVENT TRIGGER" -> {
                if (SqlNames.eventTriggerFunctionSchema(sql)
                        .filter("sluice"::equals)
                        .isPresent()) {
                    // Sluice's own DDL capture on the source: its functions are not copied, nor is it.
                    log.debug("Skipping Sluice's event trigger {}", entry.name());
                    return Optional.empty();
                }
            }
            case "CONSTRAINT" -> {
                Optional<TableId> table = SqlNames.table(sql);
                // Partitioned tables and partitions cannot take a constraint on an existing index.
                if (table.isPresent()
                        && !selection.partitioned.contains(table.get())
                        && !selection.roots.containsKey(table.get())) {
                    sql = onUniqueIndex(sql);
                }
            }
            default -> {}
        }
        long pages = Wave.of(entry.type()) == Wave.INDEXES_AND_CONSTRAINTS
                ? SqlNames.table(sql)
                        .map(t -> selection.pages.getOrDefault(t, 0L))
                        .orElse(0L)
                : 0;
        Set<TableId> locks = entry.type().equals("FK CONSTRAINT")
                ? SqlNames.foreignKey(sql)
                        .map(fk -> Set.of(fk.table(), fk.references()))
                        .orElse(Set.of())
                : Set.of();
        return Optional.of(new Step(entry, sql, pages, locks));
    }

    private static final Pattern KEY_CONSTRAINT = Pattern.compile(
            "\\AALTER TABLE ONLY (?<table>[^\\s\"]+|\"[^\"]+\"\\.\"[^\"]+\"|[^\\s\"]+\\.\"[^\"]+\"|\"[^\"]+\"\\.[^\\s\"]+)"
                    + "\\s+ADD CONSTRAINT (?<name>[^\\s\"]+|\"[^\"]+\") (?<kind>PRIMARY KEY|UNIQUE) (?<columns>\\([^()]*\\))"
                    + "(?<include> INCLUDE \\([^()]*\\))?;\\s*\\z");

    /**
     * A primary key or unique constraint of the plain shape pg_dump writes, rebuilt as a unique
     * index followed by a constraint on that index, as pgcopydb does. {@code ADD CONSTRAINT ...
     * PRIMARY KEY} holds an exclusive lock on the table for the whole index build, so no other
     * index of that table could be built beside it; {@code CREATE UNIQUE INDEX} takes a share lock,
     * and the constraint then takes the exclusive one only for an instant. Any other shape
     * (deferrable, with storage parameters, NULLS NOT DISTINCT, ...) is left as it is.
     */
    static String onUniqueIndex(String sql) {
        Matcher m = KEY_CONSTRAINT.matcher(sql.strip());
        if (!m.matches()) {
            return sql;
        }
        String table = m.group("table");
        String name = m.group("name");
        String include = m.group("include") == null ? "" : m.group("include");
        return "CREATE UNIQUE INDEX " + name + " ON " + table + " USING btree " + m.group("columns") + include
                + ";\nALTER TABLE ONLY " + table + " ADD CONSTRAINT " + name + " " + m.group("kind") + " USING INDEX "
                + name + ";\n";
    }

    private static void skip(List<String> skipped, String message) {
        log.warn(message);
        skipped.add(message);
    }

    private static boolean isNotValid(String sql) {
        String statement = sql.strip();
        if (statement.endsWith(";")) {
            statement = statement.substring(0, statement.length() - 1).stripTrailing();
        }
        return statement.endsWith(" NOT VALID");
    }

    /** The statement with {@code NOT VALID} before its final semicolon. */
    static String notValid(String sql) {
        int semicolon = sql.lastIndexOf(';');
        return semicolon < 0
                ? sql.stripTrailing() + " NOT VALID"
                : sql.substring(0, semicolon).stripTrailing() + " NOT VALID" + sql.substring(semicolon);
    }

    private int targetMajor() {
        try {
            return connection(0).getMetaData().getDatabaseMajorVersion();
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", target, e);
        }
    }

    private void run(Wave wave, List<Step> steps) {
        if (steps.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        int threads = wave.parallel ? Math.min(workers, steps.size()) : 1;
        log.info("Post-data: creating {} {} with {} connection(s)", steps.size(), wave.description, threads);
        if (threads == 1) {
            Connection conn = connection(0);
            for (Step step : steps) {
                apply(conn, step);
            }
        } else {
            List<Step> ordered = new ArrayList<>(steps);
            // Largest tables first, so that the last builds to finish are small ones.
            ordered.sort(Comparator.comparingLong(Step::pages).reversed());
            runInParallel(ordered, threads);
        }
        log.info(
                "Post-data: {} {} created in {} s",
                steps.size(),
                wave.description,
                String.format("%.1f", (System.nanoTime() - started) / 1e9));
    }

    private void runInParallel(List<Step> steps, int threads) {
        Schedule queue = new Schedule(steps);
        AtomicBoolean failed = new AtomicBoolean();
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> new Thread(r, "sluice-post-data"));
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    Connection conn = connection(next.getAndIncrement());
                    Step step;
                    while (!failed.get() && (step = queue.take()) != null) {
                        try {
                            apply(conn, step);
                        } catch (RuntimeException e) {
                            failed.set(true);
                            queue.abandon();
                            throw e;
                        } finally {
                            queue.done(step);
                        }
                    }
                    return null;
                }));
            }
            // Wait for every worker, so that what the others finished is recorded before failing.
            RuntimeException first = null;
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    failed.set(true);
                    if (first == null) {
                        first = e.getCause() instanceof RuntimeException re
                                ? re
                                : new SluiceException(Reason.INTERNAL, "Post-data failed: " + e.getCause(), e);
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        } catch (InterruptedException e) {
            failed.set(true);
            Thread.currentThread().interrupt();
            throw new SluiceException(Reason.INTERNAL, "Interrupted while creating post-data objects", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Hands out steps in order, but never two whose locks overlap at the same time: a worker that
     * would only wait for the other's lock takes the next step instead, as pg_restore's scheduler
     * does, and waits only when every step left would wait.
     */
    static final class Schedule {
        private final List<Step> pending;
        private final Set<TableId> locked = new HashSet<>();
        private boolean abandoned;

        Schedule(List<Step> steps) {
            this.pending = new ArrayList<>(steps);
        }

        /** The next step free to run now, waiting while none is; null when none is left. */
        synchronized Step take() throws InterruptedException {
            while (!abandoned && !pending.isEmpty()) {
                for (java.util.Iterator<Step> it = pending.iterator(); it.hasNext(); ) {
                    Step step = it.next();
                    if (java.util.Collections.disjoint(step.locks(), locked)) {
                        it.remove();
                        locked.addAll(step.locks());
                        return step;
                    }
                }
                wait();
            }
            return null;
        }

        synchronized void done(Step step) {
            locked.removeAll(step.locks());
            notifyAll();
        }

        synchronized void abandon() {
            abandoned = true;
            notifyAll();
        }
    }

    /** Creates one object and records it, in one transaction; retries a deadlock a few times. */
    private void apply(Connection conn, Step step) {
        Entry entry = step.entry();
        listener.started(entry.key());
        for (int attempt = 1; ; attempt++) {
            long started = System.nanoTime();
            try (Statement st = conn.createStatement()) {
                for (String setting : entry.settings()) {
                    st.execute(setting);
                }
                st.execute(step.sql());
                ledger.recordPostData(conn, entry.key());
                conn.commit();
                listener.created(entry.key());
                log.debug(
                        "Created {} {} in {} ms",
                        entry.type(),
                        entry.displayName(),
                        (System.nanoTime() - started) / 1_000_000);
                return;
            } catch (SQLException e) {
                rollbackQuietly(conn);
                if (DEADLOCK.equals(e.getSQLState()) && attempt < DEADLOCK_ATTEMPTS) {
                    log.debug("Deadlock creating {} {}; trying again", entry.type(), entry.displayName());
                    pause(attempt);
                    continue;
                }
                throw new SluiceException(
                        Reason.TARGET_SCHEMA,
                        "Creating " + entry.type() + " " + entry.displayName() + " on the target " + target
                                + " failed: " + PgErrors.firstLine(e.getMessage()) + " (SQL: " + entry.firstLine()
                                + "). Objects created before it are kept: running again resumes from it.",
                        e);
            }
        }
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(50L * attempt + ThreadLocalRandom.current().nextLong(100));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SluiceException(Reason.INTERNAL, "Interrupted while creating post-data objects", e);
        }
    }

    private static void rollbackQuietly(Connection conn) {
        try {
            conn.rollback();
        } catch (SQLException ignored) {
            // The failure being reported matters more; a broken connection is not reused after it.
        }
    }

    /** The i-th target session, opened on first use with the script's preamble run in it. */
    private synchronized Connection connection(int i) {
        if (connections[i] != null) {
            return connections[i];
        }
        Connection conn;
        try {
            conn = DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-schema"));
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", target, e);
        }
        try (Statement st = conn.createStatement()) {
            conn.setAutoCommit(false);
            st.execute(preamble);
            conn.commit();
        } catch (SQLException e) {
            closeQuietly(conn);
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "Preparing a session on the target " + target + " for post-data failed: "
                            + PgErrors.firstLine(e.getMessage()),
                    e);
        }
        connections[i] = conn;
        return conn;
    }

    private static void closeQuietly(Connection conn) {
        try {
            conn.close();
        } catch (SQLException ignored) {
            // Nothing more to release.
        }
    }

    @Override
    public synchronized void close() {
        if (early != null) {
            early.shutdownNow();
        }
        for (int i = 0; i < connections.length; i++) {
            if (connections[i] != null) {
                closeQuietly(connections[i]);
                connections[i] = null;
            }
        }
    }
}
