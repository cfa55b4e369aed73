package dev.sluice.localpg;

import dev.sluice.core.SluiceException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * Extracts {@code .txz} archives of PostgreSQL binaries into a cache directory, once per key.
 *
 * <p>Safe when several JVMs race for the same key: each extracts into its own temporary directory
 * next to the target and renames it into place atomically; a loser finds the winner's complete
 * directory and discards its own copy. A directory in the cache is therefore either complete or
 * absent, never half-written. File modes (the executable bits) and symbolic links are kept.
 */
final class ArchiveCache {

    /** Written last into a finished extraction, so a complete directory is recognisable. */
    static final String COMPLETE_MARKER = ".sluice-extracted";

    private static final System.Logger LOG = System.getLogger(ArchiveCache.class.getName());

    private final Path root;

    ArchiveCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** {@code $XDG_CACHE_HOME/sluice}, or {@code ~/.cache/sluice} when that is not set. */
    static ArchiveCache standard(Map<String, String> env) {
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
                ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return new ArchiveCache(base.resolve("sluice"));
    }

    Path root() {
        return root;
    }

    /** The directory an archive extracted under {@code key} lives in (whether or not it exists yet). */
    Path directory(String key) {
        return root.resolve("postgres-" + key);
    }

    /** Returns the extracted directory for {@code key}, extracting {@code archive} first if needed. */
    Path extract(URL archive, String key) {
        Path target = directory(key);
        if (isComplete(target)) {
            return target;
        }
        Path temp = null;
        try {
            Files.createDirectories(root);
            temp = Files.createTempDirectory(root, ".postgres-" + key + "-");
            LOG.log(System.Logger.Level.INFO, "Extracting PostgreSQL binaries from {0} to {1}", archive, target);
            untar(archive, temp);
            // createTempDirectory made it owner-only; an installed bin directory is world-readable.
            Files.setPosixFilePermissions(temp, permissions(0755));
            Files.createFile(temp.resolve(COMPLETE_MARKER));
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                temp = null;
            } catch (FileSystemException e) {
                // Another JVM renamed its copy into place first (rename(2) fails on a non-empty target).
                if (!isComplete(target)) {
                    throw e;
                }
            }
            return target;
        } catch (IOException | UncheckedIOException e) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL,
                    "could not extract PostgreSQL binaries from " + archive + " into " + target + ": " + e
                            + (isComplete(target) ? "" : "; delete " + target + " if it exists and try again"),
                    e);
        } finally {
            if (temp != null) {
                FileTrees.deleteQuietly(temp);
            }
        }
    }

    private static boolean isComplete(Path directory) {
        return Files.isRegularFile(directory.resolve(COMPLETE_MARKER));
    }

    private static void untar(URL archive, Path into) throws IOException {
        // Directory modes are applied last: a read-only directory would refuse its own entries.
        Map<Path, Integer> directoryModes = new LinkedHashMap<>();
        try (InputStream raw = new BufferedInputStream(archive.openStream(), 1 << 16);
                InputStream xz = new XZCompressorInputStream(raw);
                TarArchiveInputStream tar = new TarArchiveInputStream(xz)) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path path = inside(into, entry.getName());
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                    directoryModes.put(path, entry.getMode());
                    continue;
                }
                Files.createDirectories(path.getParent());
                if (entry.isSymbolicLink()) {
                    Path link = Path.of(entry.getLinkName());
                    // Resolving the target checks that the link cannot point outside the extraction.
                    inside(into, into.relativize(path.getParent().resolve(link)).toString());
                    Files.createSymbolicLink(path, link);
                } else if (entry.isLink()) {
                    Files.createLink(path, inside(into, entry.getLinkName()));
                } else if (entry.isFile()) {
                    Files.copy(tar, path);
                    Files.setPosixFilePermissions(path, permissions(entry.getMode()));
                }
            }
        }
        for (Map.Entry<Path, Integer> directory : directoryModes.entrySet()) {
            Files.setPosixFilePermissions(directory.getKey(), permissions(directory.getValue() | 0700));
        }
    }

    /** Resolves an entry name under {@code root}, refusing names that would escape it. */
    private static Path inside(Path root, String name) throws IOException {
        Path path = root.resolve(name).normalize();
        if (!path.startsWith(root)) {
            throw new IOException("archive entry '" + name + "' points outside the extraction directory");
        }
        return path;
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
        };
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }
}
