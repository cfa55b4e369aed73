package dev.sluice.branching;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps a store to one open {@link BranchStore} at a time, across processes: an exclusive lock on
 * {@code ROOT/store.lock} for as long as the store is open. The operating system drops the lock
 * when the process dies, so a crash never leaves a store locked.
 */
final class StoreLock implements AutoCloseable {

    static final String FILE = "store.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private StoreLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks the store in {@code root}; fails, saying so, when another process (or this one) has it open. */
    static StoreLock acquire(Path root) {
        Path file = root.resolve(FILE);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw alreadyOpen(root);
            }
            channel.truncate(0);
            channel.write(java.nio.ByteBuffer.wrap(
                    (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
            return new StoreLock(channel, lock);
        } catch (OverlappingFileLockException e) {
            closeQuietly(channel);
            throw alreadyOpen(root);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new SluiceException(SluiceException.Reason.INTERNAL, "cannot lock " + file + ": " + e, e);
        } catch (SluiceException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // Closing the channel releases it too.
        }
        closeQuietly(channel);
    }

    private static SluiceException alreadyOpen(Path root) {
        return new SluiceException(
                SluiceException.Reason.CONFIG,
                "the branch store " + root + " is already open in another process (or twice in this one;"
                        + " its pid is in " + root.resolve(FILE) + "): one store serves one Sluice process");
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing left to release.
            }
        }
    }
}
