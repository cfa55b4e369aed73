package dev.sluice.pipeline.api;

import java.util.Map;

/**
 * What the API answers.
 *
 * @param body serialized as JSON; {@code null} for no body (204)
 * @param headers extra headers, such as {@code Allow} on a 405
 */
record ApiResponse(int status, Object body, Map<String, String> headers) {

    ApiResponse {
        headers = Map.copyOf(headers);
    }

    static ApiResponse json(int status, Object body) {
        return new ApiResponse(status, body, Map.of());
    }

    static ApiResponse noContent() {
        return new ApiResponse(204, null, Map.of());
    }
}
