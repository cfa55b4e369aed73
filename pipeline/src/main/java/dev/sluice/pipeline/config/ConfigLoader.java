package dev.sluice.pipeline.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.sluice.core.Lsn;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.pipeline.kafka.KafkaSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads settings from their four layers, later ones winning: defaults, {@code sluice.yaml},
 * {@code SLUICE_*} environment variables, flags. Every error names where the value came from, the
 * key, the value found and what is allowed.
 */
public final class ConfigLoader {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern KAFKA_NAME = Pattern.compile("[A-Za-z0-9._@-]{1,249}");

    private ConfigLoader() {}

    /** A value as given, with where it came from for messages. */
    private record Raw(Object value, String origin) {}

    /**
     * Loads and validates.
     *
     * @param file a {@code sluice.yaml} to read, or {@code null} for none
     * @param env the process environment (only {@code SLUICE_*} entries are read)
     * @param flags values given as command-line flags
     */
    public static SluiceConfig load(Path file, Map<String, String> env, Map<Setting, String> flags) {
        Map<Setting, Raw> raw = new EnumMap<>(Setting.class);
        for (Setting s : Setting.values()) {
            if (s.defaultValue() != null) {
                raw.put(s, new Raw(s.defaultValue(), "default"));
            }
        }
        if (file != null) {
            readYaml(file, raw);
        }
        for (Setting s : Setting.values()) {
            String value = env.get(s.env());
            if (value != null && !value.isBlank()) {
                raw.put(s, new Raw(value, "environment variable " + s.env()));
            }
        }
        flags.forEach((s, value) -> {
            if (value != null) {
                raw.put(s, new Raw(value, "flag " + s.flag()));
            }
        });
        Map<Setting, Object> parsed = new EnumMap<>(Setting.class);
        raw.forEach((s, r) -> parsed.put(s, parse(s, r)));
        return new SluiceConfig(parsed);
    }

