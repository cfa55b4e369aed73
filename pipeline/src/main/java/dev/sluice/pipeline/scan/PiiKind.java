package dev.sluice.pipeline.scan;

/** What personal data a column holds, as {@code sluice scan} classifies it. */
enum PiiKind {
    EMAIL("email addresses"),
    PHONE("phone numbers"),
    FIRST_NAME("first names"),
    LAST_NAME("last names"),
    FULL_NAME("person names"),
    USERNAME("user names"),
    ADDRESS("street addresses"),
    CITY("cities"),
    ZIP("postal codes"),
    SSN("US social security numbers"),
    NATIONAL_ID("national identifiers"),
    CARD("payment card numbers (valid Luhn digit)"),
    IBAN("IBANs (valid checksum)"),
    IP("IP addresses"),
    BIRTH_DATE("birth dates"),
    SECRET("secrets"),
    /** Longer text with personal data inside it (an email or a phone number in a comment). */
    FREE_TEXT("free text with personal data inside"),
    /** A JSON document with personal data at some paths. */
    JSON("JSON documents with personal data inside");

    /** The plural noun phrase reasons use: "97% of 1000 sampled values are email addresses". */
    final String plural;

    PiiKind(String plural) {
        this.plural = plural;
    }
}
