package dev.sluice.branching;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;

/**
 * Binds the public ports branches are reached on: any free port, or the first free one of a
 * configured range. A port is taken by binding it, so two branches can never share one, and
 * closing the listener frees it.
 */
record PublicPorts(String host, int first, int last) {

    private static final int BACKLOG = 128;

    /** A listener on a new port: any free one, or the lowest free one in the range not in {@code taken}. */
    ServerSocket bindNew(Set<Integer> taken) {
        if (first == 0) {
            return bind(0);
        }
        for (int port = first; port <= last; port++) {
            if (taken.contains(port)) {
                continue;
            }
            try {
                return open(port);
            } catch (IOException e) {
                // Taken by another program: try the next one.
            }
        }
        throw new SluiceException(
                SluiceException.Reason.CONFIG,
                "no free branch port left in " + first + ".." + last + " on " + host
                        + ": delete branches or widen the port range");
    }

    /** A listener on {@code port}, which a branch had before. */
    ServerSocket bind(int port) {
        try {
            return open(port);
        } catch (IOException e) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG, "cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    private ServerSocket open(int port) throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port), BACKLOG);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }
}
