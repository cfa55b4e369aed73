package dev.sluice.pipeline.api;

import java.util.LinkedHashMap;
import java.util.Map;

/** A request the API refuses, thrown by a route and answered as {@code {"error": message}}. */
final class ApiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient Map<String, String> headers;

    ApiError(int status, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = Map.copyOf(headers);
    }

    static ApiError badRequest(String message) {
        return new ApiError(400, message, Map.of());
    }

    static ApiError notFound(String message) {
        return new ApiError(404, message, Map.of());
    }

    static ApiError methodNotAllowed(String method, String path, String... allowed) {
        return new ApiError(
                405,
                method + " is not allowed on " + path + " (allowed: " + String.join(", ", allowed) + ")",
                Map.of("Allow", String.join(", ", allowed)));
    }

    ApiResponse response() {
        return new ApiResponse(status, body(getMessage()), headers);
    }

    static Map<String, Object> body(String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        return m;
    }
}
