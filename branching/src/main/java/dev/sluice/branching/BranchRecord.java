package dev.sluice.branching;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * What the store keeps about a branch across restarts, in {@code branches/<name>/branch.json}
 * (owner-only: it holds the branch role's password, which the store hands out again after a
 * restart).
 *
 * @param parent the branch it was cloned from, {@code main} or another branch
 * @param createdAt ISO-8601
 * @param expiresAt ISO-8601, or null for no TTL
 * @param port the public port, kept for the branch's life so that its URL does not change
 */
record BranchRecord(
        String name,
        String parent,
        String createdAt,
        String expiresAt,
        boolean schemaOnly,
        boolean copyOnWrite,
        int port,
        String role,
        String password) {

    static final String FILE = "branch.json";

    Instant created() {
        return Instant.parse(createdAt);
    }

    Optional<Instant> expires() {
        return Optional.ofNullable(expiresAt).map(Instant::parse);
    }

    void save(Path directory) {
        JsonFiles.write(directory.resolve(FILE), this);
    }

    /** Removes the record from {@code directory}, if there is one: the branch is no longer the store's. */
    static void forget(Path directory) {
        try {
            Files.deleteIfExists(directory.resolve(FILE));
            // Durable before the data goes: a machine crash must not bring the record back without it.
            JsonFiles.syncDirectory(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + directory.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The record in {@code directory}, empty when there is none. An unreadable one fails naming the
     * directory and what to do: the store does not open without accounting for a branch.
     */
    static Optional<BranchRecord> load(Path directory) {
        try {
            return JsonFiles.read(directory.resolve(FILE), BranchRecord.class);
        } catch (SluiceException e) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    "the record of branch '" + directory.getFileName() + "' (" + directory.resolve(FILE)
                            + ") cannot be read, so the store does not open: restore the file, or move the directory "
                            + directory + " out of " + directory.getParent() + " (its data stays in it) and open the"
                            + " store again. " + e.getMessage(),
                    e);
        }
    }
}
