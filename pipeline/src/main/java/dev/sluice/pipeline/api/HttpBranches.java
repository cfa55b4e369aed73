package dev.sluice.pipeline.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.branching.Branch;
import dev.sluice.branching.BranchException;
import dev.sluice.branching.BranchSpec;
import dev.sluice.branching.BranchState;
import dev.sluice.branching.Branches;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@link Branches} over the REST API of a {@code sluice serve}: what {@code sluice branch} uses.
 *
 * <p>Answers map back to the contract: 409 is {@link BranchException#exists} carrying the existing
 * branch, 404 {@code NOT_FOUND}, 400 {@code INVALID}, anything else {@code FAILED}. An API that
 * cannot be reached, or refuses the token, is a {@link SluiceException} whose message names the URL
 * and the fix, never the token.
 */
public final class HttpBranches implements Branches, AutoCloseable {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** A branch on a store without copy-on-write is a full copy, which can take minutes. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(30);

    private final URI base;
    private final String token;
    private final HttpClient http;

    private HttpBranches(URI base, String token) {
        this.base = base;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    }

    /**
     * A client of the API at {@code apiUrl}, such as {@code http://127.0.0.1:7654}.
     *
     * @throws SluiceException {@code CONFIG} when the URL is not an http(s) URL
     */
    public static HttpBranches connect(String apiUrl, String token) {
        String text = apiUrl == null ? "" : apiUrl.strip();
        URI uri;
        try {
            uri = new URI(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        } catch (URISyntaxException e) {
            throw invalidUrl(text);
        }
        if (uri.getScheme() == null
                || !List.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))
                || uri.getHost() == null) {
            throw invalidUrl(text);
        }
        return new HttpBranches(uri, token);
    }

    private static SluiceException invalidUrl(String text) {
        return new SluiceException(
                Reason.CONFIG,
                "api.url = '" + PgUrl.maskText(text)
                        + "' is not allowed; expected an http(s) URL such as http://127.0.0.1:7654");
    }

    @Override
    public Branch create(BranchSpec spec) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", spec.name());
        body.put("from", spec.from());
        spec.ttl().ifPresent(ttl -> body.put("ttl", ttl.toString()));
        body.put("schemaOnly", spec.schemaOnly());
        Answer a = send("POST", "/v1/branches", body);
        return switch (a.status()) {
            case 201 -> branch(a.json());
            case 409 -> throw BranchException.exists(branch(a.json()));
            default -> throw refused(a);
        };
    }

    @Override
    public List<Branch> list() {
        Answer a = send("GET", "/v1/branches", null);
        if (a.status() != 200) {
            throw refused(a);
        }
        List<Branch> all = new ArrayList<>();
        a.json().path("branches").forEach(b -> all.add(branch(b)));
        return all;
    }

    @Override
    public Optional<Branch> find(String name) {
        Answer a = send("GET", "/v1/branches/" + segment(name), null);
        return switch (a.status()) {
            case 200 -> Optional.of(branch(a.json()));
            case 404 -> Optional.empty();
            default -> throw refused(a);
        };
    }

    @Override
    public Branch reset(String name) {
        Answer a = send("POST", "/v1/branches/" + segment(name) + "/reset", null);
        if (a.status() != 200) {
            throw refused(a);
        }
        return branch(a.json());
    }

    @Override
    public boolean delete(String name, boolean force) {
        Answer a = send("DELETE", "/v1/branches/" + segment(name) + (force ? "?force=true" : ""), null);
        return switch (a.status()) {
            case 204 -> true;
            case 404 -> false;
            default -> throw refused(a);
        };
    }

    private record Answer(int status, JsonNode json) {}

    private Answer send(String method, String path, Object body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        try {
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body)));
            }
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() == 401) {
                throw new SluiceException(
                        Reason.AUTHENTICATION,
                        "The branch API at " + base + " refused the token: set SLUICE_API_TOKEN to the token"
                                + " `sluice serve` runs with.");
            }
            JsonNode json = response.body().length == 0
                    ? Json.MAPPER.missingNode()
                    : parse(response.statusCode(), response.body());
            return new Answer(response.statusCode(), json);
        } catch (IOException e) {
            throw new SluiceException(
                    Reason.TARGET_UNREACHABLE,
                    "Cannot reach the branch API at " + base + " (" + describe(e) + "). Start it with `sluice serve"
                            + " --store PATH`, or point --api-url (SLUICE_API_URL) at it.",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SluiceException(Reason.INTERNAL, "interrupted while waiting for the branch API at " + base, e);
        }
    }

    private JsonNode parse(int status, byte[] body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new BranchException(
                    BranchException.Kind.FAILED,
                    "The branch API at " + base + " answered " + status
                            + " with a body that is not JSON: is api.url the address of `sluice serve`?");
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName()
                + (message == null || message.isBlank() ? "" : ": " + PgUrl.maskText(message));
    }

    private BranchException refused(Answer a) {
        String message = a.json().path("error").asText("");
        if (message.isEmpty()) {
            message = "the branch API at " + base + " answered " + a.status();
        }
        BranchException.Kind kind = switch (a.status()) {
            case 400 -> BranchException.Kind.INVALID;
            case 404 -> BranchException.Kind.NOT_FOUND;
            case 409 -> BranchException.Kind.EXISTS;
            default -> BranchException.Kind.FAILED;
        };
        return new BranchException(kind, message);
    }

    private static Branch branch(JsonNode b) {
        String name = b.path("name").asText();
        return new Branch(
                name,
                optionalText(b, "parent"),
                Instant.parse(b.path("createdAt").asText()),
                optionalText(b, "expiresAt").map(Instant::parse),
                BranchState.valueOf(b.path("state").asText().toUpperCase(Locale.ROOT)),
                PgUrl.parse(
                        "databaseURL of branch '" + name + "'",
                        b.path("databaseURL").asText()),
                b.path("schemaOnly").asBoolean(),
                b.path("copyOnWrite").asBoolean());
    }

    private static Optional<String> optionalText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
    }

    private static String segment(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public void close() {
        http.close();
    }
}
