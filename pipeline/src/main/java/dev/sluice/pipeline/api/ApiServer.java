package dev.sluice.pipeline.api;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.branching.BranchException;
import dev.sluice.branching.Branches;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The branch REST API over HTTP: bearer-token auth, JSON in and out, both URL shapes ({@link
 * BranchRoutes}, {@link XataRoutes}).
 *
 * <p>Every request is authenticated before its path is looked at, so without the token nothing,
 * not even which paths exist, is revealed. Bodies are bounded ({@link #MAX_BODY_BYTES}). Requests
 * run on virtual threads, so a slow create does not hold up a list; the {@link Branches} behind it
 * serializes what must be. Connection strings with passwords go into responses only, never into
 * the log.
 */
public final class ApiServer implements AutoCloseable {

    /** The largest request body read; a branch request is a few hundred bytes. */
    static final int MAX_BODY_BYTES = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final BearerAuth auth;
    private final List<Routes> routes;

    private ApiServer(HttpServer server, ExecutorService executor, BearerAuth auth, List<Routes> routes) {
        this.server = server;
        this.executor = executor;
        this.auth = auth;
        this.routes = routes;
    }

    /**
     * Starts serving; port 0 picks a free port ({@link #port()}).
     *
     * @throws SluiceException {@code CONFIG} without a token, or when the address cannot be bound
     */
    public static ApiServer start(ListenAddress listen, String token, Branches branches) {
        BearerAuth auth = new BearerAuth(token);
        HttpServer http;
        try {
            http = HttpServer.create(listen.socketAddress(), 64);
        } catch (IOException e) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "Cannot serve the branch API on " + listen + ": " + e.getMessage()
                            + ". Choose another api.listen (--api-listen, SLUICE_API_LISTEN).",
                    e);
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        ApiServer api =
                new ApiServer(http, executor, auth, List.of(new BranchRoutes(branches), new XataRoutes(branches)));
        http.createContext("/", api::handle);
        http.setExecutor(executor);
        http.start();
        return api;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            ApiResponse response;
            try {
                response = answer(exchange);
            } catch (RuntimeException e) {
                LOG.error("Branch API: {} {} failed", exchange.getRequestMethod(), path(exchange.getRequestURI()), e);
                response = ApiResponse.json(500, ApiError.body("internal error; the server log has the details"));
            }
            send(exchange, response);
        } catch (IOException e) {
            LOG.debug("Branch API: could not answer {}: {}", exchange.getRequestURI(), e.toString());
        }
    }

    private ApiResponse answer(HttpExchange exchange) throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (!auth.accepts(authorization)) {
            return new ApiResponse(
                    401,
                    ApiError.body(
                            authorization == null
                                    ? "missing bearer token: send Authorization: Bearer <SLUICE_API_TOKEN>"
                                    : "invalid bearer token"),
                    Map.of(
                            "WWW-Authenticate",
                            authorization == null
                                    ? "Bearer realm=\"sluice\""
                                    : "Bearer realm=\"sluice\", error=\"invalid_token\""));
        }
        URI uri = exchange.getRequestURI();
        try {
            ApiRequest request =
                    new ApiRequest(exchange.getRequestMethod(), path(uri), query(uri.getRawQuery()), body(exchange));
            for (Routes r : routes) {
                Optional<ApiResponse> response = r.handle(request);
                if (response.isPresent()) {
                    return response.get();
                }
            }
            return ApiResponse.json(404, ApiError.body("no endpoint at " + request.path()));
        } catch (ApiError e) {
            return e.response();
        } catch (BranchException e) {
            return ApiResponse.json(status(e), ApiError.body(e.getMessage()));
        }
    }

    /** The status for a refusal from the store; a failure is logged in full and answered by its message only. */
    private static int status(BranchException e) {
        return switch (e.kind()) {
            case EXISTS -> 409;
            case NOT_FOUND -> 404;
            case INVALID -> 400;
            case FAILED -> {
                LOG.warn("Branch API: the store failed: {}", e.getMessage(), e);
                yield 500;
            }
        };
    }

    private static String path(URI uri) {
        String p = uri.getPath() == null ? "/" : uri.getPath();
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            query.put(key, value);
        }
        return query;
    }

    /** Reads the body, refusing (413) one larger than {@link #MAX_BODY_BYTES} without reading it all. */
    private static byte[] body(HttpExchange exchange) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > MAX_BODY_BYTES) {
                    throw tooLarge();
                }
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("Content-Length '" + length + "' is not a number");
            }
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw tooLarge();
            }
            return bytes;
        }
    }

    private static ApiError tooLarge() {
        return new ApiError(413, "the request body is larger than " + MAX_BODY_BYTES + " bytes", Map.of());
    }

    private static void send(HttpExchange exchange, ApiResponse response) throws IOException {
        response.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        if (response.body() == null) {
            exchange.sendResponseHeaders(response.status(), -1);
            return;
        }
        byte[] bytes = Json.MAPPER.writeValueAsBytes(response.body());
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(response.status(), bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops accepting, gives requests in flight a second to finish, and releases the threads. */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdown();
    }
}
