package dev.sluice.pipeline.scan;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a column's name says about its content. Names are normalized first ({@code firstName},
 * {@code FIRST-NAME} and {@code first_name} all become {@code first_name}), then matched against
 * word patterns in order; the first that matches wins, so {@code email_address} is an email, not
 * an address.
 */
final class ColumnNames {

    private ColumnNames() {}

    /** How much a name alone says. */
    enum Strength {
        /** The name is enough to flag the column ({@code email}, {@code ssn}). */
        STRONG,
        /**
         * The name needs support from the values or the table ({@code name} in {@code products} is
         * no person's name, {@code card} may be a card type).
         */
        WEAK
    }

    /**
     * A name's verdict.
     *
     * @param word the part of the name that matched, as comments quote it
     */
    record Match(PiiKind kind, Strength strength, String word) {}

    private record Rule(PiiKind kind, Strength strength, Pattern pattern) {}

    private static Rule strong(PiiKind kind, String words) {
        return new Rule(kind, Strength.STRONG, Pattern.compile("(?:^|_)(" + words + ")(?:_|$)"));
    }

    private static Rule weak(PiiKind kind, String words) {
        return new Rule(kind, Strength.WEAK, Pattern.compile("(?:^|_)(" + words + ")(?:_|$)"));
    }

    private static final List<Rule> RULES = List.of(
            strong(
                    PiiKind.SECRET,
                    "password|passwd|pwd|pass_?hash|secret|secret_?key|token|api_?key|private_?key|access_?key"
                            + "|otp|totp|mfa_?secret|salt|credentials?|session_?key"),
            strong(PiiKind.EMAIL, "e_?mail|email_?address|e_?mail_?addr|mail"),
            strong(
                    PiiKind.PHONE,
                    "phone|phone_?number|phone_?no|telephone|tel|mobile|mobile_?number|cell|cell_?phone|fax|msisdn"),
            strong(PiiKind.SSN, "ssn|social_?security(?:_?number)?|soc_?sec"),
            strong(
                    PiiKind.NATIONAL_ID,
                    "national_?id|national_?number|nin|nino|tax_?id|tin|vat_?id|passport|passport_?number"
                            + "|driver_?licen[cs]e|driving_?licen[cs]e|licen[cs]e_?number|id_?card|id_?number"
                            + "|personal_?id|citizen_?id|dni|nif|nie|aadhaar|pesel|bsn|cpf|sin"),
            strong(
                    PiiKind.CARD,
                    "card_?number|card_?no|card_?num|cc_?number|cc_?num|credit_?card|debit_?card|pan|ccn|cc"),
            weak(PiiKind.CARD, "card"),
            strong(PiiKind.IBAN, "iban"),
            weak(PiiKind.IBAN, "bank_?account|account_?number|account_?no|bank_?account_?number"),
            strong(
                    PiiKind.IP,
                    "ip|ip_?address|ip_?addr|ipaddr|ipv4|ipv6|remote_?addr|remote_?ip|client_?ip|last_?ip"
                            + "|current_?sign_?in_?ip|last_?sign_?in_?ip|last_?login_?ip"),
            strong(PiiKind.BIRTH_DATE, "dob|birth|birth_?date|birthdate|birthday|date_?of_?birth|born|born_?on"),
            strong(PiiKind.FIRST_NAME, "first_?name|firstname|given_?name|fore_?name|forename|fname|middle_?name"),
            strong(PiiKind.LAST_NAME, "last_?name|lastname|surname|family_?name|lname|maiden_?name"),
            strong(
                    PiiKind.FULL_NAME,
                    "full_?name|fullname|display_?name|contact_?name|customer_?name|person_?name|real_?name"
                            + "|legal_?name|holder_?name|card_?holder|cardholder|account_?holder|recipient_?name"
                            + "|billing_?name|shipping_?name|emergency_?contact"),
            weak(PiiKind.FULL_NAME, "name"),
            strong(PiiKind.USERNAME, "user_?name|username|login|screen_?name|nick_?name|nickname"),
            strong(
                    PiiKind.ADDRESS,
                    "address|addr|street|street_?address|address_?line_?\\d|address\\d|addr\\d|house_?number"),
            weak(PiiKind.ADDRESS, "line_?\\d"),
            strong(PiiKind.CITY, "city|town"),
            strong(PiiKind.ZIP, "zip|zip_?code|zipcode|postal|postal_?code|postcode|post_?code"));

