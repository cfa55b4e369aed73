package dev.sluice.pipeline.scan;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognizes personal data in one value: a regular expression finds the shape, and a validator
 * rules out most look-alikes (a card number's Luhn digit, the ranges an SSN may take, an IBAN's
 * mod-97 checksum, the octets of an IPv4 address). Pure functions, thread-safe.
 */
final class Detectors {

    private Detectors() {}

    // Local part as RFC 5322's dot-atom; the domain needs at least one dot and a letter TLD.
    private static final String EMAIL_CORE = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
            + "@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}";
    private static final Pattern EMAIL = Pattern.compile(EMAIL_CORE);
    private static final Pattern EMAIL_IN_TEXT =
            Pattern.compile("(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])" + EMAIL_CORE + "(?![A-Za-z0-9-])");

    /** Digits grouped by single spaces or dashes, as card numbers are printed. */
    private static final Pattern CARD = Pattern.compile("\\d(?:[ -]?\\d){12,18}");

    private static final Pattern CARD_IN_TEXT = Pattern.compile("(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d-])");
    private static final Pattern SSN = Pattern.compile("(\\d{3})-(\\d{2})-(\\d{4})");
    private static final Pattern SSN_DIGITS = Pattern.compile("(\\d{3})(\\d{2})(\\d{4})");
    private static final Pattern SSN_IN_TEXT = Pattern.compile("(?<![\\d-])(\\d{3})-(\\d{2})-(\\d{4})(?![\\d-])");
    private static final Pattern IBAN_IN_TEXT =
            Pattern.compile("(?<![A-Za-z0-9])[A-Z]{2}\\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])");

    /**
     * A printed phone number: an optional {@code +}, then groups of digits separated by spaces,
     * dots, dashes or parentheses, and an optional extension.
     */
    private static final Pattern PHONE = Pattern.compile(
            "\\+?\\(?\\d{1,4}\\)?(?:[ .-]?\\(?\\d{1,5}\\)?){1,6}(?:\\s*(?:x|ext\\.?|#)\\s*\\d{1,6})?",
            Pattern.CASE_INSENSITIVE);
    /**
     * Phone numbers inside text need a clear phone shape, since text is full of other numbers: an
     * international {@code +} prefix, or an area code in parentheses, or the North American
     * 3-3-4 grouping.
     */
    private static final Pattern PHONE_IN_TEXT = Pattern.compile("(?<![\\w+])(?:"
            + "\\+\\d{1,3}[ .-]?\\(?\\d{1,4}\\)?(?:[ .-]?\\d{2,4}){2,4}"
            + "|\\(\\d{3}\\) ?\\d{3}[ .-]\\d{4}"
            + "|\\d{3}[.-]\\d{3}[.-]\\d{4})(?![\\w-])");
    /** Dates, times and plain decimals are digits and separators too, but no phone numbers. */
    private static final Pattern NOT_PHONE = Pattern.compile("\\d{4}-\\d{1,2}-\\d{1,2}.*"
            + "|\\d{1,2}[./-]\\d{1,2}[./-]\\d{2,4}"
            + "|\\d{1,2}:\\d{2}(?::\\d{2})?"
            + "|-?\\d+\\.\\d+"
            + "|\\d{1,3}(?:\\.\\d{1,3}){3}");

