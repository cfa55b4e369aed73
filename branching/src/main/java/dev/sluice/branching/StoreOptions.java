package dev.sluice.branching;

import static dev.sluice.core.Preconditions.requireArgument;

import dev.sluice.localpg.LocalPostgres;
import dev.sluice.localpg.PostgresBinaries;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How a {@link BranchStore} runs. {@link #defaults()} gives every default named below; the {@code
 * with...} methods change one setting each.
 *
 * @param database the application database in {@code main} that the pipeline writes and every
 *     branch serves; default {@value #DEFAULT_DATABASE}. Fixed when the store is created.
 * @param idleStop a branch with no client connection for this long stops its postmaster, and the
 *     next connection starts it again; default 10 minutes
 * @param listenHost the address branch ports listen on; default {@code 127.0.0.1} (loopback only)
 * @param firstPort the lowest public branch port; 0 (the default, with {@code lastPort} 0) lets the
 *     system pick a free port per branch
 * @param lastPort the highest public branch port, inclusive; 0 when {@code firstPort} is 0
 * @param reaperInterval how often expired branches are deleted and idle ones stopped; default 30 s
 * @param clock the time for {@code createdAt}, TTLs and idleness; default {@link Clock#systemUTC()}
 *     (tests inject their own)
 * @param serverSettings extra settings ({@code -c name=value}) for main's and every branch's
 *     postmaster; default none
 * @param binaries the PostgreSQL binaries to run; default {@link PostgresBinaries#find()}
 * @param serverLogLimit the size in bytes past which main's or a branch's server log is moved to
 *     {@code server.log.1} (replacing the one before), checked every {@code reaperInterval}; default
 *     16 MiB ({@link LocalPostgres#DEFAULT_LOG_LIMIT})
 */
public record StoreOptions(
        String database,
        Duration idleStop,
        String listenHost,
        int firstPort,
        int lastPort,
        Duration reaperInterval,
        Clock clock,
        Map<String, String> serverSettings,
        Optional<PostgresBinaries> binaries,
        long serverLogLimit) {

    public static final String DEFAULT_DATABASE = "app";

    public StoreOptions {
        requireArgument(
                database != null && BranchSpec.NAME.matcher(database).matches(),
                "database name '%s' is not allowed: use 1 to 63 lower-case letters, digits, '-' or '_'",
                database);
        requireArgument(idleStop != null && idleStop.isPositive(), "idleStop must be positive, found %s", idleStop);
        requireArgument(listenHost != null && !listenHost.isBlank(), "listenHost must not be blank");
        requireArgument(
                firstPort == 0 && lastPort == 0 || firstPort > 0 && firstPort <= lastPort && lastPort <= 65535,
                "branch ports must be 0..0 (any free port) or a range within 1..65535, found %s..%s",
                firstPort,
                lastPort);
        requireArgument(
                reaperInterval != null && reaperInterval.isPositive(),
                "reaperInterval must be positive, found %s",
                reaperInterval);
        requireArgument(clock != null, "clock must not be null");
        serverSettings = Map.copyOf(serverSettings);
        requireArgument(binaries != null, "binaries must not be null (use Optional.empty())");
        requireArgument(serverLogLimit > 0, "serverLogLimit must be positive, found %s", serverLogLimit);
    }

    /** Every setting at its documented default. */
    public static StoreOptions defaults() {
        return new StoreOptions(
                DEFAULT_DATABASE,
                Duration.ofMinutes(10),
                "127.0.0.1",
                0,
                0,
                Duration.ofSeconds(30),
                Clock.systemUTC(),
                Map.of(),
                Optional.empty(),
                LocalPostgres.DEFAULT_LOG_LIMIT);
    }

    public StoreOptions withDatabase(String name) {
        return new StoreOptions(
                name,
                idleStop,
                listenHost,
                firstPort,
                lastPort,
                reaperInterval,
                clock,
                serverSettings,
                binaries,
                serverLogLimit);
    }

    public StoreOptions withIdleStop(Duration idle) {
        return new StoreOptions(
                database,
                idle,
                listenHost,
                firstPort,
                lastPort,
                reaperInterval,
                clock,
                serverSettings,
                binaries,
                serverLogLimit);
    }

    public StoreOptions withListenHost(String host) {
        return new StoreOptions(
                database,
                idleStop,
                host,
                firstPort,
                lastPort,
                reaperInterval,
                clock,
                serverSettings,
                binaries,
                serverLogLimit);
    }

    /** Branch ports from {@code first} to {@code last} inclusive; {@code (0, 0)} for any free port. */
    public StoreOptions withPorts(int first, int last) {
        return new StoreOptions(
                database,
                idleStop,
                listenHost,
                first,
                last,
                reaperInterval,
                clock,
                serverSettings,
                binaries,
                serverLogLimit);
    }

    public StoreOptions withReaperInterval(Duration interval) {
        return new StoreOptions(
                database,
                idleStop,
                listenHost,
                firstPort,
                lastPort,
                interval,
                clock,
                serverSettings,
                binaries,
                serverLogLimit);
    }

    public StoreOptions withClock(Clock newClock) {
        return new StoreOptions(
                database,
                idleStop,
                listenHost,
                firstPort,
                lastPort,
                reaperInterval,
                newClock,
                serverSettings,
                binaries,
                serverLogLimit);
    }

    public StoreOptions withServerSettings(Map<String, String> settings) {
        return new StoreOptions(
                database,
                idleStop,
                listenHost,
                firstPort,
                lastPort,
                reaperInterval,
                clock,
                settings,
                binaries,
                serverLogLimit);
    }

    public StoreOptions withBinaries(PostgresBinaries chosen) {
        return new StoreOptions(
                database,
                idleStop,
                listenHost,
                firstPort,
                lastPort,
                reaperInterval,
                clock,
                serverSettings,
                Optional.of(chosen),
                serverLogLimit);
    }

    public StoreOptions withServerLogLimit(long bytes) {
        return new StoreOptions(
                database,
                idleStop,
                listenHost,
                firstPort,
                lastPort,
                reaperInterval,
                clock,
                serverSettings,
                binaries,
                bytes);
    }
}
