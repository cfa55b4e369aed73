package dev.sluice.localpg;

import dev.sluice.core.SluiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A directory of PostgreSQL server programs: at least {@code initdb} and {@code postgres}.
 *
 * <p>{@link #find()} looks, in this order, at: the directory in the environment variable {@value
 * #ENV_BIN}; Debian's {@code /usr/lib/postgresql/<major>/bin} (the highest major); the {@code
 * --bindir} of a {@code pg_config} on the {@code PATH}; and last the binaries Zonky ships on the
 * classpath (resource {@value #DEFAULT_ARCHIVE}), extracted once into {@code $XDG_CACHE_HOME/sluice}
 * (or {@code ~/.cache/sluice}). {@link #find(int)} looks at the same places for one major version,
 * plus the classpath resource {@code /pg/<major>/postgres-linux-x86_64.txz}, which lets tests ship
 * versions nobody installed. When nothing fits, the exception lists every place it looked and how to
 * fix it.
 *
 * <p>Instances are immutable apart from the lazily read version, and safe to share between threads.
 */
public final class PostgresBinaries {

    /** Environment variable naming a bin directory that takes precedence over every other place. */
    public static final String ENV_BIN = "SLUICE_PG_BIN";

    /** The classpath resource holding Zonky's binaries for the default version. */
    public static final String DEFAULT_ARCHIVE = "/postgres-linux-x86_64.txz";

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+\\S*)");
    private static final Pattern LEADING_NUMBER = Pattern.compile("^(\\d+)");

    private final Path binDirectory;
    private final String origin;
    private volatile String version;

    PostgresBinaries(Path binDirectory, String origin) {
        this.binDirectory = binDirectory.toAbsolutePath().normalize();
        this.origin = origin;
    }

    /**
     * The binaries in {@code binDirectory}, chosen by the caller; fails when {@code initdb} or {@code
     * postgres} is missing there.
     */
    public static PostgresBinaries at(Path binDirectory) {
        String missing = BinariesLocator.missingTools(binDirectory);
        if (missing != null) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    binDirectory + " is not a PostgreSQL bin directory: " + missing
                            + ". Point at the directory holding initdb and postgres, e.g. /usr/lib/postgresql/17/bin.");
        }
        return new PostgresBinaries(binDirectory, "given directory");
    }

    /** The preferred binaries of any version; see the class documentation for the search order. */
    public static PostgresBinaries find() {
        return BinariesLocator.system().find();
    }

    /** Binaries of the given major version (e.g. 17); see the class documentation for the search order. */
    public static PostgresBinaries find(int major) {
        return BinariesLocator.system().find(major);
    }

    /**
     * Every distinct set of binaries that {@link #find()} and {@link #find(int)} can see, in search
     * order. Classpath archives are extracted to learn their version (once; the extraction is cached).
     */
    public static List<PostgresBinaries> available() {
        return BinariesLocator.system().available();
    }

    public Path binDirectory() {
        return binDirectory;
    }

    /** Where these binaries were found, for messages: e.g. {@code Debian package}, {@code SLUICE_PG_BIN}. */
    public String origin() {
        return origin;
    }

    /**
     * The path of a program in this directory; fails when it is not there. Zonky's archives carry
     * only {@code initdb}, {@code pg_ctl} and {@code postgres}, not {@code pg_dump} or {@code psql}.
     */
    public Path bin(String tool) {
        Path path = binDirectory.resolve(tool);
        if (!Files.isExecutable(path)) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    tool + " is not in " + binDirectory + " (" + origin + "). Install the Debian package"
                            + " postgresql-" + majorVersion() + " or set " + ENV_BIN
                            + " to a bin directory that has it.");
        }
        return path;
    }

    /** The server's version as {@code postgres --version} prints it, e.g. {@code 17.6} or {@code 18beta1}. */
    public String version() {
        String v = version;
        if (v == null) {
            v = readVersion();
            version = v;
        }
        return v;
    }

    /** The major version, e.g. 17. */
    public int majorVersion() {
        return majorOf(version());
    }

    static int majorOf(String version) {
        Matcher m = LEADING_NUMBER.matcher(version);
        if (!m.find()) {
            throw new IllegalArgumentException("not a PostgreSQL version: '" + version + "'");
        }
        return Integer.parseInt(m.group(1));
    }

    private String readVersion() {
        Path postgres = binDirectory.resolve("postgres");
        // --version is answered before the server's refusal to run as root, so no user namespace here.
        Exec.Result result = Exec.run(List.of(postgres.toString(), "--version"), Duration.ofSeconds(30));
        Matcher m = VERSION.matcher(result.output());
        if (!result.succeeded() || !m.find()) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    postgres + " --version failed or printed no version (exit " + result.exitCode() + "): "
                            + result.output().strip());
        }
        return m.group(1);
    }

    @Override
    public String toString() {
        String v = version;
        return "PostgreSQL " + (v == null ? "" : v + " ") + "in " + binDirectory + " (" + origin + ")";
    }
}
