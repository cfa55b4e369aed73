package dev.sluice.branching;

import dev.sluice.core.SluiceException;
import dev.sluice.localpg.Exec;
import dev.sluice.localpg.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How the store copies directory trees: reflink clones (shared blocks, copied only when written)
 * where the filesystem can, full copies where it cannot.
 *
 * <p>Copies go through coreutils' {@code cp --reflink=always}, which clones on XFS with reflink,
 * btrfs, and ZFS with block cloning alike, with no native code in the JVM.
 *
 * @param copyOnWrite whether copies share blocks with their source
 * @param filesystem the filesystem type as {@code stat -f} names it, e.g. {@code xfs}
 */
record CopyMethod(boolean copyOnWrite, String filesystem) {

    private static final Duration COPY_TIMEOUT = Duration.ofHours(6);

    /** Tries a reflink clone of a probe file in {@code root}, which must exist and be writable. */
    static CopyMethod detect(Path root) {
        Path probe = root.resolve(".sluice-reflink-probe");
        Path clone = root.resolve(".sluice-reflink-probe.clone");
        try {
            Files.write(probe, new byte[64 * 1024]);
            boolean reflinks = Exec.run(
                            List.of("cp", "--reflink=always", probe.toString(), clone.toString()),
                            Duration.ofSeconds(30))
                    .succeeded();
            return new CopyMethod(reflinks, filesystemType(root));
        } catch (IOException e) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG, "branch store " + root + " is not writable: " + e, e);
        } finally {
            FileTrees.deleteQuietly(probe);
            FileTrees.deleteQuietly(clone);
        }
    }

    /** What the store can do, for its log line and its documentation of branches. */
    String describe(Path root) {
        return "store " + root + " on " + filesystem + ": "
                + (copyOnWrite ? "reflink copy-on-write" : "no copy-on-write: branches are full copies");
    }

    /**
     * Copies the tree {@code from} to {@code to} (which must not exist), keeping modes and times.
     *
     * <p>The source may be a live data directory: files that vanish while {@code cp} walks it
     * (temporary files, dropped relations) are skipped, as {@code pg_basebackup} skips them. Any other
     * error fails the copy.
     */
    void copyTree(Path from, Path to) {
        if (!Files.isDirectory(from)) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL, "cannot copy " + from + " to " + to + ": it is not a directory");
        }
        List<String> command = new ArrayList<>(List.of("cp", "-a", "--no-target-directory"));
        if (copyOnWrite) {
            command.add("--reflink=always");
        }
        command.add(from.toString());
        command.add(to.toString());
        Exec.Result result = Exec.run(command, COPY_TIMEOUT);
        if (!result.succeeded() && !(onlyVanishedFiles(result.output()) && Files.isDirectory(to))) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL,
                    "copying " + from + " to " + to + " failed (exit " + result.exitCode() + "): "
                            + result.output().strip());
        }
    }

    private static boolean onlyVanishedFiles(String output) {
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
        return !lines.isEmpty() && lines.stream().allMatch(l -> l.contains("No such file or directory"));
    }

    private static String filesystemType(Path root) {
        Exec.Result result = Exec.run(List.of("stat", "-f", "-c", "%T", root.toString()), Duration.ofSeconds(10));
        return result.succeeded() ? result.output().strip() : "an unknown filesystem";
    }
}