    private static final Pattern IPV4 =
            Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?:/(\\d{1,2}))?");

    /** Whether the value is an email address. */
    static boolean isEmail(String value) {
        String v = value.strip();
        return v.length() <= 254 && v.indexOf('@') <= 64 && EMAIL.matcher(v).matches();
    }

    static boolean containsEmail(String text) {
        return EMAIL_IN_TEXT.matcher(text).find();
    }

    /**
     * The Luhn check (ISO/IEC 7812) over the digits of {@code digits}, the last being the check
     * digit: doubles every second digit from the right and sums; valid when the sum is a multiple
     * of ten.
     */
    static boolean luhnValid(CharSequence digits) {
        int sum = 0;
        boolean doubled = false;
        int count = 0;
        for (int i = digits.length() - 1; i >= 0; i--) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                continue;
            }
            int d = c - '0';
            if (doubled) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            doubled = !doubled;
            count++;
        }
        return count > 0 && sum % 10 == 0;
    }

    /**
     * Whether the value is a payment card number: 13 to 19 digits (spaces or dashes between them
     * allowed), starting as the major networks' numbers do (2 to 6), with a valid Luhn digit. A
     * random number of that length passes the Luhn test one time in ten, so a column of them is not
     * mistaken for cards.
     */
    static boolean isCardNumber(String value) {
        String v = value.strip();
        return CARD.matcher(v).matches() && plausibleCard(v);
    }

    private static boolean plausibleCard(String v) {
        char first = v.charAt(0);
        return first >= '2' && first <= '6' && luhnValid(v);
    }

    static boolean containsCardNumber(String text) {
        return cardsInText(text)[1] > 0;
    }

    /**
     * Runs of 13 to 19 digits inside text that start as card numbers do, and how many of them have
     * a valid Luhn digit: {@code {candidates, valid}}.
     */
    static int[] cardsInText(String text) {
        int candidates = 0;
        int valid = 0;
        Matcher m = CARD_IN_TEXT.matcher(text);
        while (m.find()) {
            char first = m.group().charAt(0);
            if (first >= '2' && first <= '6') {
                candidates++;
                if (luhnValid(m.group())) {
                    valid++;
                }
            }
        }
        return new int[] {candidates, valid};
    }

    /**
     * Whether the value is a US social security number written {@code 123-45-6789} (or nine bare
     * digits when {@code bareDigits}): the Social Security Administration never issues area 000,
     * 666 or 900-999, group 00 or serial 0000.
     */
    static boolean isSsn(String value, boolean bareDigits) {
        String v = value.strip();
        Matcher m = SSN.matcher(v);
        if (!m.matches()) {
            m = SSN_DIGITS.matcher(v);
            if (!bareDigits || !m.matches()) {
                return false;
            }
        }
        return validSsn(m.group(1), m.group(2), m.group(3));
    }

    static boolean validSsn(String area, String group, String serial) {
        int a = Integer.parseInt(area);
        return a != 0 && a != 666 && a < 900 && !group.equals("00") && !serial.equals("0000");
    }

    static boolean containsSsn(String text) {
        Matcher m = SSN_IN_TEXT.matcher(text);
        while (m.find()) {
            if (validSsn(m.group(1), m.group(2), m.group(3))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the value is an IBAN (ISO 13616): a country code, two check digits and up to 30
     * letters or digits, spaces allowed in groups, whose mod-97 checksum is 1.
     */
    static boolean isIban(String value) {
        String v = value.strip().replace(" ", "").toUpperCase(Locale.ROOT);
        if (v.length() < 15 || v.length() > 34) {
            return false;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            boolean ok = i < 2
                    ? c >= 'A' && c <= 'Z'
                    : i < 4 ? c >= '0' && c <= '9' : Character.isLetterOrDigit(c) && c < 128;
            if (!ok) {
                return false;
            }
        }
        return ibanMod97(v) == 1;
    }

    /**
     * The IBAN checksum: the first four characters moved to the end, letters replaced by 10 to 35,
     * the resulting number taken modulo 97, digit by digit so no big numbers are needed.
     */
    static int ibanMod97(String iban) {
        String rearranged = iban.substring(4) + iban.substring(0, 4);
        int mod = 0;
        for (int i = 0; i < rearranged.length(); i++) {
            char c = rearranged.charAt(i);
            if (c >= '0' && c <= '9') {
                mod = (mod * 10 + (c - '0')) % 97;
            } else {
                mod = (mod * 100 + (c - 'A' + 10)) % 97;
            }
        }
        return mod;
    }

    static boolean containsIban(String text) {
        Matcher m = IBAN_IN_TEXT.matcher(text);
        while (m.find()) {
            if (isIban(m.group())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the value is a printed phone number: 7 to 15 digits (E.164 allows 15) in a phone's
     * shape. Bare digit strings count only with {@code bareDigits} (an order number looks the same),
     * and dates, times, decimals, IPv4 addresses and SSNs never count.
     */
    static boolean isPhone(String value, boolean bareDigits) {
        String v = value.strip();
        if (v.isEmpty()
                || v.length() > 40
                || !PHONE.matcher(v).matches()
                || NOT_PHONE.matcher(v).matches()) {
            return false;
        }
        if (SSN.matcher(v).matches()) {
            return false;
        }
        String main = v.replaceFirst("(?i)\\s*(?:x|ext\\.?|#)\\s*\\d{1,6}$", "");
        int digits = 0;
        boolean formatted = false;
        for (int i = 0; i < main.length(); i++) {
            char c = main.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else {
                formatted = true;
            }
        }
        return digits >= 7 && digits <= 15 && (formatted || bareDigits);
    }

    static boolean containsPhone(String text) {
        return PHONE_IN_TEXT.matcher(text).find();
    }

    /** Whether the value is an IPv4 or IPv6 address, optionally with a {@code /prefix}. */
    static boolean isIp(String value) {
        String v = value.strip();
        return v.indexOf(':') >= 0 ? isIpv6(v) : isIpv4(v);
    }

    static boolean isIpv4(String value) {
        Matcher m = IPV4.matcher(value);
        if (!m.matches()) {
            return false;
        }
        for (int g = 1; g <= 4; g++) {
            String octet = m.group(g);
            if (Integer.parseInt(octet) > 255 || (octet.length() > 1 && octet.charAt(0) == '0')) {
                return false;
            }
        }
        return m.group(5) == null || Integer.parseInt(m.group(5)) <= 32;
    }

    /**
     * RFC 4291 text: eight groups of one to four hex digits, one run of zero groups shortened to
     * {@code ::}, the last two groups optionally an IPv4 address, then optionally a zone and a
     * {@code /prefix}.
     */
    static boolean isIpv6(String value) {
        String v = value;
        int slash = v.indexOf('/');
        if (slash >= 0) {
            String prefix = v.substring(slash + 1);
            if (prefix.isEmpty()
                    || prefix.length() > 3
                    || !prefix.chars().allMatch(Character::isDigit)
                    || Integer.parseInt(prefix) > 128) {
                return false;
            }
            v = v.substring(0, slash);
        }
        int zone = v.indexOf('%');
        if (zone >= 0) {
            if (zone == v.length() - 1) {
                return false;
            }
            v = v.substring(0, zone);
        }
        int doubleColon = v.indexOf("::");
        if (doubleColon >= 0 && v.indexOf("::", doubleColon + 1) >= 0) {
            return false;
        }
        int groups;
        if (doubleColon >= 0) {
            String head = v.substring(0, doubleColon);
            String tail = v.substring(doubleColon + 2);
            int h = countGroups(head, false);
            int t = countGroups(tail, true);
            if (h < 0 || t < 0) {
                return false;
            }
            groups = h + t;
            return groups <= 7;
        }
        groups = countGroups(v, true);
        return groups == 8;
    }

    /** Groups in a colon-separated run (an IPv4 tail counts two), or -1 when malformed. */
    private static int countGroups(String run, boolean ipv4TailAllowed) {
        if (run.isEmpty()) {
            return 0;
        }
        String[] parts = run.split(":", -1);
        int groups = 0;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == parts.length - 1 && ipv4TailAllowed && p.indexOf('.') >= 0) {
                if (!isIpv4(p) || p.indexOf('/') >= 0) {
                    return -1;
                }
                groups += 2;
                continue;
            }
            if (p.isEmpty() || p.length() > 4) {
                return -1;
            }
            for (int j = 0; j < p.length(); j++) {
                if (Character.digit(p.charAt(j), 16) < 0) {
                    return -1;
                }
            }
            groups++;
        }
        return groups;
    }
}
