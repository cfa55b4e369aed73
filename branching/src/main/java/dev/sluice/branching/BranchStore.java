package dev.sluice.branching;

import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.localpg.FileTrees;
import dev.sluice.localpg.LocalPostgres;
import dev.sluice.localpg.PostgresBinaries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bundled branch store: a {@code main} PostgreSQL instance that the pipeline writes, and branches
 * cloned from it (or from each other) in about a second whatever the size of the data.
 *
 * <p>Layout under the root directory: {@code main/data} (main's data directory), {@code
 * main/main.json}, and per branch {@code branches/<name>/data}, {@code branches/<name>/branch.json}
 * and its server log. {@link #open} creates the layout or picks up an existing one: main starts,
 * branches come back stopped and start on their first connection.
 *
 * <p>Each branch is reached on a public port the store owns ({@link WakingRelay}); its postmaster
 * listens on an internal loopback port. A branch without connections for {@link
 * StoreOptions#idleStop()} stops; expired branches are deleted. Both are checked every {@link
 * StoreOptions#reaperInterval()}. When main's postmaster dies while the store is open, {@link
 * MainSupervisor} starts it again.
 *
 * <p>Thread-safe: operations on the same names are serialized by per-name locks (a create holds its
 * name and its parent's); {@link #list()} and {@link #find} never wait for them.
 */
public final class BranchStore implements Branches, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BranchStore.class);

    /** The login role of every branch; its password differs per branch. */
    static final String BRANCH_ROLE = "branch";

    /**
     * Settings every branch's postmaster gets. No logical replication workers: a subscription cloned
     * from the parent must never start consuming from its publisher. No zero-filled or recycled WAL
     * segments: a segment of zeros is new storage a sparse one does not cost, and a recycled one is
     * a clone of the parent's WAL that the branch would rewrite block by block. One {@code syncfs}
     * instead of an fsync per file when the clone's crash recovery starts: that was the slowest part
     * of a start, and it syncs the same files.
     */
    private static final Map<String, String> BRANCH_SETTINGS = Map.of(
            "max_logical_replication_workers", "0",
            "wal_init_zero", "off",
            "wal_recycle", "off",
            "recovery_init_sync_method", "syncfs");

    /**
     * main's settings on a cloning filesystem, as PostgreSQL's documentation advises for one: a new
     * WAL segment is created sparse rather than zero-filled, and old ones are removed rather than
     * renamed for reuse, so WAL costs only the blocks actually written.
     */
    private static final Map<String, String> COPY_ON_WRITE_SETTINGS =
            Map.of("wal_init_zero", "off", "wal_recycle", "off");

    private final Path root;
    private final Path branchesDirectory;
    private final StoreOptions options;
    private final StoreLock storeLock;
    private final CopyMethod copyMethod;
    private final PostgresBinaries binaries;
    private final PublicPorts ports;
    private final MainServer main;
    private final MainSupervisor mainSupervisor;
    private final Map<String, Live> branches = new ConcurrentHashMap<>();
    /** Branches whose create is under way, shown as CREATING. */
    private final Map<String, BranchRecord> creating = new ConcurrentHashMap<>();

    private final NameLocks locks = new NameLocks();
    private final ScheduledExecutorService maintenance;
    private volatile Consumer<String> stepHook = step -> {};
    private final AtomicBoolean closed = new AtomicBoolean();
    /**
     * Held shared by each create, reset and delete, and exclusively by {@link #close}: a close
     * waits for them, so that none starts a server or writes a record once the store is closed.
     */
    private final ReadWriteLock operations = new ReentrantReadWriteLock();

    /**
     * A branch the store serves: its record, its postmaster and its public port's relay, which is
     * empty when the port was taken by another program when the store opened (the branch is then
     * FAILED until it is deleted or the store is opened again).
     */
    private record Live(BranchRecord record, BranchServer server, Optional<WakingRelay> relay) {
        BranchState state() {
            return relay.isEmpty() ? BranchState.FAILED : server.state();
        }

        /** Closes the port and stops the postmaster for good (the store closes or the branch goes). */
        void retire() {
            relay.ifPresent(WakingRelay::close);
            server.retire();
        }
    }

    private BranchStore(
            Path root,
            StoreOptions options,
            StoreLock lock,
            CopyMethod copyMethod,
            PostgresBinaries binaries,
            MainServer main) {
        this.root = root;
        this.storeLock = lock;
        this.branchesDirectory = root.resolve("branches");
        this.options = options;
        this.copyMethod = copyMethod;
        this.binaries = binaries;
        this.ports = new PublicPorts(options.listenHost(), options.firstPort(), options.lastPort());
        this.main = main;
        this.mainSupervisor = MainSupervisor.start(main.postgres(), options.clock());
        this.maintenance = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("sluice-branch-reaper").daemon().factory());
    }

    /**
     * Opens the store in {@code root}, creating it when the directory is empty or absent: detects
     * whether the filesystem can clone (and logs what it found), starts main, and brings back every
     * branch a previous run left (stopped, waking on their first connection). A branch directory
     * without a record is what a create interrupted by a crash left, and is removed.
     *
     * @throws SluiceException when main cannot start, or the store serves another database than
     *     {@code options} asks for
     */
    public static BranchStore open(Path root, StoreOptions options) {
        Path absolute = root.toAbsolutePath().normalize();
        try {
            PrivateDirectories.create(absolute);
            PrivateDirectories.create(absolute.resolve("branches"));
        } catch (IOException e) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG, "cannot create the branch store " + absolute + ": " + e, e);
        }
        StoreLock lock = StoreLock.acquire(absolute);
        CopyMethod copyMethod;
        PostgresBinaries binaries;
        MainServer main;
        List<BranchRecord> records;
        try {
            copyMethod = CopyMethod.detect(absolute);
            LOG.info(copyMethod.describe(absolute));
            binaries = options.binaries().orElseGet(PostgresBinaries::find);
            Map<String, String> mainSettings = new HashMap<>();
            if (copyMethod.copyOnWrite()) {
                mainSettings.putAll(COPY_ON_WRITE_SETTINGS);
            }
            mainSettings.putAll(options.serverSettings());
            OrphanPostmasters.stop(absolute.resolve("main").resolve("data"));
            records = new BranchDirectories(absolute.resolve("branches")).recover();
            main = MainServer.start(
                    absolute.resolve("main"),
                    options,
                    mainSettings,
                    binaries,
                    records.stream().map(BranchRecord::port).collect(Collectors.toSet()));
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        BranchStore store = new BranchStore(absolute, options, lock, copyMethod, binaries, main);
        try {
            store.loadBranches(records);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        long interval = options.reaperInterval().toMillis();
        store.maintenance.scheduleWithFixedDelay(store::maintainQuietly, interval, interval, TimeUnit.MILLISECONDS);
        return store;
    }

    /** Whether branches share blocks with their parent (reflinks), rather than being full copies. */
    public boolean copyOnWrite() {
        return copyMethod.copyOnWrite();
    }

    /** What the filesystem can do, as {@link #open} logged it: e.g. {@code store /x on xfs: reflink copy-on-write}. */
    public String filesystemDescription() {
        return copyMethod.describe(root);
    }

    /**
     * The superuser URL of main's application database: what the replication pipeline writes into
     * (its {@code --store} target). It holds main's superuser password: never log it unmasked.
     */
    public PgUrl mainWriterUrl() {
        return main.writerUrl();
    }

    public Path root() {
        return root;
    }

    public StoreOptions options() {
        return options;
    }

    @Override
    public Branch create(BranchSpec spec) {
        return operation(() -> locks.locked(
                () -> {
                    Optional<Branch> existing = find(spec.name());
                    if (existing.isPresent()) {
                        throw BranchException.exists(existing.get());
                    }
                    return createLocked(spec);
                },
                spec.name(),
                spec.from()));
    }

    @Override
    public List<Branch> list() {
        List<Branch> all = new ArrayList<>();
        all.add(mainBranch());
        Stream.concat(
                        branches.values().stream().map(this::toBranch),
                        creating.values().stream().map(r -> toBranch(r, BranchState.CREATING)))
                .sorted(Comparator.comparing(Branch::createdAt).thenComparing(Branch::name))
                .forEach(all::add);
        return all;
    }

    @Override
    public Optional<Branch> find(String name) {
        if (Branch.MAIN.equals(name)) {
            return Optional.of(mainBranch());
        }
        Live live = branches.get(name);
        if (live != null) {
            return Optional.of(toBranch(live));
        }
        return Optional.ofNullable(creating.get(name)).map(r -> toBranch(r, BranchState.CREATING));
    }

    @Override
    public Branch reset(String name) {
        return operation(() -> resetOpen(name));
    }

    private Branch resetOpen(String name) {
        if (Branch.MAIN.equals(name)) {
            throw new BranchException(BranchException.Kind.INVALID, "main cannot be reset: it is the replica");
        }
        Live before = branches.get(name);
        if (before == null) {
            throw notFound(name);
        }
        return locks.locked(
                () -> {
                    Live live = branches.get(name);
                    if (live == null) {
                        throw notFound(name);
                    }
                    resetLocked(live);
                    return toBranch(live);
                },
                name,
                before.record().parent());
    }

    @Override
    public boolean delete(String name, boolean force) {
        if (Branch.MAIN.equals(name)) {
            throw new BranchException(BranchException.Kind.INVALID, "main cannot be deleted: it is the replica");
        }
        return operation(() -> locks.locked(() -> deleteLocked(name, force), name));
    }

    /** Runs a create, reset or delete, unless the store is closed or closing. */
    private <T> T operation(Supplier<T> body) {
        Lock shared = operations.readLock();
        shared.lock();
        try {
            if (closed.get()) {
                throw new BranchException(BranchException.Kind.FAILED, "the branch store " + root + " is closed");
            }
            return body.get();
        } finally {
            shared.unlock();
        }
    }

    private boolean deleteLocked(String name, boolean force) {
        Live live = branches.get(name);
        if (live == null) {
            return false;
        }
        List<String> children = branches.values().stream()
                .filter(l -> name.equals(l.record().parent()))
                .map(l -> l.record().name())
                .sorted()
                .toList();
        if (!children.isEmpty() && !force) {
            throw new BranchException(
                    BranchException.Kind.INVALID,
                    "branch '" + name + "' is the parent of " + children
                            + "; delete those first or force the delete (they keep their data)");
        }
        try {
            live.retire();
            Path directory = branchesDirectory.resolve(name);
            // The record goes first: a delete cut short by a crash or an I/O error leaves a directory
            // without one, which the next open removes, rather than a branch whose data is half gone.
            BranchRecord.forget(directory);
            FileTrees.delete(directory);
        } catch (RuntimeException e) {
            throw new BranchException(
                    BranchException.Kind.FAILED, "deleting branch '" + name + "' failed: " + e.getMessage(), e);
        } finally {
            // Gone from the list only once its files are (or, after a failure, its port and server are).
            branches.remove(name);
        }
        LOG.info("branch {}: deleted", name);
        return true;
    }

    /**
     * Stops maintenance, every branch's relay and postmaster, and main. The data stays: {@link #open}
     * on the same root brings everything back.
     */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        Lock exclusive = operations.writeLock();
        if (!exclusive.tryLock()) {
            LOG.info("closing the branch store {}: waiting for branch creates, resets and deletes in progress", root);
            exclusive.lock();
        }
        try {
            // First, so that main, stopped below, is not started again.
            mainSupervisor.close();
            maintenance.shutdownNow();
            try {
                maintenance.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            branches.values().parallelStream().forEach(Live::retire);
            branches.clear();
            main.close();
        } finally {
            exclusive.unlock();
            storeLock.close();
        }
    }

    /**
     * Deletes expired branches, stops idle ones and moves server logs past their limit aside; what
     * the reaper runs every interval.
     */
    void maintain() {
        rotateLog("main", main.postgres());
        Instant now = options.clock().instant();
        List<Live> listed = List.copyOf(branches.values());
        step("maintain-listed");
        for (Live live : listed) {
            String name = live.record().name();
            if (live.record().expires().filter(at -> !at.isAfter(now)).isPresent()) {
                // By this instance, not by name: one deleted and created again under the name meanwhile is another.
                locks.locked(
                        () -> {
                            if (branches.get(name) == live) {
                                LOG.info(
                                        "branch {}: expired at {}, deleting it",
                                        name,
                                        live.record().expiresAt());
                                deleteLocked(name, true);
                            }
                            return null;
                        },
                        name);
            } else if (!live.server().stopIfIdle(options.idleStop())) {
                live.server().running().ifPresent(postgres -> rotateLog("branch " + name, postgres));
            }
        }
    }

    /** A log that cannot be moved must not keep the reaper from expiring branches; it is tried again next time. */
    private static void rotateLog(String whose, LocalPostgres postgres) {
        try {
            if (postgres.rotateLog()) {
                LOG.info("{}: its server log grew past the limit and was moved to {}.1", whose, postgres.logFile());
            }
        } catch (SluiceException e) {
            LOG.warn("{}: {}", whose, e.getMessage());
        }
    }

    /** How often main's postmaster was started again after it died, since the store opened. */
    public MainRestarts mainRestarts() {
        return mainSupervisor.restarts();
    }

    /** For tests: called with the name of each step of a create or reset as it completes; may throw to fail it. */
    void onStep(Consumer<String> hook) {
        this.stepHook = hook;
    }

    private Branch createLocked(BranchSpec spec) {
        if (!Branch.MAIN.equals(spec.from()) && !branches.containsKey(spec.from())) {
            throw notFound(spec.from());
        }
        Path directory = branchesDirectory.resolve(spec.name());
        ServerSocket listener = null;
        BranchServer server = null;
        try {
            FileTrees.delete(directory); // a crashed create's leftovers, if any
            PrivateDirectories.create(directory);
            long started = System.nanoTime();
            // The port and credentials come first, so that the branch is listed as CREATING with its URL.
            listener = ports.bindNew(takenPorts());
            Instant now = options.clock().instant();
            BranchRecord record = new BranchRecord(
                    spec.name(),
                    spec.from(),
                    now.toString(),
                    spec.ttl().map(ttl -> now.plus(ttl).toString()).orElse(null),
                    spec.schemaOnly(),
                    copyMethod.copyOnWrite(),
                    listener.getLocalPort(),
                    BRANCH_ROLE,
                    Passwords.generate());
            creating.put(spec.name(), record);
            cloneParent(spec.from(), directory.resolve("data"));
            long cloned = System.nanoTime();
            step("cloned");
            server = newServer(record);
            LocalPostgres postgres = server.start();
            long running = System.nanoTime();
            prepare(postgres, record);
            long prepared = System.nanoTime();
            step("prepared");
            record.save(directory);
            step("saved");
            Live live = new Live(record, server, Optional.of(WakingRelay.start(spec.name(), listener, server)));
            branches.put(spec.name(), live);
            creating.remove(spec.name());
            LOG.info(
                    "branch {}: created from {} on port {} in {} ms (clone {} ms, start {} ms, prepare {} ms; {}{})",
                    spec.name(),
                    spec.from(),
                    record.port(),
                    millis(started, System.nanoTime()),
                    millis(started, cloned),
                    millis(cloned, running),
                    millis(running, prepared),
                    copyMethod.copyOnWrite() ? "copy-on-write clone" : "full copy: the filesystem cannot clone",
                    spec.schemaOnly() ? ", schema only" : "");
            return toBranch(live);
        } catch (RuntimeException | IOException e) {
            if (server != null) {
                server.stop();
            }
            closeQuietly(listener);
            FileTrees.deleteQuietly(directory);
            creating.remove(spec.name());
            if (e instanceof BranchException be) {
                throw be;
            }
            throw new BranchException(
                    BranchException.Kind.FAILED,
                    "creating branch '" + spec.name() + "' from '" + spec.from() + "' failed: " + e.getMessage(),
                    e);
        }
    }

    private void resetLocked(Live live) {
        BranchRecord record = live.record();
        Path directory = branchesDirectory.resolve(record.name());
        Path data = directory.resolve("data");
        Path next = directory.resolve(BranchDirectories.NEXT_DATA);
        Path old = directory.resolve(BranchDirectories.OLD_DATA);
        Path discarded = directory.resolve(BranchDirectories.DISCARDED_DATA);
        try {
            FileTrees.delete(next);
            FileTrees.delete(discarded);
            if (Files.isDirectory(old)) {
                // An earlier reset's rollback failed: data.old, not data, is the branch's.
                live.server().exclusively(() -> {
                    live.server().stop();
                    BranchDirectories.rollBackReset(directory);
                });
            }
            cloneParent(record.parent(), next);
            live.server().exclusively(() -> {
                live.server().stop();
                BranchDirectories.move(data, old);
                BranchDirectories.move(next, data);
                try {
                    prepare(live.server().start(), record);
                    step("reset-prepared");
                    // The reset's commit point: from here the next open keeps the new data.
                    BranchDirectories.move(old, discarded);
                } catch (RuntimeException e) {
                    // Put the branch back as it was, so a failed reset changes nothing.
                    live.server().stop();
                    FileTrees.delete(data);
                    BranchDirectories.move(old, data);
                    throw e;
                }
            });
            LOG.info("branch {}: reset to the current state of {}", record.name(), record.parent());
            try {
                FileTrees.delete(discarded);
            } catch (UncheckedIOException e) {
                LOG.warn(
                        "branch {}: the data it had before the reset is left for the next open to remove: {}",
                        record.name(),
                        e.getMessage());
            }
        } catch (RuntimeException e) {
            FileTrees.deleteQuietly(next);
            if (e instanceof BranchException be) {
                throw be;
            }
            throw new BranchException(
                    BranchException.Kind.FAILED,
                    "resetting branch '" + record.name() + "' failed: " + e.getMessage(),
                    e);
        }
    }

    /** Clones the running parent into {@code target}; a sleeping parent branch is woken for it. */
    private void cloneParent(String parent, Path target) {
        if (Branch.MAIN.equals(parent)) {
            OnlineClone.copy(main.postgres(), copyMethod, target);
            return;
        }
        Live live = branches.get(parent);
        if (live == null) {
            throw notFound(parent);
        }
        // Held like a client connection, so that the idle reaper cannot stop it under the backup.
        live.server().acquire();
        try {
            LocalPostgres running = live.server().running().orElseThrow();
            OnlineClone.copy(running, copyMethod, target);
        } finally {
            live.server().release();
        }
    }

    private void prepare(LocalPostgres postgres, BranchRecord record) {
        try (Connection c = postgres.jdbcConnection(options.database())) {
            BranchPreparation.prepare(
                    c,
                    options.database(),
                    record.role(),
                    record.password(),
                    MainServer.READER_ROLE,
                    MainServer.WRITER_ROLE,
                    record.schemaOnly(),
                    () -> postgres.jdbcConnection(options.database(), record.role(), record.password()));
        } catch (SQLException e) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL,
                    "connecting to branch " + record.name() + " failed [SQLSTATE " + e.getSQLState() + "]: "
                            + e.getMessage(),
                    e);
        }
    }

    private BranchServer newServer(BranchRecord record) {
        Path directory = branchesDirectory.resolve(record.name());
        Map<String, String> settings = new HashMap<>(options.serverSettings());
        settings.putAll(BRANCH_SETTINGS);
        return new BranchServer(
                record.name(),
                directory.resolve("data"),
                directory.resolve("server.log"),
                options.serverLogLimit(),
                binaries,
                settings,
                options.clock());
    }

    private void loadBranches(List<BranchRecord> records) {
        for (BranchRecord record : records) {
            BranchServer server = newServer(record);
            Optional<WakingRelay> relay;
            try {
                relay = Optional.of(WakingRelay.start(record.name(), ports.bind(record.port()), server));
            } catch (SluiceException e) {
                // One taken port must not keep the store and every other branch down.
                LOG.error("branch {}: FAILED, its URL cannot be served: {}", record.name(), e.getMessage());
                relay = Optional.empty();
            }
            branches.put(record.name(), new Live(record, server, relay));
        }
        if (!branches.isEmpty()) {
            LOG.info("{} branches back from {}, stopped until their first connection", branches.size(), root);
        }
    }

    private Branch mainBranch() {
        return new Branch(
                Branch.MAIN,
                Optional.empty(),
                main.createdAt(),
                Optional.empty(),
                main.postgres().isRunning() ? BranchState.RUNNING : BranchState.STOPPED,
                main.readerUrl(),
                false,
                false);
    }

    private Branch toBranch(Live live) {
        return toBranch(live.record(), live.state());
    }

    private Branch toBranch(BranchRecord r, BranchState state) {
        return new Branch(
                r.name(),
                Optional.of(r.parent()),
                r.created(),
                r.expires(),
                state,
                PgUrl.of(clientHost(), r.port(), options.database(), r.role(), r.password()),
                r.schemaOnly(),
                r.copyOnWrite());
    }

    /** The host clients should connect to: the listen address, or loopback for a wildcard one. */
    private String clientHost() {
        String host = options.listenHost();
        return host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
    }

    private Set<Integer> takenPorts() {
        Set<Integer> taken = new TreeSet<>();
        branches.values().forEach(l -> taken.add(l.record().port()));
        creating.values().forEach(r -> taken.add(r.port()));
        return taken;
    }

    private void step(String name) {
        stepHook.accept(name);
    }

    private void maintainQuietly() {
        try {
            maintain();
        } catch (RuntimeException e) {
            LOG.warn("branch maintenance failed (it runs again in {}): {}", options.reaperInterval(), e.getMessage());
        }
    }

    private static long millis(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1_000_000;
    }

    private static BranchException notFound(String name) {
        return new BranchException(BranchException.Kind.NOT_FOUND, "branch '" + name + "' does not exist");
    }

    private static void closeQuietly(ServerSocket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing frees the port; a failure means it is closed already.
            }
        }
    }
}
