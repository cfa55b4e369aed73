package dev.sluice.transform.builtin;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Email addresses. The output is always a valid address ({@code local@domain}, ASCII). Addresses
 * in an excluded domain pass unchanged. The domain is kept ({@code preserve_domain}) or replaced
 * by a reserved one ({@code example.com} and its siblings, which never deliver mail), so a staging
 * system cannot write to real people at made-up addresses.
 *
 * <p>The local part is, by default, a keyed random string long enough that distinct addresses do
 * not collide in practice. With {@code preserve_length} it is encrypted with FF1 instead: letters
 * stay letters (and keep their case), digits stay digits, other characters stay in place, so
 * length and look survive and, with the domain kept, distinct addresses never collide, even
 * compared case-insensitively ({@code citext}). {@code email_fpe} is that mode, always.
 */
final class Emails {

    private static final List<String> RESERVED_DOMAINS = List.of("example.com", "example.net", "example.org");
    private static final String LOCAL_SPECIALS = ".!#$%&'*+/=?^_`{|}~-";
    private static final String BASE36 = "abcdefghijklmnopqrstuvwxyz0123456789";

    enum LocalPart {
        /** 20 keyed base-36 characters (103 bits): Sluice's and pgstream's {@code email}. */
        RANDOM,
        /** 32 keyed hex digits, a UUID without dashes: neosync's {@code uuidv4}. */
        UUIDV4,
        /** {@code first.last} and two keyed digits from the name lists: neosync's {@code fullname}. */
        FULLNAME,
        /** UUIDV4 or FULLNAME, keyed: neosync's {@code any}. */
        ANY,
        /** FF1 over letters and digits, everything else kept: {@code preserve_length}. */
        FPE
    }

    enum InvalidAction {
        REJECT,
        PASSTHROUGH,
        NULL,
        GENERATE
    }

    private Emails() {}

    static List<TransformerFactory> factories() {
        return List.of(
                Factory.elementwise("email", Emails::email),
                Factory.elementwise("neosync_email", Emails::neosync),
                Factory.elementwise("email_fpe", Emails::fpe));
    }

