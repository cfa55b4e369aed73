package dev.sluice.localpg;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps a server log within bounds while the server writes it: past its limit, the log's content
 * moves to {@code <log>.1} (replacing the one before) and the log starts empty.
 *
 * <p>The postmaster and its children write through descriptors they inherited, opened for appending,
 * so the file cannot be renamed under them: they would go on writing to the renamed file. It is
 * copied and then emptied in place instead, and each writer's next line lands at the start of the
 * emptied file. A line written in the instant between the end of the copy and the emptying is lost,
 * as with logrotate's {@code copytruncate}; a server that is not running loses nothing.
 */
final class ServerLog {

    private ServerLog() {}

    /**
     * Moves the log's content to {@code <log>.1} when the log is larger than {@code limit} bytes.
     *
     * @return whether it did
     */
    static boolean rotateIfOver(Path log, long limit) throws IOException {
        if (!Files.exists(log) || Files.size(log) <= limit) {
            return false;
        }
        Path previous = previous(log);
        try (FileChannel current = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileChannel copy = FileChannel.open(
                        previous,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            // Copy until caught up with the writers, so that the window for a lost line is as short as it can be.
            long copied = 0;
            for (long size = current.size(); copied < size; size = current.size()) {
                copied += current.transferTo(copied, size - copied, copy);
            }
            current.truncate(0);
        }
        return true;
    }

    /** Where the content of {@code log} goes when it is rotated. */
    static Path previous(Path log) {
        return log.resolveSibling(log.getFileName() + ".1");
    }
}
