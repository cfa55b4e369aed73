package dev.sluice.pipeline.api;

import dev.sluice.branching.Branch;
import dev.sluice.branching.BranchException;
import dev.sluice.branching.BranchSpec;
import dev.sluice.branching.Branches;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Xata's URL shape, so CI scripts written for Xata's branch API work by changing the base URL:
 * {@code PUT} (or {@code POST}) {@code /db/{database}:{branch}} creates, {@code DELETE} deletes,
 * {@code GET} shows one branch, and {@code GET /db/{database}} (or {@code /dbs/{database}}) lists.
 *
 * <p>{@code {database}} must be the name of the database the store replicates, as in {@code main}'s
 * connection string; any other name is answered 404, so a script pointed at the wrong database
 * fails instead of branching the wrong data. Deleting answers 200 with {@code {"status":
 * "completed"}}, as Xata does.
 */
final class XataRoutes implements Routes {

    private static final Logger LOG = LoggerFactory.getLogger(XataRoutes.class);
    private static final List<String> CREATE_FIELDS = List.of("from", "metadata");

    private final Branches branches;

    XataRoutes(Branches branches) {
        this.branches = branches;
    }

    @Override
    public Optional<ApiResponse> handle(ApiRequest request) {
        String path = request.path();
        String rest;
        if (path.startsWith("/db/")) {
            rest = path.substring("/db/".length());
        } else if (path.startsWith("/dbs/")) {
            rest = path.substring("/dbs/".length());
            if (rest.contains(":")) {
                return Optional.empty();
            }
        } else {
            return Optional.empty();
        }
        if (rest.isEmpty() || rest.contains("/")) {
            return Optional.empty();
        }
        int colon = rest.indexOf(':');
        if (colon < 0) {
            if (!request.method().equals("GET")) {
                throw ApiError.methodNotAllowed(request.method(), path, "GET");
            }
            return Optional.of(list(checkDatabase(rest)));
        }
        String database = checkDatabase(rest.substring(0, colon));
        String name = rest.substring(colon + 1);
        return Optional.of(
                switch (request.method()) {
                    case "PUT", "POST" -> create(request, database, name);
                    case "GET" ->
                        ApiResponse.json(
                                200,
                                branch(
                                        database,
                                        branches.find(name)
                                                .orElseThrow(() -> ApiError.notFound(
                                                        "no branch '" + name + "' in database '" + database + "'"))));
                    case "DELETE" -> delete(database, name);
                    default -> throw ApiError.methodNotAllowed(request.method(), path, "GET", "PUT", "POST", "DELETE");
                });
    }

    /** The name the store serves under, from {@code main}'s connection string. */
    private String checkDatabase(String asked) {
        Optional<String> served = branches.find(Branch.MAIN).map(b -> b.url().database());
        if (served.isEmpty()) {
            throw ApiError.notFound("no database '" + asked + "': the store has no main branch yet");
        }
        if (!served.get().equals(asked)) {
            throw ApiError.notFound("no database '" + asked + "': this store serves '" + served.get() + "' (use /db/"
                    + served.get() + ":BRANCH)");
        }
        return asked;
    }

    private ApiResponse list(String database) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("databaseName", database);
        body.put(
                "branches",
                branches.list().stream()
                        .map(b -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("name", b.name());
                            m.put("createdAt", Json.time(b.createdAt()));
                            return m;
                        })
                        .toList());
        return ApiResponse.json(200, body);
    }

    private ApiResponse create(ApiRequest request, String database, String name) {
        var body = request.jsonObject(CREATE_FIELDS);
        String from = ApiRequest.text(body, "from");
        if (from == null) {
            from = request.query().getOrDefault("from", Branch.MAIN);
        }
        BranchSpec spec;
        try {
            spec = new BranchSpec(name, from, Optional.empty(), false);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage());
        }
        try {
            Branch created = branches.create(spec);
            LOG.info("Branch {} created from {}", created.name(), from);
            Map<String, Object> answer = branch(database, created);
            answer.put("status", "completed");
            return ApiResponse.json(201, answer);
        } catch (BranchException e) {
            if (e.kind() == BranchException.Kind.EXISTS && e.existing().isPresent()) {
                Map<String, Object> answer = branch(database, e.existing().get());
                answer.put("error", e.getMessage());
                return ApiResponse.json(409, answer);
            }
            throw e;
        }
    }

    private ApiResponse delete(String database, String name) {
        if (!branches.delete(name, false)) {
            throw ApiError.notFound("no branch '" + name + "' in database '" + database + "'");
        }
        LOG.info("Branch {} deleted", name);
        return ApiResponse.json(200, Map.of("status", "completed"));
    }

    private static Map<String, Object> branch(String database, Branch b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("databaseName", database);
        m.put("branchName", b.name());
        m.put("createdAt", Json.time(b.createdAt()));
        m.put("databaseURL", b.url().toUrlWithPassword());
        return m;
    }
}
