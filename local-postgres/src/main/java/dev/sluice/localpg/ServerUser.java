package dev.sluice.localpg;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds command lines that run {@code initdb} and {@code postgres} as a user PostgreSQL accepts.
 *
 * <p>PostgreSQL refuses to run as uid 0. When this JVM runs as root (containers, CI machines), the
 * programs run inside a new user namespace that maps uid and gid 1000 to root: {@code unshare --user
 * --map-user=1000 --map-group=1000 program args...}. Inside it the root-owned data directory appears
 * owned by uid 1000, the user the server runs as, so nothing needs a {@code chown}, and the files it
 * writes are owned by root outside. {@code unshare} without {@code --fork} execs the program, so the
 * {@link Process} Java starts <em>is</em> the postmaster and its pid can be signalled directly.
 */
final class ServerUser {

    /** The uid and gid the server has inside the user namespace. */
    static final int NAMESPACE_ID = 1000;

    private static final boolean JVM_IS_ROOT = detectRoot();

    private static volatile boolean namespaceWorks;

    private ServerUser() {}

    /** Whether this JVM's effective uid is 0, so servers run in a user namespace. */
    static boolean jvmIsRoot() {
        return JVM_IS_ROOT;
    }

    /** The command line that runs {@code executable} with {@code args} as a non-root user. */
    static List<String> command(Path executable, List<String> args) {
        List<String> command = new ArrayList<>();
        if (JVM_IS_ROOT) {
            command.add("unshare");
            command.add("--user");
            command.add("--map-user=" + NAMESPACE_ID);
            command.add("--map-group=" + NAMESPACE_ID);
        }
        command.add(executable.toString());
        command.addAll(args);
        return command;
    }

    /** Fails early, with a fix, when root has no way to drop to another user. */
    static void checkUsable() {
        if (!JVM_IS_ROOT || namespaceWorks) {
            return;
        }
        Exec.Result probe;
        try {
            probe = Exec.run(
                    List.of("unshare", "--user", "--map-user=" + NAMESPACE_ID, "--map-group=" + NAMESPACE_ID, "true"),
                    Duration.ofSeconds(10));
        } catch (SluiceException e) {
            throw notUsable(e.getMessage());
        }
        if (!probe.succeeded()) {
            throw notUsable(probe.output().strip());
        }
        namespaceWorks = true;
    }

    private static SluiceException notUsable(String detail) {
        return new SluiceException(
                SluiceException.Reason.CONFIG,
                "this process runs as root, which PostgreSQL refuses; Sluice runs the server in a user namespace"
                        + " (unshare --user --map-user=" + NAMESPACE_ID + "), but that failed: " + detail
                        + ". Run as a non-root user, or install util-linux 2.38+ and allow user namespaces"
                        + " (sysctl user.max_user_namespaces > 0).");
    }

    private static boolean detectRoot() {
        // /proc/self/status has "Uid: real effective saved filesystem"; the effective one decides.
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).strip().split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or no /proc: ask id(1) instead.
        }
        try {
            return Exec.run(List.of("id", "-u"), Duration.ofSeconds(10))
                    .output()
                    .strip()
                    .equals("0");
        } catch (SluiceException e) {
            return false;
        }
    }
}