    private static void readYaml(Path file, Map<Setting, Raw> raw) {
        String origin = file.getFileName().toString();
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new SluiceException(Reason.CONFIG, "Config file " + file + " does not exist.");
        } catch (JsonProcessingException e) {
            throw new SluiceException(
                    Reason.CONFIG, origin + " is not valid YAML" + location(e) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new SluiceException(Reason.CONFIG, "Cannot read config file " + file + ": " + e.getMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return;
        }
        if (!root.isObject()) {
            throw new SluiceException(
                    Reason.CONFIG, origin + ": expected a mapping of settings (e.g. 'source:' with 'url:' under it)");
        }
        flatten(origin, "", root, raw);
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null
                ? ""
                : " at line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr();
    }

    private static void flatten(String origin, String prefix, JsonNode node, Map<Setting, Raw> raw) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = prefix + field.getKey();
            JsonNode value = field.getValue();
            var setting = Setting.byKey(key);
            if (setting.isEmpty()) {
                if (value.isObject() && isSection(key)) {
                    flatten(origin, key + ".", value, raw);
                    continue;
                }
                throw new SluiceException(Reason.CONFIG, origin + ": unknown key '" + key + "'" + suggestion(key));
            }
            raw.put(setting.get(), new Raw(yamlValue(origin, setting.get(), value), origin));
        }
    }

    private static boolean isSection(String key) {
        return Arrays.stream(Setting.values()).anyMatch(s -> s.key().startsWith(key + "."));
    }

    private static Object yamlValue(String origin, Setting s, JsonNode value) {
        if (value.isArray()) {
            List<String> items = new ArrayList<>();
            value.forEach(item -> items.add(item.asText()));
            return items;
        }
        if (value.isValueNode()) {
            return value.isNull() ? null : value.asText();
        }
        throw new SluiceException(
                Reason.CONFIG,
                origin + ": key '" + s.key() + "' holds a mapping, expected "
                        + s.kind().expected());
    }

    private static String suggestion(String key) {
        String closest = null;
        int best = Integer.MAX_VALUE;
        for (Setting s : Setting.values()) {
            int d = distance(key, s.key());
            if (d < best) {
                best = d;
                closest = s.key();
            }
        }
        String known = Arrays.stream(Setting.values()).map(Setting::key).collect(Collectors.joining(", "));
        return (best <= 3 ? " (did you mean '" + closest + "'?)" : "") + "; known keys: " + known;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static Object parse(Setting s, Raw raw) {
        if (raw.value() == null) {
            return null;
        }
        if (s.kind() == Setting.Kind.LIST) {
            if (raw.value() instanceof List<?> list) {
                return list.stream().map(Object::toString).map(String::strip).toList();
            }
            return Arrays.stream(raw.value().toString().split(","))
                    .map(String::strip)
                    .filter(p -> !p.isEmpty())
                    .toList();
        }
        if (raw.value() instanceof List<?>) {
            throw invalid(s, raw, "a list");
        }
        String text = raw.value().toString().strip();
        return switch (s.kind()) {
            case STRING, FILE, SECRET -> text;
            case NAME -> {
                if (!text.isEmpty() && !KAFKA_NAME.matcher(text).matches()) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield text;
            }
            case COMPRESSION -> {
                String lower = text.toLowerCase(Locale.ROOT);
                if (!KafkaSettings.COMPRESSIONS.contains(lower)) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield lower;
            }
            case PARTITIONING -> {
                if (!List.of("schema", "table", "key").contains(text)) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield text;
            }
            case SECURITY_PROTOCOL -> {
                String upper = text.toUpperCase(Locale.ROOT);
                if (!List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL").contains(upper)) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield upper;
            }
            case SASL_MECHANISM -> {
                String upper = text.toUpperCase(Locale.ROOT);
                if (!List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512").contains(upper)) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield upper;
            }
            case URL -> PgUrl.parse(s.key() + " (" + raw.origin() + ")", text);
            case IDENTIFIER -> {
                if (!IDENTIFIER.matcher(text).matches()) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield text;
            }
            case POSITIVE_INT -> {
                int v = parseInt(s, raw, text);
                if (v < 1) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield v;
            }
            case NON_NEGATIVE_INT -> {
                int v = parseInt(s, raw, text);
                if (v < 0) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield v;
            }
            case SNAPSHOT_MODE -> {
                if (!List.of("full", "schema", "data", "none").contains(text)) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield text;
            }
            case PROGRESS -> {
                if (!List.of("auto", "bar", "log", "none").contains(text)) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield text;
            }
            case PORT -> {
                int v = parseInt(s, raw, text);
                if (v < 0 || v > 65535) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield v;
            }
            case DURATION -> parseDuration(s, raw, text);
            case TIMEOUT -> {
                Duration d = parseDuration(s, raw, text);
                if (d.toMillis() < 1 || d.toMillis() > Integer.MAX_VALUE) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield d;
            }
            case BOOLEAN -> {
                if (!text.equals("true") && !text.equals("false")) {
                    throw invalid(s, raw, "'" + text + "'");
                }
                yield Boolean.parseBoolean(text);
            }
            case LSN -> {
                if (text.isEmpty()) {
                    yield Lsn.INVALID;
                }
                try {
                    yield Lsn.parse(text);
                } catch (IllegalArgumentException e) {
                    throw invalid(s, raw, "'" + text + "'");
                }
            }
            case LIST -> throw new IllegalStateException("handled above");
        };
    }

    private static int parseInt(Setting s, Raw raw, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw invalid(s, raw, "'" + text + "'");
        }
    }

    private static Duration parseDuration(Setting s, Raw raw, String text) {
        if (text.equals("0")) {
            // Zero needs no unit; settings read it as "off".
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(text.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            Duration iso;
            try {
                iso = Duration.parse(text);
            } catch (RuntimeException e) {
                throw invalid(s, raw, "'" + text + "'");
            }
            if (iso.isNegative()) {
                throw invalid(s, raw, "'" + text + "'");
            }
            return iso;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    private static SluiceException invalid(Setting s, Raw raw, String found) {
        return new SluiceException(
                Reason.CONFIG,
                raw.origin() + ": " + s.key() + " = " + found + " is not allowed; expected "
                        + s.kind().expected());
    }
}