    /**
     * Sluice's {@code email}, which also reads pgstream's parameters: {@code preserve_domain}
     * (false), {@code preserve_length} (false), {@code excluded_domains} (list) or pgstream's
     * {@code exclude_domain}, {@code replacement_domain} (default {@code example.com}; a leading
     * {@code @} is accepted), {@code max_length} (100), {@code invalid_email_action} ({@code
     * generate}, as pgstream does; or {@code reject}, {@code passthrough}, {@code null}) and
     * pgstream's {@code salt} (another mapping under the same key).
     */
    static Transformer email(TransformerContext c) {
        ColumnTypes.require(c, "email", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        boolean preserveDomain = p.bool("preserve_domain", false);
        boolean preserveLength = p.bool("preserve_length", false);
        Set<String> excluded = domains(p.strings("excluded_domains"));
        excluded.addAll(domains(p.strings("exclude_domain")));
        String replacement = domain(p.string("replacement_domain", "example.com"));
        int maxLength = (int) p.integer("max_length", 100, 6, 100_000);
        InvalidAction invalid = action(p, "generate");
        String purpose = Compat.purpose("email", p, "salt");
        if (replacement.isEmpty() || !validDomain(replacement)) {
            throw p.invalid("replacement_domain", replacement, "a domain such as example.com");
        }
        return build(
                c,
                p,
                new Config(
                        purpose,
                        preserveLength ? LocalPart.FPE : LocalPart.RANDOM,
                        preserveDomain,
                        List.of(replacement),
                        excluded,
                        maxLength,
                        invalid));
    }

    /**
     * pgstream's {@code neosync_email}: {@code preserve_length}, {@code preserve_domain}, {@code
     * excluded_domains}, {@code max_length} (100), {@code email_type} ({@code uuidv4}, {@code
     * fullname}, {@code any}), {@code invalid_email_action} ({@code reject}) and {@code seed}.
     * Replaced domains are drawn from example.com, example.net and example.org.
     */
    static Transformer neosync(TransformerContext c) {
        ColumnTypes.require(c, "neosync_email", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        boolean preserveLength = p.bool("preserve_length", false);
        boolean preserveDomain = p.bool("preserve_domain", false);
        Set<String> excluded = domains(p.strings("excluded_domains"));
        int maxLength = (int) p.integer("max_length", 100, 6, 100_000);
        String type = p.choice("email_type", "uuidv4", List.of("uuidv4", "fullname", "any"));
        InvalidAction invalid = action(p, "reject");
        String purpose = Compat.purpose("neosync_email", p, "seed");
        LocalPart local = preserveLength
                ? LocalPart.FPE
                : switch (type) {
                    case "fullname" -> LocalPart.FULLNAME;
                    case "any" -> LocalPart.ANY;
                    default -> LocalPart.UUIDV4;
                };
        return build(c, p, new Config(purpose, local, preserveDomain, RESERVED_DOMAINS, excluded, maxLength, invalid));
    }

    /**
     * {@code email_fpe}: the domain kept, the local part encrypted with FF1 (letters to letters in
     * the same case, digits to digits, the rest in place): a bijection, so a unique email column
     * stays unique. Parameters: {@code excluded_domains}, {@code invalid_email_action} ({@code
     * reject}, {@code passthrough} or {@code null}; generating would break the promise).
     */
    static Transformer fpe(TransformerContext c) {
        ColumnTypes.require(c, "email_fpe", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        Set<String> excluded = domains(p.strings("excluded_domains"));
        InvalidAction invalid = action(p, "reject");
        if (invalid == InvalidAction.GENERATE) {
            throw p.invalid(
                    "invalid_email_action",
                    "generate",
                    "reject, passthrough or null (a generated address could collide)");
        }
        return build(c, p, new Config("email_fpe", LocalPart.FPE, true, List.of(), excluded, 100_000, invalid));
    }

    record Config(
            String purpose,
            LocalPart local,
            boolean preserveDomain,
            List<String> domains,
            Set<String> excluded,
            int maxLength,
            InvalidAction invalid) {}

    private static Transformer build(TransformerContext c, Parameters p, Config config) {
        int declared = ColumnTypes.maxLength(c.type());
        if (declared > 0 && declared < config.maxLength()) {
            config = new Config(
                    config.purpose(),
                    config.local(),
                    config.preserveDomain(),
                    config.domains(),
                    config.excluded(),
                    declared,
                    config.invalid());
        }
        for (String d : config.domains()) {
            if (!config.preserveDomain() && config.excluded().contains(d)) {
                throw p.invalid(
                        "excluded_domains",
                        d,
                        "no domain the transformer writes (addresses there would pass unchanged)");
            }
        }
        p.requireAllUsed();
        return new EmailTransformer(config, c.key(), config.local() == LocalPart.FPE ? Fpe.of(c.key(), "email") : null);
    }

    private static InvalidAction action(Parameters p, String defaultValue) {
        return InvalidAction.valueOf(
                p.choice("invalid_email_action", defaultValue, List.of("reject", "passthrough", "null", "generate"))
                        .toUpperCase(Locale.ROOT));
    }

    private static Set<String> domains(List<String> names) {
        return names.stream()
                .map(Emails::domain)
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static String domain(String s) {
        String d = s.strip().toLowerCase(Locale.ROOT);
        return d.startsWith("@") ? d.substring(1) : d;
    }

    /** The index of the {@code @} of a valid address, or -1. */
    static int split(String v) {
        int at = v.lastIndexOf('@');
        if (at < 1 || at > 64 || at == v.length() - 1 || v.length() > 254) {
            return -1;
        }
        for (int i = 0; i < at; i++) {
            char ch = v.charAt(i);
            boolean ok = ch < 128 && (Character.isLetterOrDigit(ch) || LOCAL_SPECIALS.indexOf(ch) >= 0);
            if (!ok || (ch == '.' && (i == 0 || i == at - 1 || v.charAt(i - 1) == '.'))) {
                return -1;
            }
        }
        return validDomain(v.substring(at + 1)) ? at : -1;
    }

    static boolean validDomain(String d) {
        if (d.length() > 253) {
            return false;
        }
        // Label by label in place rather than split: this runs for every address transformed.
        int labels = 0;
        int start = 0;
        for (int end = 0; end <= d.length(); end++) {
            if (end < d.length() && d.charAt(end) != '.') {
                continue;
            }
            int length = end - start;
            if (length == 0 || length > 63 || d.charAt(start) == '-' || d.charAt(end - 1) == '-') {
                return false;
            }
            for (int i = start; i < end; i++) {
                char ch = d.charAt(i);
                if (!(ch < 128 && (Character.isLetterOrDigit(ch) || ch == '-'))) {
                    return false;
                }
            }
            labels++;
            start = end + 1;
        }
        return labels >= 2;
    }

    static final class EmailTransformer implements Transformer {

        private final Config config;
        private final DomainKey key;
        private final Fpe fpe;
        private final Uniqueness uniqueness;

        EmailTransformer(Config config, DomainKey key, Fpe fpe) {
            this.config = config;
            this.key = key;
            this.fpe = fpe;
            this.uniqueness = uniqueness(config);
        }

        private static Uniqueness uniqueness(Config c) {
            return switch (c.local()) {
                case FPE ->
                    c.preserveDomain() && c.invalid() != InvalidAction.GENERATE
                            ? Uniqueness.GUARANTEED
                            : Uniqueness.NONE;
                case RANDOM, UUIDV4 -> {
                    int domainBudget = c.preserveDomain()
                            ? 63
                            : c.domains().stream()
                                    .mapToInt(String::length)
                                    .max()
                                    .orElse(0);
                    int localRoom = Math.min(c.local() == LocalPart.RANDOM ? 20 : 32, c.maxLength() - 1 - domainBudget);
                    double bits = localRoom * (c.local() == LocalPart.RANDOM ? Math.log(36) / Math.log(2) : 4);
                    yield bits >= TextTransformers.PRACTICAL_BITS ? Uniqueness.PRACTICAL : Uniqueness.NONE;
                }
                default -> Uniqueness.NONE;
            };
        }

        @Override
        public Uniqueness uniqueness() {
            return uniqueness;
        }

        @Override
        public String apply(String value) {
            int at = split(value);
            if (at < 0) {
                return switch (config.invalid()) {
                    case REJECT -> throw new TransformException("not a valid email address");
                    case PASSTHROUGH -> value;
                    case NULL -> null;
                    case GENERATE -> generate(value, null, null);
                };
            }
            String domain = value.substring(at + 1);
            if (config.excluded().contains(domain.toLowerCase(Locale.ROOT))) {
                return value;
            }
            return generate(value, value.substring(0, at), domain);
        }

        /** A new address for {@code value}; {@code local} and {@code domain} null for invalid input. */
        private String generate(String value, String local, String domain) {
            byte[] mac = key.mac(config.purpose(), value);
            KeyedRandom r = new KeyedRandom(mac);
            String outDomain = config.preserveDomain() && domain != null
                    ? domain
                    : config.domains().isEmpty() ? RESERVED_DOMAINS.get(0) : r.pick(config.domains());
            LocalPart kind = config.local();
            if (kind == LocalPart.FPE && local == null) {
                kind = LocalPart.RANDOM;
            }
            if (kind == LocalPart.ANY) {
                kind = r.nextBoolean() ? LocalPart.UUIDV4 : LocalPart.FULLNAME;
            }
            String outLocal = switch (kind) {
                case FPE -> encrypt(local, domain);
                case UUIDV4 -> HexFormat.of().formatHex(mac, 16, 32);
                case FULLNAME -> fullName(r);
                default -> base36(r, 20);
            };
            if (kind != LocalPart.FPE) {
                int room = config.maxLength() - 1 - outDomain.length();
                if (room < 1) {
                    throw new TransformException("the address would be longer than max_length");
                }
                if (outLocal.length() > room) {
                    outLocal = outLocal.substring(0, room);
                    if (outLocal.endsWith(".")) {
                        outLocal = outLocal.substring(0, room - 1) + "x";
                    }
                }
            }
            return outLocal + "@" + outDomain;
        }

        private static String fullName(KeyedRandom r) {
            Dictionaries d = Dictionaries.get();
            String s = (r.pick(d.first) + "." + r.pick(d.last)).toLowerCase(Locale.ROOT);
            StringBuilder b = new StringBuilder(s.length() + 2);
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                if ((ch >= 'a' && ch <= 'z') || ch == '.') {
                    b.append(ch);
                }
            }
            return b.append(r.below(10)).append(r.below(10)).toString();
        }

        private static String base36(KeyedRandom r, int length) {
            char[] c = new char[length];
            for (int i = 0; i < length; i++) {
                c[i] = BASE36.charAt((int) r.below(36));
            }
            return new String(c);
        }

        /** FF1 over the lowercased letters (radix 26) and the digits (radix 10), case and the rest kept. */
        String encrypt(String local, String domain) {
            return crypt(true, local, domain);
        }

        String decrypt(String local, String domain) {
            return crypt(false, local, domain);
        }

        private String crypt(boolean encrypt, String local, String domain) {
            return ShapeFpe.crypt(fpe, encrypt, local, domain.toLowerCase(Locale.ROOT));
        }
    }
}
