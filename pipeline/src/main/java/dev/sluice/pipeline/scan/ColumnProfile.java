package dev.sluice.pipeline.scan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the sampled values of one column look like: how many of them each detector recognizes as a
 * whole, how many carry personal data inside longer text, and whether each would be accepted by
 * the transformer the scan may propose (a card transformer refuses a value that is no card
 * number, and the run would stop on it). Counts only: values are not kept.
 *
 * <p>Array values count element by element; JSON documents are profiled per path of their leaves.
 */
final class ColumnProfile {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ISO_DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}([ T].*)?");
    private static final Pattern SPACES = Pattern.compile("\\s");
    /** More distinct JSON paths than this and the document is not a record with fixed keys. */
    static final int MAX_JSON_PATHS = 200;

    private final ColumnType type;
    int rows;
    int nulls;
    /** Non-null values (array elements for arrays, string leaves for JSON). */
    int values;

    final EnumMap<PiiKind, Integer> whole = new EnumMap<>(PiiKind.class);
    /** Values holding personal data inside them, by what was found (EMAIL, PHONE, CARD, SSN, IBAN). */
    final EnumMap<PiiKind, Integer> embedded = new EnumMap<>(PiiKind.class);
    /** Values that contain whitespace: text, not codes. */
    int withSpaces;

    int bareDigitPhones;
    /** Digit runs inside text that could be card numbers, and those with a valid Luhn digit. */
    int embeddedCardCandidates;

    int embeddedCardsValid;
    int bareDigitSsns;
    /** Inputs the specific transformers accept. */
    int withDigits;

    int cardShaped;
    int ssnShaped;
    int withAlnum;
    int isoDates;

    /** For JSON columns: documents, and per leaf path what its string values are. */
    int documents;

    int unparsedDocuments;
    final Map<String, ColumnProfile> jsonPaths = new LinkedHashMap<>();

    ColumnProfile(ColumnType type) {
        this.type = type;
    }

    ColumnType type() {
        return type;
    }

    /** Adds one sampled row's value ({@code null} for SQL NULL), in its text form. */
    void add(String value) {
        rows++;
        if (value == null) {
            nulls++;
            return;
        }
        if (type.category() == ColumnType.Category.JSON && !type.array()) {
            addJson(value);
        } else if (type.array()) {
            for (String element : ArrayLiteral.elements(value)) {
                if (element != null) {
                    addValue(element);
                }
            }
        } else {
            addValue(value);
        }
    }

    private void addValue(String v) {
        values++;
        if (SPACES.matcher(v).find()) {
            withSpaces++;
        }
        PiiKind kind = wholeKind(v);
        if (kind != null) {
            whole.merge(kind, 1, Integer::sum);
        } else if (v.length() > 6) {
            if (Detectors.containsEmail(v)) {
                embedded.merge(PiiKind.EMAIL, 1, Integer::sum);
            }
            if (Detectors.containsPhone(v)) {
                embedded.merge(PiiKind.PHONE, 1, Integer::sum);
            }
            int[] cards = Detectors.cardsInText(v);
            embeddedCardCandidates += cards[0];
            if (cards[1] > 0) {
                embedded.merge(PiiKind.CARD, 1, Integer::sum);
                embeddedCardsValid += cards[1];
            }
            if (Detectors.containsSsn(v)) {
                embedded.merge(PiiKind.SSN, 1, Integer::sum);
            }
            if (Detectors.containsIban(v)) {
                embedded.merge(PiiKind.IBAN, 1, Integer::sum);
            }
        }
        if (Detectors.isPhone(v, true) && !Detectors.isPhone(v, false)) {
            bareDigitPhones++;
        }
        if (Detectors.isSsn(v, true) && !Detectors.isSsn(v, false)) {
            bareDigitSsns++;
        }
        int digits = 0;
        boolean alnum = false;
        boolean onlyCardChars = true;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c != ' ' && c != '-') {
                onlyCardChars = false;
            }
            if (Character.isLetterOrDigit(c)) {
                alnum = true;
            }
        }
        if (digits > 0) {
            withDigits++;
        }
        if (onlyCardChars && digits >= 12 && digits <= 19) {
            cardShaped++;
        }
        if (onlyCardChars && digits == 9) {
            ssnShaped++;
        }
        if (alnum) {
            withAlnum++;
        }
        if (ISO_DATE.matcher(v).matches() && parsesAsDate(v.substring(0, 10))) {
            isoDates++;
        }
    }

    /** The kind the whole value is, trying the strict validators first. */
    private PiiKind wholeKind(String v) {
        if (type.category() == ColumnType.Category.INET) {
            return PiiKind.IP;
        }
        if (Detectors.isEmail(v)) {
            return PiiKind.EMAIL;
        }
        if (Detectors.isCardNumber(v)) {
            return PiiKind.CARD;
        }
        if (Detectors.isSsn(v, false)) {
            return PiiKind.SSN;
        }
        if (Detectors.isIban(v)) {
            return PiiKind.IBAN;
        }
        if (Detectors.isIp(v)) {
            return PiiKind.IP;
        }
        if (Detectors.isPhone(v, false)) {
            return PiiKind.PHONE;
        }
        return switch (NameDictionary.get().classify(v)) {
            case FIRST -> PiiKind.FIRST_NAME;
            case LAST -> PiiKind.LAST_NAME;
            case FULL -> PiiKind.FULL_NAME;
            case NONE -> null;
        };
    }

    private static boolean parsesAsDate(String text) {
        try {
            LocalDate.parse(text);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private void addJson(String text) {
        documents++;
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            unparsedDocuments++;
            return;
        }
        List<String> path = new ArrayList<>();
        walk(root, path);
    }

    private void walk(JsonNode node, List<String> path) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                path.add(e.getKey());
                walk(e.getValue(), path);
                path.remove(path.size() - 1);
            }
        } else if (node.isArray()) {
            path.add(null);
            for (JsonNode item : node) {
                walk(item, path);
            }
            path.remove(path.size() - 1);
        } else if (node.isTextual() || node.isNumber()) {
            String key = JsonPaths.format(path);
            if (key == null) {
                return;
            }
            ColumnProfile leaf = jsonPaths.get(key);
            if (leaf == null) {
                if (jsonPaths.size() >= MAX_JSON_PATHS) {
                    return;
                }
                leaf = new ColumnProfile(new ColumnType(
                        "json leaf",
                        node.isTextual() ? ColumnType.Category.TEXT : ColumnType.Category.NUMERIC,
                        false,
                        -1));
                jsonPaths.put(key, leaf);
            }
            leaf.add(node.asText());
        }
    }

    int whole(PiiKind kind) {
        return whole.getOrDefault(kind, 0);
    }

    int embedded(PiiKind kind) {
        return embedded.getOrDefault(kind, 0);
    }

    /** {@code part} as a whole percentage of the values, rounded down so 99.9% never shows as 100%. */
    int percent(int part) {
        return values == 0 ? 0 : (int) (100L * part / values);
    }

    /**
     * Of the values shaped like card numbers (whole or inside text), the share with a valid Luhn
     * digit: near 1 for real card numbers, near 0.1 for random numbers of the same length.
     */
    double luhnShare() {
        int candidates = cardShaped + embeddedCardCandidates;
        return candidates == 0 ? 0 : (double) (whole(PiiKind.CARD) + embeddedCardsValid) / candidates;
    }

    double share(int part) {
        return values == 0 ? 0 : (double) part / values;
    }
}
