package dev.sluice.branching;

import dev.sluice.core.SluiceException;
import dev.sluice.localpg.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The branches a store keeps on disk, one directory each under {@code branches/}: what a previous
 * run left, made whole again before the store serves it.
 */
final class BranchDirectories {

    private static final Logger LOG = LoggerFactory.getLogger(BranchDirectories.class);

    /** Where a reset clones the parent to, beside the branch's {@code data}. */
    static final String NEXT_DATA = "data.next";

    /** The data a reset replaces, while the reset may still be rolled back. */
    static final String OLD_DATA = "data.old";

    /** The data a reset replaced, once it can no longer be rolled back; only to be deleted. */
    static final String DISCARDED_DATA = "data.discarded";

    private final Path directory;

    BranchDirectories(Path directory) {
        this.directory = directory;
    }

    /**
     * Every recorded branch, after repairs: a directory without a record (a create cut short by a
     * crash) is removed, a reset cut short is rolled back, and a postmaster that a killed process
     * left running on a branch's data is stopped (the caller holds the {@link StoreLock}).
     */
    List<BranchRecord> recover() {
        List<BranchRecord> records = new ArrayList<>();
        for (Path branch : list()) {
            Optional<BranchRecord> loaded = BranchRecord.load(branch);
            if (loaded.isEmpty()) {
                LOG.warn("removing {}: a branch creation that did not finish", branch);
                FileTrees.deleteQuietly(branch);
                continue;
            }
            OrphanPostmasters.stop(branch.resolve("data"));
            recoverInterruptedReset(branch);
            records.add(loaded.get());
        }
        return records;
    }

    /** Moves a directory, failing with both paths in the message. */
    static void move(Path from, Path to) {
        try {
            Files.move(from, to);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    /**
     * A reset that crashed between moving the old data aside and its commit point leaves {@code
     * data.old}, which is put back; one that crashed after it, while deleting the old data, leaves
     * {@code data.discarded}, which is deleted.
     */
    private static void recoverInterruptedReset(Path branch) {
        FileTrees.deleteQuietly(branch.resolve(NEXT_DATA));
        FileTrees.deleteQuietly(branch.resolve(DISCARDED_DATA));
        rollBackReset(branch);
    }

    /**
     * Puts a branch's data from before a reset back when a reset did not reach its commit point
     * ({@code data.old} still there): cut short by a crash, or its own rollback failed. The
     * branch's postmaster must be stopped.
     */
    static void rollBackReset(Path branch) {
        Path data = branch.resolve("data");
        Path old = branch.resolve(OLD_DATA);
        if (Files.isDirectory(old)) {
            LOG.warn("{}: rolling back a reset that did not finish", branch);
            FileTrees.deleteQuietly(data);
            move(old, data);
        }
    }

    private List<Path> list() {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new SluiceException(SluiceException.Reason.INTERNAL, "cannot list " + directory + ": " + e, e);
        }
    }
}
