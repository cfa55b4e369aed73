package dev.sluice.pipeline.api;

import dev.sluice.branching.Branch;
import dev.sluice.branching.BranchException;
import dev.sluice.branching.BranchSpec;
import dev.sluice.branching.Branches;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sluice's own shape, under {@code /v1/branches}: create, list, get, delete and reset, with the
 * whole branch in every answer.
 */
final class BranchRoutes implements Routes {

    private static final Logger LOG = LoggerFactory.getLogger(BranchRoutes.class);
    private static final String PREFIX = "/v1/branches";
    private static final List<String> CREATE_FIELDS = List.of("name", "from", "ttl", "schemaOnly");

    private final Branches branches;

    BranchRoutes(Branches branches) {
        this.branches = branches;
    }

    @Override
    public Optional<ApiResponse> handle(ApiRequest request) {
        String path = request.path();
        if (path.equals(PREFIX)) {
            return Optional.of(
                    switch (request.method()) {
                        case "GET" -> list();
                        case "POST" -> create(request);
                        default -> throw ApiError.methodNotAllowed(request.method(), path, "GET", "POST");
                    });
        }
        if (!path.startsWith(PREFIX + "/")) {
            return Optional.empty();
        }
        String[] rest = path.substring(PREFIX.length() + 1).split("/", -1);
        if (rest.length == 1) {
            String name = rest[0];
            return Optional.of(
                    switch (request.method()) {
                        case "GET" -> ApiResponse.json(200, Json.branch(find(name)));
                        case "DELETE" ->
                            delete(name, "true".equals(request.query().get("force")));
                        default -> throw ApiError.methodNotAllowed(request.method(), path, "GET", "DELETE");
                    });
        }
        if (rest.length == 2 && rest[1].equals("reset")) {
            if (!request.method().equals("POST")) {
                throw ApiError.methodNotAllowed(request.method(), path, "POST");
            }
            Branch reset = branches.reset(rest[0]);
            LOG.info("Branch {} reset from {}", reset.name(), reset.parent().orElse("(none)"));
            return Optional.of(ApiResponse.json(200, Json.branch(reset)));
        }
        return Optional.empty();
    }

    private ApiResponse list() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("branches", branches.list().stream().map(Json::branch).toList());
        return ApiResponse.json(200, body);
    }

    private ApiResponse create(ApiRequest request) {
        var body = request.jsonObject(CREATE_FIELDS);
        String name = ApiRequest.text(body, "name");
        if (name == null) {
            throw ApiError.badRequest("name is missing: give the new branch a name, e.g. {\"name\": \"pr-42\"}");
        }
        String from = ApiRequest.text(body, "from");
        BranchSpec spec;
        try {
            Optional<Duration> ttl = Ttl.parse("ttl", ApiRequest.text(body, "ttl"));
            spec = new BranchSpec(name, from == null ? Branch.MAIN : from, ttl, ApiRequest.bool(body, "schemaOnly"));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage());
        }
        try {
            Branch created = branches.create(spec);
            LOG.info("Branch {} created from {}", created.name(), spec.from());
            return ApiResponse.json(201, Json.branch(created));
        } catch (BranchException e) {
            if (e.kind() == BranchException.Kind.EXISTS && e.existing().isPresent()) {
                // The existing branch in full, so a re-run of the same job reads the URL it needs.
                Map<String, Object> existing =
                        new LinkedHashMap<>(Json.branch(e.existing().get()));
                existing.put("error", e.getMessage());
                return ApiResponse.json(409, existing);
            }
            throw e;
        }
    }

    private Branch find(String name) {
        return branches.find(name).orElseThrow(() -> ApiError.notFound("no branch '" + name + "'"));
    }

    private ApiResponse delete(String name, boolean force) {
        if (!branches.delete(name, force)) {
            throw ApiError.notFound("no branch '" + name + "'");
        }
        LOG.info("Branch {} deleted", name);
        return ApiResponse.noContent();
    }
}