    /**
     * Last words that make a column about the data rather than the data itself: {@code
     * email_verified}, {@code phone_type}, {@code card_id}. Secrets are exempt ({@code
     * password_hash} is still a secret).
     */
    private static final Set<String> ABOUT = Set.of(
            "id",
            "ids",
            "uuid",
            "count",
            "cnt",
            "type",
            "kind",
            "status",
            "state",
            "verified",
            "confirmed",
            "enabled",
            "opt",
            "optin",
            "opted",
            "flag",
            "at",
            "on",
            "sent",
            "format",
            "template",
            "domain",
            "provider",
            "length",
            "len",
            "valid",
            "validated",
            "bounced",
            "preference",
            "preferences",
            "consent",
            "visible",
            "public",
            "private",
            "country",
            "code_type",
            "expiry",
            "expires",
            "exp",
            "brand",
            "network",
            "issuer",
            "last4",
            "last_four",
            "fingerprint",
            "version",
            "changed",
            "updated",
            "created",
            "prefix",
            "mask",
            "masked",
            "hash_type",
            "algorithm",
            "scheme",
            "policy",
            "hint",
            "reset",
            "required",
            "attempts",
            "token_type",
            "scope",
            "scopes",
            "duration",
            "ttl");

    /** Table names that hold people, for the weak {@code name}. */
    private static final Pattern PERSON_TABLES = Pattern.compile("(?:^|_)(users?|customers?|clients?|people|persons?"
            + "|employees?|staff|members?|contacts?|patients?|students?|authors?|accounts?|profiles?|subscribers?"
            + "|guests?|passengers?|applicants?|candidates?|drivers?|owners?|tenants?|buyers?|sellers?|donors?"
            + "|volunteers?|teachers?|doctors?|residents?|visitors?|recipients?|beneficiaries|holders?|signers?"
            + "|leads?|prospects?|admins?|operators?|agents?|representatives?|shoppers?|travell?ers?)(?:_|$)");

    /** The name in lower case with words joined by underscores: {@code firstName} → {@code first_name}. */
    static String normalize(String column) {
        String s = column.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replaceAll("([A-Z]+)([A-Z][a-z])", "$1_$2");
        s = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
        return s.replaceAll("^_+|_+$", "");
    }

    /** What the column's name suggests, if anything. */
    static Optional<Match> match(String column) {
        String n = normalize(column);
        for (Rule rule : RULES) {
            Matcher m = rule.pattern().matcher(n);
            if (m.find()) {
                if (rule.kind() != PiiKind.SECRET && aboutTheData(n, m.end(1))) {
                    return Optional.empty();
                }
                return Optional.of(new Match(rule.kind(), rule.strength(), m.group(1)));
            }
        }
        return Optional.empty();
    }

    /** Whether a word after the match says the column describes the data ({@code email_verified}). */
    private static boolean aboutTheData(String normalized, int matchEnd) {
        String rest = normalized.substring(matchEnd).replaceAll("^_", "");
        if (rest.isEmpty()) {
            return false;
        }
        String[] words = rest.split("_");
        return ABOUT.contains(words[words.length - 1]) || ABOUT.contains(rest);
    }

    /** Whether the table holds people, which lets a bare {@code name} column count as a person's name. */
    static boolean personTable(String table) {
        return PERSON_TABLES.matcher(normalize(table)).find();
    }
}
