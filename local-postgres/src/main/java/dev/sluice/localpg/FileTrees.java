package dev.sluice.localpg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Deleting directory trees, which the JDK does not do in one call. Symbolic links are removed, not followed. */
public final class FileTrees {

    private FileTrees() {}

    /** Deletes a tree; a file that cannot be deleted fails with its path in the message. */
    public static void delete(Path path) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot delete " + p + ": " + e.getMessage(), e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a tree as far as possible: for caches and temporary directories, where leftovers harm nothing. */
    public static void deleteQuietly(Path path) {
        try {
            delete(path);
        } catch (UncheckedIOException e) {
            // Best effort by contract.
        }
    }
}
