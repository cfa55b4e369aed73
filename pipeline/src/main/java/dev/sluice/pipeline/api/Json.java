package dev.sluice.pipeline.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.branching.Branch;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** How branches look on the wire. */
public final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    /**
     * A branch as the v1 API shows it. {@code databaseURL} carries the password: it is what a CI
     * job needs to connect, and it goes only into the response, never into a log line.
     */
    public static Map<String, Object> branch(Branch b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", b.name());
        m.put("parent", b.parent().orElse(null));
        m.put("createdAt", time(b.createdAt()));
        m.put("expiresAt", b.expiresAt().map(Json::time).orElse(null));
        m.put("state", b.state().name().toLowerCase(Locale.ROOT));
        m.put("databaseURL", b.url().toUrlWithPassword());
        m.put("schemaOnly", b.schemaOnly());
        m.put("copyOnWrite", b.copyOnWrite());
        return m;
    }

    /** ISO-8601 in UTC, to the second: {@code 2026-11-21T05:05:14Z}. */
    public static String time(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
