package dev.sluice.pipeline.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Serves {@code /metrics} in Prometheus text format and {@code /healthz}, which answers 200 while
 * the pipeline is healthy and 503 otherwise, with the state as the body.
 */
public final class MetricsServer implements AutoCloseable {

    /** What {@code /healthz} reports. */
    public record Health(boolean healthy, String state) {}

    private final HttpServer server;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    public static MetricsServer start(
            String address, int port, PrometheusMeterRegistry registry, Supplier<Health> health) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(address, port), 16);
        } catch (IOException e) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "Cannot serve metrics on " + address + ":" + port + ": " + e.getMessage()
                            + ". Choose another metrics.port (--metrics-port), or 0 to turn metrics off.",
                    e);
        }
        server.createContext("/metrics", exchange -> {
            try (exchange) {
                respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
            }
        });
        server.createContext("/healthz", exchange -> {
            try (exchange) {
                Health h = health.get();
                respond(exchange, h.healthy() ? 200 : 503, "text/plain; charset=utf-8", h.state() + "\n");
            }
        });
        server.setExecutor(null);
        server.start();
        return new MetricsServer(server);
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
