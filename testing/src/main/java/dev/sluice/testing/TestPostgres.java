package dev.sluice.testing;

import dev.sluice.localpg.FileTrees;
import dev.sluice.localpg.LocalPostgres;
import dev.sluice.localpg.PostgresBinaries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The PostgreSQL servers of a test JVM: one per major version, started on first use and stopped,
 * with their data deleted, when the JVM exits.
 *
 * <p>Servers run with durability off ({@link #SETTINGS}): a test never survives a crash anyway. Tests
 * share a server, so each takes its own database from {@link PgServer#createDatabase()} (or lets
 * {@link PostgresExtension} inject one). Tests that must run against every supported version take
 * their majors from {@link #versions()}:
 *
 * <pre>{@code
 * @ParameterizedTest
 * @MethodSource("dev.sluice.testing.TestPostgres#versions")
 * void streamsInserts(int major) {
 *     try (TestDatabase db = TestPostgres.server(major).createDatabase()) { ... }
 * }
 * }</pre>
 */
public final class TestPostgres {

    /** System property overriding {@link #versions()}, e.g. {@code -Dsluice.test.pg.versions=15,18}. */
    public static final String VERSIONS_PROPERTY = "sluice.test.pg.versions";

    /** The newest major, shipped on this module's classpath so that it needs no installation. */
    public static final int NEWEST_MAJOR = 18;

    /** Server settings for tests, on top of {@link LocalPostgres#DEFAULT_SETTINGS}: fast, not durable. */
    public static final Map<String, String> SETTINGS = Map.of(
            "fsync", "off",
            "full_page_writes", "off",
            "synchronous_commit", "off",
            "max_connections", "200",
            "shared_buffers", "128MB");

    private static final Pattern DATA_DIR_NAME = Pattern.compile("sluice-test-(\\d+)-\\d+");
    private static final Map<Integer, PgServer> SERVERS = new ConcurrentHashMap<>();
    private static volatile PostgresBinaries defaultBinaries;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TestPostgres::stopAll, "sluice-test-postgres-shutdown"));
    }

    private TestPostgres() {}

    /** The server of the default version: Debian's installed PostgreSQL if any, else Zonky's. */
    public static PgServer server() {
        PostgresBinaries binaries = defaultBinaries();
        return SERVERS.computeIfAbsent(binaries.majorVersion(), major -> start(binaries));
    }

    /** The server of one major version, e.g. 18; fails, naming where it looked, when there are no binaries. */
    public static PgServer server(int major) {
        return SERVERS.computeIfAbsent(major, m -> start(PostgresBinaries.find(m)));
    }

    /** The major version {@link #server()} runs. */
    public static int defaultMajor() {
        return defaultBinaries().majorVersion();
    }

    /**
     * The majors that version-sensitive tests (streaming, decoding) run against: the default one and
     * {@value #NEWEST_MAJOR}, or the list in the system property {@value #VERSIONS_PROPERTY}.
     */
    public static List<Integer> versions() {
        String property = System.getProperty(VERSIONS_PROPERTY, "").strip();
        if (!property.isEmpty()) {
            return Arrays.stream(property.split(","))
                    .map(String::strip)
                    .filter(s -> !s.isEmpty())
                    .map(Integer::valueOf)
                    .distinct()
                    .toList();
        }
        return Stream.of(defaultMajor(), NEWEST_MAJOR).distinct().sorted().toList();
    }

    private static PostgresBinaries defaultBinaries() {
        PostgresBinaries binaries = defaultBinaries;
        if (binaries == null) {
            binaries = PostgresBinaries.find();
            defaultBinaries = binaries;
        }
        return binaries;
    }

    private static PgServer start(PostgresBinaries binaries) {
        deleteDirectoriesOfDeadJvms();
        Path home = Path.of(System.getProperty("java.io.tmpdir"))
                .resolve("sluice-test-" + ProcessHandle.current().pid() + "-" + binaries.majorVersion());
        FileTrees.deleteQuietly(home);
        LocalPostgres postgres = LocalPostgres.builder(home.resolve("data"))
                .binaries(binaries)
                .settings(SETTINGS)
                .start();
        return new PgServer(postgres, home);
    }

    /**
     * Removes the directories of test JVMs that died without their shutdown hook (killed, or timed
     * out by Surefire). An orphaned postmaster notices its missing {@code postmaster.pid} within a
     * minute and shuts itself down.
     */
    private static void deleteDirectoriesOfDeadJvms() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> entries = Files.list(tmp)) {
            entries.forEach(dir -> {
                Matcher m = DATA_DIR_NAME.matcher(dir.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    stale.add(dir);
                }
            });
        } catch (IOException e) {
            return;
        }
        stale.forEach(FileTrees::deleteQuietly);
    }

    private static void stopAll() {
        SERVERS.values().parallelStream().forEach(PgServer::stopAndDelete);
    }
}
