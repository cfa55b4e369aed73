package dev.sluice.localpg;

import static dev.sluice.core.Preconditions.requireArgument;

import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;

/**
 * A PostgreSQL server running from local binaries on {@value #HOST}, with its own data directory.
 *
 * <p>{@link Builder#start()} runs {@code initdb} when the data directory is not initialized yet and
 * reuses it otherwise, so a server can be stopped and started again, even by another process, and
 * keeps its data. TCP connections need the superuser's password ({@code scram-sha-256}); local
 * socket connections are trusted. The password is kept in {@value #PASSWORD_FILE} inside the data
 * directory (mode 0600), so that a later start on the same directory needs no password from the
 * caller.
 *
 * <p>When the JVM runs as root the server runs as uid 1000 inside a user namespace (PostgreSQL
 * refuses root); see {@code ServerUser}. A JVM shutdown hook stops every server this JVM started, so
 * no postmaster outlives it (unless the JVM is killed with SIGKILL).
 *
 * <p>Thread-safe: {@link #start()} and {@link #stop()} are serialized; the accessors may be called at
 * any time.
 */
public final class LocalPostgres implements AutoCloseable {

    /** The only address the server listens on, unless a {@code listen_addresses} setting says otherwise. */
    public static final String HOST = "127.0.0.1";

    /** The file in the data directory that holds the superuser's password. */
    public static final String PASSWORD_FILE = "sluice-superuser.password";

    /** Settings every server gets unless the builder overrides them. */
    public static final Map<String, String> DEFAULT_SETTINGS = defaultSettings();

    /** The size past which the server log is moved aside unless the builder says otherwise: 16 MiB. */
    public static final long DEFAULT_LOG_LIMIT = 16L << 20;

    private static final int LOG_LINES_IN_ERRORS = 20;
    private static final Duration STOP_PATIENCE = Duration.ofSeconds(60);

    private final DataDirectory dataDirectory;
    private final Path dataPath;
    private final PostgresBinaries binaries;
    private final String superuser;
    private final String password;
    private final Map<String, String> settings;
    private final Path logFile;
    private final long logLimit;
    private final Duration startTimeout;
    private final List<String> initdbOptions;

    private volatile int port;
    /** Written under this object's lock; read without it by {@link #isRunning}. */
    private volatile Process postmaster;

    /** Whether the last {@link #start()} completed and no {@link #stop()} began since. */
    private volatile boolean started;

    private SocketDirectory socketDirectory;

    private LocalPostgres(Builder b, String password) {
        this.dataPath = b.dataDirectory;
        this.dataDirectory = new DataDirectory(b.dataDirectory);
        this.binaries = b.binaries != null ? b.binaries : PostgresBinaries.find();
        this.superuser = b.superuser;
        this.password = password;
        this.settings = Map.copyOf(b.settings);
        this.logFile = b.logFile != null ? b.logFile : dataPath.resolve("log").resolve("server.log");
        this.logLimit = b.logLimit;
        this.startTimeout = b.startTimeout;
        this.initdbOptions = List.copyOf(b.initdbOptions);
        this.port = b.port;
    }

    /** A builder for a server whose data lives in {@code dataDirectory} (created if absent). */
    public static Builder builder(Path dataDirectory) {
        return new Builder(dataDirectory);
    }

    public String host() {
        return HOST;
    }

    /** The TCP port; chosen when the server first starts if the builder asked for port 0, then kept. */
    public int port() {
        return port;
    }

    public int majorVersion() {
        return binaries.majorVersion();
    }

    public PostgresBinaries binaries() {
        return binaries;
    }

    public String superuser() {
        return superuser;
    }

    public String password() {
        return password;
    }

    /** A URL for the superuser and {@code database}, with the password in it. */
    public PgUrl url(String database) {
        return PgUrl.of(HOST, port, database, superuser, password);
    }

    /** A new connection as the superuser to {@code database}; the caller closes it. */
    public Connection jdbcConnection(String database) throws SQLException {
        return connect(url(database));
    }

    /** A new connection as {@code user}, with its password over TCP, to {@code database}; the caller closes it. */
    public Connection jdbcConnection(String database, String user, String userPassword) throws SQLException {
        return connect(url(database).withCredentials(user, userPassword));
    }

    private static Connection connect(PgUrl url) throws SQLException {
        Properties properties = url.properties();
        properties.setProperty("loginTimeout", "10");
        return DriverManager.getConnection(url.jdbcUrl(), properties);
    }

    public Path dataDirectory() {
        return dataPath;
    }

