package dev.sluice.branching;

import dev.sluice.localpg.LocalPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A branch's public port: accepts TCP connections, wakes the branch's postmaster if it sleeps, and
 * relays bytes both ways between the client and the postmaster's internal loopback port.
 *
 * <p>The relay does not look into the PostgreSQL protocol (TLS negotiation and authentication pass
 * through as they are), so a client sees only a slower connect when the branch had to start. One
 * virtual thread per direction and connection. {@link #close()} stops accepting and cuts every relayed
 * connection.
 */
final class WakingRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WakingRelay.class);
    private static final int BUFFER = 64 * 1024;

    private final String name;
    private final ServerSocket listener;
    private final BranchServer server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    private WakingRelay(String name, ServerSocket listener, BranchServer server) {
        this.name = name;
        this.listener = listener;
        this.server = server;
        this.acceptor = Thread.ofVirtual().name("sluice-relay-" + name).unstarted(this::acceptLoop);
    }

    /** Starts relaying connections that arrive on {@code listener}, which the relay now owns. */
    static WakingRelay start(String name, ServerSocket listener, BranchServer server) {
        WakingRelay relay = new WakingRelay(name, listener, server);
        relay.acceptor.start();
        return relay;
    }

    int port() {
        return listener.getLocalPort();
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            // Closing a listener fails only when it is closed already.
        }
        open.forEach(WakingRelay::closeQuietly);
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Thread.ofVirtual().name("sluice-relay-" + name + "-conn").start(() -> relay(client));
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    LOG.warn("branch {}: accepting a connection failed: {}", name, e.toString());
                    pause(); // e.g. out of file descriptors: do not spin
                }
            }
        }
    }

    private void relay(Socket client) {
        open.add(client);
        int port;
        try {
            port = server.acquire();
        } catch (RuntimeException e) {
            LOG.warn("branch {}: could not start its postmaster for a connection: {}", name, e.getMessage());
            open.remove(client);
            closeQuietly(client);
            return;
        }
        Socket backend = new Socket();
        open.add(backend);
        try {
            client.setTcpNoDelay(true);
            backend.setTcpNoDelay(true);
            backend.connect(new InetSocketAddress(LocalPostgres.HOST, port), 10_000);
            Thread upstream =
                    Thread.ofVirtual().name("sluice-relay-" + name + "-up").start(() -> pump(client, backend));
            pump(backend, client);
            // The server has ended the session: nothing the client still sends can matter.
            closeQuietly(client);
            closeQuietly(backend);
            upstream.join();
        } catch (IOException e) {
            LOG.debug("branch {}: relayed connection ended: {}", name, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(client);
            closeQuietly(backend);
            open.remove(client);
            open.remove(backend);
            server.release();
        }
    }

    /** Copies until {@code from} ends, then half-closes {@code to} so that the other side sees the end too. */
    private static void pump(Socket from, Socket to) {
        byte[] buffer = new byte[BUFFER];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            // One side went away: close both, which ends the other direction too.
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Already closed.
        }
    }
}
