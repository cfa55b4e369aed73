package dev.sluice.transform.builtin;

import static dev.sluice.transform.builtin.Factory.transformer;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.util.List;

/**
 * Digit-shaped identifiers: phone numbers, card numbers, US social security numbers, any string of
 * digits. Every character that is not a digit stays in place. The {@code _fpe} variants encrypt the
 * digits with FF1 and promise no collisions; the others draw keyed random digits.
 */
final class DigitTransformers {

    private static final String CARD_SEPARATORS = " -";
    private static final String SSN_SEPARATORS = " -";

    private DigitTransformers() {}

    static List<TransformerFactory> factories() {
        return List.of(
                Factory.elementwise("phone", DigitTransformers::phone),
                Factory.elementwise("phone_fpe", c -> digitsFpe(c, "phone_fpe", true)),
                Factory.elementwise("digits_fpe", c -> digitsFpe(c, "digits_fpe", false)),
                Factory.elementwise("phone_number", DigitTransformers::phoneNumber),
                Factory.elementwise("credit_card", c -> creditCard(c, false)),
                Factory.elementwise("credit_card_fpe", c -> creditCard(c, true)),
                Factory.elementwise("ssn", c -> ssn(c, false)),
                Factory.elementwise("ssn_fpe", c -> ssn(c, true)));
    }

