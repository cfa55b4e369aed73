package dev.sluice.pipeline.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Raw HTTP against a running {@link ApiServer}, so tests see statuses, headers and bodies as curl would. */
final class ApiClientForTests {

    /** One answer; {@code json} is a missing node for an empty body. */
    record Answer(int status, JsonNode json, HttpHeaders headers) {}

    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String token;

    ApiClientForTests(int port, String token) {
        this.base = "http://127.0.0.1:" + port;
        this.token = token;
    }

    ApiClientForTests withToken(String other) {
        return new ApiClientForTests(Integer.parseInt(base.substring(base.lastIndexOf(':') + 1)), other);
    }

    Answer send(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json =
                    r.body().isEmpty() ? new ObjectMapper().missingNode() : new ObjectMapper().readTree(r.body());
            return new Answer(r.statusCode(), json, r.headers());
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    Answer get(String path) {
        return send("GET", path, null);
    }

    Answer post(String path, String body) {
        return send("POST", path, body);
    }

    Answer delete(String path) {
        return send("DELETE", path, null);
    }
}