    /** Where the server's output goes (appended across restarts); {@code log/server.log} in the data directory by default. */
    public Path logFile() {
        return logFile;
    }

    /**
     * Moves the server log's content to {@code <log>.1} (replacing the one before) once the log has
     * grown past its limit, so that a server running for weeks keeps at most about twice the limit
     * on disk; the server goes on writing to the emptied log. {@link #start()} does it before the
     * server starts; an owner that keeps a server running calls it now and then. A line the server
     * writes in the very instant of the move can be lost. Serialized with {@link #start()}, which
     * reads the log from where it stood when the server was launched.
     *
     * @return whether the log was moved
     * @throws SluiceException when the log cannot be read or written
     */
    public synchronized boolean rotateLog() {
        try {
            return ServerLog.rotateIfOver(logFile, logLimit);
        } catch (IOException e) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL,
                    "could not move the server log " + logFile + " to " + ServerLog.previous(logFile) + ": " + e,
                    e);
        }
    }

    /**
     * Whether the server was started and its postmaster is alive. Never waits: while a start or a
     * stop is under way (a start can take a minute of crash recovery) it answers false at once, so
     * that a health check or a listing is not held up behind it.
     */
    public boolean isRunning() {
        Process p = postmaster;
        return started && p != null && p.isAlive();
    }

    /**
     * The exit code of a postmaster that exited without being asked to (a crash, the OOM killer,
     * {@code kill -9}; 128 + the signal's number when a signal ended it); empty while it runs, after
     * {@link #stop()}, and before the first start. A supervisor logs it before it calls {@link #start()}.
     */
    public synchronized OptionalInt exitCode() {
        return postmaster != null && !postmaster.isAlive()
                ? OptionalInt.of(postmaster.exitValue())
                : OptionalInt.empty();
    }

    /**
     * Starts the server again after {@link #stop()}, on the same port and data directory; does nothing
     * when it is running. Returns when the server accepts connections with the superuser's password.
     *
     * @throws SluiceException when the server does not start within the timeout or exits; the message
     *     has the last lines of the server log
     */
    public synchronized LocalPostgres start() {
        if (isRunning()) {
            return this;
        }
        stop(); // clears what a server that died on its own left behind
        ServerUser.checkUsable();
        if (!dataDirectory.isInitialized()) {
            // A server that never fsyncs gains nothing from initdb syncing its files.
            boolean sync = !"off".equalsIgnoreCase(settings.get("fsync"));
            dataDirectory.initialize(binaries, superuser, password, sync, initdbOptions);
        }
        dataDirectory.checkVersion(binaries);
        rotateLog();
        // A port picked here can be taken by someone else before the server binds it; pick again then.
        // A port the server ran on before is kept, so that clients can reconnect after a restart.
        boolean pickPort = port == 0;
        for (int attempt = 1; ; attempt++) {
            if (pickPort) {
                port = freePort();
            }
            try {
                launchAndAwaitReady();
                break;
            } catch (PortInUse e) {
                if (!pickPort || attempt == 3) {
                    port = pickPort ? 0 : port;
                    throw e.failure;
                }
            }
        }
        checkCredentials();
        started = true;
        return this;
    }

    /**
     * Stops the server with a fast shutdown (open sessions are ended, a checkpoint is written) and
     * waits until it has exited. Does nothing when it is not running.
     */
    public synchronized void stop() {
        started = false;
        if (postmaster != null) {
            Postmasters.stop(postmaster, STOP_PATIENCE);
            Postmasters.unregister(postmaster);
            postmaster = null;
        }
        if (socketDirectory != null) {
            socketDirectory.release();
            socketDirectory = null;
        }
    }

    /**
     * Lets the owner of the servers stop them itself when the JVM is shutting down (for example
     * after Ctrl-C, to finish the work it was doing on them first): the safety net that stops every
     * server still running at exit waits up to {@code grace} for that. The default is no grace.
     */
    public static void ownerStopsServersOnShutdown(Duration grace) {
        Postmasters.ownerGrace(grace);
    }

    /** Same as {@link #stop()}; the data directory stays. */
    @Override
    public void close() {
        stop();
    }

    /**
     * Runs the postmaster in a session of its own, so that Ctrl-C in the terminal reaches only the
     * JVM, which then stops its work before it stops the servers. {@code setsid} execs the command
     * (the JVM's child is no group leader), so the process is still the postmaster.
     */
    private static List<String> ownSession(List<String> command) {
        if (!Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            return command;
        }
        List<String> withSession = new ArrayList<>(command.size() + 1);
        withSession.add("/usr/bin/setsid");
        withSession.addAll(command);
        return withSession;
    }

    @Override
    public String toString() {
        return "PostgreSQL " + binaries.version() + " on " + HOST + ":" + port + " (data " + dataPath + ")";
    }

    private void launchAndAwaitReady() throws PortInUse {
        List<String> args = new ArrayList<>(List.of("-D", dataPath.toString(), "-p", Integer.toString(port)));
        Map<String, String> effective = new LinkedHashMap<>(settings);
        if (!effective.containsKey("unix_socket_directories")) {
            socketDirectory = SocketDirectory.forDataDirectory(dataPath);
            effective.put("unix_socket_directories", socketDirectory.path().toString());
        }
        effective.forEach((key, value) -> {
            args.add("-c");
            args.add(key + "=" + value);
        });
        long logStart;
        try {
            Files.createDirectories(logFile.getParent());
            logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
            postmaster = new ProcessBuilder(ownSession(ServerUser.command(binaries.bin("postgres"), args)))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
        } catch (IOException e) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL, "could not start " + binaries.bin("postgres") + ": " + e, e);
        }
        Postmasters.register(postmaster);
        awaitReady(logStart);
    }

    /**
     * Waits until {@code postmaster.pid} names our process and says {@code ready}: the server writes
     * that status once it accepts connections, which is what {@code pg_ctl -w} waits for too.
     */
    private void awaitReady(long logStart) throws PortInUse {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        Path pidFile = dataPath.resolve("postmaster.pid");
        while (true) {
            if (isReady(pidFile)) {
                return;
            }
            if (!postmaster.isAlive()) {
                int exitCode = postmaster.exitValue();
                String log = logSince(logStart);
                stop();
                SluiceException failure = startFailure("exited with code " + exitCode, log);
                if (log.contains("could not create any TCP/IP sockets")
                        || (log.contains(".s.PGSQL.") && log.contains("already exists"))) {
                    throw new PortInUse(failure);
                }
                throw failure;
            }
            if (System.nanoTime() > deadline) {
                stop();
                throw startFailure(
                        "did not accept connections within " + startTimeout.toSeconds() + " s", logSince(logStart));
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                stop();
                Thread.currentThread().interrupt();
                throw new SluiceException(SluiceException.Reason.INTERNAL, "interrupted while starting " + this, e);
            }
        }
    }

    private boolean isReady(Path pidFile) {
        try {
            List<String> lines = Files.readAllLines(pidFile);
            // Line 1: the postmaster's pid; line 8: its status (PostgreSQL 10+).
            return lines.size() >= 8
                    && lines.get(0).strip().equals(Long.toString(postmaster.pid()))
                    && lines.get(7).strip().equals("ready");
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    private void checkCredentials() {
        try {
            // Connecting at all proves the password; the connection has no other use.
            jdbcConnection("postgres").close();
        } catch (SQLException e) {
            stop();
            boolean wrongPassword = "28P01".equals(e.getSQLState()) || "28000".equals(e.getSQLState());
            throw new SluiceException(
                    wrongPassword ? SluiceException.Reason.AUTHENTICATION : SluiceException.Reason.INTERNAL,
                    "PostgreSQL in " + dataPath + " started, but connecting as " + superuser + " failed: "
                            + e.getMessage()
                            + (wrongPassword
                                    ? ". The data directory was initialized with other credentials; pass those to the builder."
                                    : ""),
                    e);
        }
    }

    private SluiceException startFailure(String what, String log) {
        List<String> lines = log.lines().toList();
        List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_LINES_IN_ERRORS), lines.size());
        return new SluiceException(
                SluiceException.Reason.INTERNAL,
                binaries + " on port " + port + " with data directory " + dataPath + " " + what + ". Last lines of "
                        + logFile + ":\n" + String.join("\n", tail));
    }

    private String logSince(long offset) {
        try (SeekableByteChannel log = Files.newByteChannel(logFile)) {
            log.position(offset);
            return new String(Channels.newInputStream(log).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(could not read " + logFile + ": " + e + ")";
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new SluiceException(SluiceException.Reason.INTERNAL, "could not find a free TCP port: " + e, e);
        }
    }

    private static Map<String, String> defaultSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("listen_addresses", HOST);
        settings.put("wal_level", "logical");
        settings.put("max_replication_slots", "20");
        settings.put("max_wal_senders", "20");
        return Collections.unmodifiableMap(settings);
    }

    private static String generatePassword() {
        String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        SecureRandom random = new SecureRandom();
        StringBuilder sb = new StringBuilder(24);
        for (int i = 0; i < 24; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** The server exited because its port was taken: worth another try on another port. */
    private static final class PortInUse extends Exception {
        private final SluiceException failure;

        PortInUse(SluiceException failure) {
            super(failure.getMessage(), null, false, false);
            this.failure = failure;
        }
    }

    /**
     * Settings of a server to start. Defaults: a free port, superuser {@code postgres} with a generated
     * password (or the one stored in the data directory), {@link #DEFAULT_SETTINGS}, binaries from
     * {@link PostgresBinaries#find()}, a start timeout of 60 s.
     */
    public static final class Builder {
        private final Path dataDirectory;
        private PostgresBinaries binaries;
        private int port;
        private String superuser = "postgres";
        private String password;
        private final Map<String, String> settings = new LinkedHashMap<>(DEFAULT_SETTINGS);
        private Path logFile;
        private long logLimit = DEFAULT_LOG_LIMIT;
        private Duration startTimeout = Duration.ofSeconds(60);
        private final List<String> initdbOptions = new ArrayList<>();

        private Builder(Path dataDirectory) {
            this.dataDirectory = dataDirectory.toAbsolutePath().normalize();
        }

        /** The binaries to run; default {@link PostgresBinaries#find()}. */
        public Builder binaries(PostgresBinaries binaries) {
            this.binaries = binaries;
            return this;
        }

        /** The TCP port; 0 (the default) picks a free one on the first start. */
        public Builder port(int port) {
            requireArgument(port >= 0 && port <= 65535, "port %s is not between 0 and 65535", port);
            this.port = port;
            return this;
        }

        /** The superuser's name; default {@code postgres}. Only takes effect when the data directory is new. */
        public Builder superuser(String superuser) {
            requireArgument(superuser != null && !superuser.isBlank(), "superuser must not be blank");
            this.superuser = superuser;
            return this;
        }

        /**
         * The superuser's password. Default: the one stored in an existing data directory, or a
         * generated one for a new directory. Setting it does not change the password of an existing
         * directory.
         */
        public Builder password(String password) {
            requireArgument(password != null && !password.isEmpty(), "password must not be empty");
            this.password = password;
            return this;
        }

        /** A server setting passed as {@code -c name=value}, overriding a default of the same name. */
        public Builder setting(String name, String value) {
            requireArgument(name != null && !name.isBlank(), "setting name must not be blank");
            settings.put(name, value);
            return this;
        }

        public Builder settings(Map<String, String> more) {
            more.forEach(this::setting);
            return this;
        }

        /** Where the server's output goes; default {@code log/server.log} in the data directory. */
        public Builder logFile(Path logFile) {
            this.logFile = logFile.toAbsolutePath().normalize();
            return this;
        }

        /** The size in bytes past which {@link LocalPostgres#rotateLog()} moves the log aside; default {@link #DEFAULT_LOG_LIMIT}. */
        public Builder logLimit(long bytes) {
            requireArgument(bytes > 0, "log limit must be positive, found %s", bytes);
            this.logLimit = bytes;
            return this;
        }

        /**
         * An extra {@code initdb} option, e.g. {@code --wal-segsize=1}; default none. Only takes
         * effect when the data directory is new.
         */
        public Builder initdbOption(String option) {
            requireArgument(option != null && option.startsWith("--"), "initdb option '%s' must start with --", option);
            initdbOptions.add(option);
            return this;
        }

        /** How long to wait for the server to accept connections; default 60 s. */
        public Builder startTimeout(Duration startTimeout) {
            requireArgument(startTimeout.isPositive(), "start timeout must be positive");
            this.startTimeout = startTimeout;
            return this;
        }

        /** Initializes the data directory if needed and starts the server; see {@link LocalPostgres#start()}. */
        public LocalPostgres start() {
            return new LocalPostgres(this, resolvePassword()).start();
        }

        private String resolvePassword() {
            if (password != null) {
                return password;
            }
            DataDirectory existing = new DataDirectory(dataDirectory);
            Optional<String> stored = existing.storedPassword();
            if (stored.isPresent()) {
                return stored.get();
            }
            if (existing.isInitialized()) {
                throw new SluiceException(
                        SluiceException.Reason.CONFIG,
                        "data directory " + dataDirectory + " was not initialized by Sluice and has no " + PASSWORD_FILE
                                + "; pass the superuser's password to the builder");
            }
            return generatePassword();
        }
    }
}