    /** Keyed random digits in the same places; {@code keep_prefix} leading digits kept. */
    static Transformer phone(TransformerContext c) {
        ColumnTypes.require(c, "phone", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        int keep = (int) p.integer("keep_prefix", 0, 0, 15);
        p.requireAllUsed();
        DomainKey key = c.key();
        return transformer(Uniqueness.NONE, value -> {
            Digits d = Digits.of(value);
            if (d.count() == 0) {
                throw new TransformException("not a phone number: it has no digits");
            }
            KeyedRandom r = KeyedRandom.of(key, "phone", value);
            for (int i = Math.min(keep, d.count()); i < d.count(); i++) {
                d.set(i, (int) r.below(10));
            }
            return d.toString();
        });
    }

    /**
     * FF1 over the digits after {@code keep_prefix} and before {@code keep_suffix}; the kept
     * prefix is part of the tweak. A bijection on strings with the same non-digit skeleton.
     */
    static Transformer digitsFpe(TransformerContext c, String name, boolean requireDigits) {
        ColumnTypes.require(c, name, ColumnTypes.TEXT);
        Parameters p = c.parameters();
        int keepPrefix = (int) p.integer("keep_prefix", 0, 0, 1000);
        int keepSuffix = requireDigits ? 0 : (int) p.integer("keep_suffix", 0, 0, 1000);
        p.requireAllUsed();
        Fpe fpe = Fpe.of(c.key(), name);
        return new Transformer() {
            @Override
            public String apply(String value) {
                Digits d = Digits.of(value);
                if (requireDigits && d.count() == 0) {
                    throw new TransformException("not a phone number: it has no digits");
                }
                int from = Math.min(keepPrefix, d.count());
                int to = Math.max(from, d.count() - keepSuffix);
                d.set(from, fpe.encrypt(10, d.get(from, to), tweak(d, from, to)));
                return d.toString();
            }

            @Override
            public Uniqueness uniqueness() {
                return Uniqueness.GUARANTEED;
            }
        };
    }

    private static String tweak(Digits d, int from, int to) {
        return d.text(0, from) + "|" + d.text(to, d.count());
    }

    /** pgstream's phone_number: keyed digits of a keyed length between the bounds, after a prefix. */
    static Transformer phoneNumber(TransformerContext c) {
        ColumnTypes.require(c, "phone_number", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        String prefix = p.string("prefix", "");
        int min = (int) p.integer("min_length", 6, 0, 100);
        int max = (int) p.integer("max_length", 10, 0, 100);
        Compat.generator(p);
        if (max < min) {
            throw p.invalid("max_length", max, "at least min_length (" + min + ")");
        }
        if (prefix.length() > min) {
            throw p.invalid("prefix", prefix, "at most min_length (" + min + ") characters");
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        return transformer(Uniqueness.NONE, value -> {
            KeyedRandom r = KeyedRandom.of(key, "phone_number", value);
            int length = (int) r.between(min, max);
            StringBuilder b = new StringBuilder(length).append(prefix);
            while (b.length() < length) {
                b.append((char) ('0' + r.below(10)));
            }
            return b.toString();
        });
    }

    /**
     * A card number of 12 to 19 digits (spaces and dashes kept): the digits after {@code
     * keep_prefix} and before the check digit are replaced, and the check digit is recomputed so
     * the Luhn test still passes. The FF1 variant carries an input's Luhn error over to the
     * output, so it is a bijection on all digit strings and valid numbers stay valid.
     */
    static Transformer creditCard(TransformerContext c, boolean fpe) {
        String name = fpe ? "credit_card_fpe" : "credit_card";
        ColumnTypes.require(c, name, ColumnTypes.TEXT);
        Parameters p = c.parameters();
        int keep = (int) p.integer("keep_prefix", 0, 0, 8);
        p.requireAllUsed();
        DomainKey key = c.key();
        Fpe cipher = fpe ? Fpe.of(c.key(), name) : null;
        return transformer(fpe ? Uniqueness.GUARANTEED : Uniqueness.NONE, value -> {
            Digits d = Digits.of(value);
            if (d.count() < 12 || d.count() > 19 || !d.onlyDigitsAnd(CARD_SEPARATORS)) {
                throw new TransformException("not a card number: expected 12 to 19 digits, spaces or dashes");
            }
            int n = d.count();
            byte[] body = d.get(0, n - 1);
            int offset = (d.digit(n - 1) - Digits.luhnCheckDigit(body) + 10) % 10;
            if (cipher != null) {
                d.set(keep, cipher.encrypt(10, d.get(keep, n - 1), d.text(0, keep) + "|" + n));
            } else {
                KeyedRandom r = KeyedRandom.of(key, "credit_card", value);
                for (int i = keep; i < n - 1; i++) {
                    d.set(i, (int) r.below(10));
                }
                offset = 0;
            }
            d.set(n - 1, (Digits.luhnCheckDigit(d.get(0, n - 1)) + offset) % 10);
            return d.toString();
        });
    }

    /**
     * A US social security number, nine digits with or without dashes, the separators kept. The
     * random variant draws a number that is valid (area 001-899 but not 666, group and serial not
     * zero); the FF1 variant maps valid numbers to valid ones and the rest (ITINs, test numbers)
     * among themselves, by cycle walking.
     */
    static Transformer ssn(TransformerContext c, boolean fpe) {
        String name = fpe ? "ssn_fpe" : "ssn";
        ColumnTypes.require(c, name, ColumnTypes.TEXT);
        c.parameters().requireAllUsed();
        DomainKey key = c.key();
        Fpe.Range cipher = fpe ? Fpe.of(c.key(), name).range(1_000_000_000L, "ssn") : null;
        return transformer(fpe ? Uniqueness.GUARANTEED : Uniqueness.NONE, value -> {
            Digits d = Digits.of(value);
            if (d.count() != 9 || !d.onlyDigitsAnd(SSN_SEPARATORS)) {
                throw new TransformException("not a US social security number: expected 9 digits, dashes or spaces");
            }
            long n = Long.parseLong(d.text(0, 9));
            long out;
            if (cipher != null) {
                boolean valid = validSsn(n);
                out = cipher.permuteWithin(n, x -> validSsn(x) == valid);
            } else {
                KeyedRandom r = KeyedRandom.of(key, "ssn", value);
                long area = r.between(1, 898);
                if (area >= 666) {
                    area++;
                }
                out = area * 1_000_000 + r.between(1, 99) * 10_000 + r.between(1, 9999);
            }
            String digits = String.format("%09d", out);
            for (int i = 0; i < 9; i++) {
                d.set(i, digits.charAt(i) - '0');
            }
            return d.toString();
        });
    }

    static boolean validSsn(long n) {
        long area = n / 1_000_000;
        long group = (n / 10_000) % 100;
        long serial = n % 10_000;
        return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
    }
}
