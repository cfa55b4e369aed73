package dev.sluice.transform.builtin;

import dev.sluice.transform.Parameters;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;

/**
 * FF1 that keeps a string's shape: its ASCII letters, lowercased, are encrypted as one string in
 * radix 26 and then take back each position's case; its digits are encrypted as one string in
 * radix 10; every other character stays in place. Two strings with the same output have the same
 * skeleton, the same case pattern and, by the two bijections, the same letters and digits: a
 * bijection, and one that also holds when strings are compared ignoring case ({@code citext}).
 */
final class ShapeFpe {

    private ShapeFpe() {}

    static TransformerFactory factory() {
        return Factory.elementwise("string_fpe", ShapeFpe::create);
    }

    /**
     * {@code string_fpe}: usernames, account references, any text under a unique index. Characters
     * other than ASCII letters and digits (punctuation, spaces, accented letters) stay as they are.
     */
    static Transformer create(TransformerContext c) {
        ColumnTypes.require(c, "string_fpe", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        p.requireAllUsed();
        Fpe fpe = Fpe.of(c.key(), "string_fpe");
        return new Transformer() {
            @Override
            public String apply(String value) {
                return crypt(fpe, true, value, "");
            }

            @Override
            public Uniqueness uniqueness() {
                return Uniqueness.GUARANTEED;
            }
        };
    }

    static String crypt(Fpe fpe, boolean encrypt, String value, String tweak) {
        char[] chars = value.toCharArray();
        int letters = 0;
        int digits = 0;
        for (char ch : chars) {
            if (isDigit(ch)) {
                digits++;
            } else if (isLetter(ch)) {
                letters++;
            }
        }
        byte[] l = new byte[letters];
        byte[] d = new byte[digits];
        int li = 0;
        int di = 0;
        for (char ch : chars) {
            if (isDigit(ch)) {
                d[di++] = (byte) (ch - '0');
            } else if (isLetter(ch)) {
                l[li++] = (byte) ((ch | 0x20) - 'a');
            }
        }
        l = encrypt ? fpe.encrypt(26, l, "letters|" + tweak) : fpe.decrypt(26, l, "letters|" + tweak);
        d = encrypt ? fpe.encrypt(10, d, "digits|" + tweak) : fpe.decrypt(10, d, "digits|" + tweak);
        li = 0;
        di = 0;
        for (int i = 0; i < chars.length; i++) {
            char ch = chars[i];
            if (isDigit(ch)) {
                chars[i] = (char) ('0' + d[di++]);
            } else if (isLetter(ch)) {
                char lower = (char) ('a' + l[li++]);
                chars[i] = ch <= 'Z' ? (char) (lower - 32) : lower;
            }
        }
        return new String(chars);
    }

    private static boolean isDigit(char ch) {
        return ch >= '0' && ch <= '9';
    }

    private static boolean isLetter(char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    }
}
