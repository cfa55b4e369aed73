package dev.sluice.pipeline.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One authenticated request, its body already read (and bounded) by the server.
 *
 * @param path the decoded path, e.g. {@code /v1/branches/pr-42}
 * @param query decoded query parameters; the last value wins when one repeats
 */
record ApiRequest(String method, String path, Map<String, String> query, byte[] body) {

    ApiRequest {
        query = Map.copyOf(query);
    }

    /**
     * The body as a JSON object; an empty body is an empty object.
     *
     * @param allowed the fields the endpoint reads; any other is refused, so a typo such as {@code
     *     schema_only} is not silently ignored
     * @throws ApiError 400 naming what is wrong
     */
    ObjectNode jsonObject(List<String> allowed) {
        if (body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) {
            return JsonNodeFactory.instance.objectNode();
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiError.badRequest("the request body could not be read: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw ApiError.badRequest("the request body must be a JSON object, found " + node.getNodeType());
        }
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!allowed.contains(field)) {
                throw ApiError.badRequest("unknown field '" + field + "' (known: " + String.join(", ", allowed) + ")");
            }
        }
        return object;
    }

    /** A text field, or {@code null} when absent or null; 400 when it holds something else. */
    static String text(ObjectNode object, String field) {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.badRequest(field + " must be a string, found " + v);
        }
        return v.asText();
    }

    /** A boolean field, {@code false} when absent; 400 when it holds something else. */
    static boolean bool(ObjectNode object, String field) {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw ApiError.badRequest(field + " must be true or false, found " + v);
        }
        return v.asBoolean();
    }
}
