package dev.sluice.transform.builtin;

/**
 * The decimal digits of a value and where they sit, so a transformer can rewrite the digits and
 * keep every other character (plus sign, spaces, dashes, parentheses) in place.
 */
final class Digits {

    final char[] chars;
    final int[] positions;

    private Digits(char[] chars, int[] positions) {
        this.chars = chars;
        this.positions = positions;
    }

    static Digits of(String value) {
        char[] chars = value.toCharArray();
        int count = 0;
        for (char c : chars) {
            if (c >= '0' && c <= '9') {
                count++;
            }
        }
        int[] positions = new int[count];
        int k = 0;
        for (int i = 0; i < chars.length; i++) {
            if (chars[i] >= '0' && chars[i] <= '9') {
                positions[k++] = i;
            }
        }
        return new Digits(chars, positions);
    }

    int count() {
        return positions.length;
    }

    /** Digit values {@code [from, to)} as symbols 0-9. */
    byte[] get(int from, int to) {
        byte[] d = new byte[to - from];
        for (int i = from; i < to; i++) {
            d[i - from] = (byte) (chars[positions[i]] - '0');
        }
        return d;
    }

    int digit(int index) {
        return chars[positions[index]] - '0';
    }

    void set(int from, byte[] digits) {
        for (int i = 0; i < digits.length; i++) {
            chars[positions[from + i]] = (char) ('0' + digits[i]);
        }
    }

    void set(int index, int digit) {
        chars[positions[index]] = (char) ('0' + digit);
    }

    /** Only digits and the separators allowed besides them. */
    boolean onlyDigitsAnd(String separators) {
        for (char c : chars) {
            if ((c < '0' || c > '9') && separators.indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }

    String text(int from, int to) {
        StringBuilder b = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            b.append(chars[positions[i]]);
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return new String(chars);
    }

    /**
     * The Luhn check digit for a body of digits (the card number without its last digit), so that
     * body + check digit passes the Luhn test.
     */
    static int luhnCheckDigit(byte[] body) {
        int sum = 0;
        boolean dbl = true;
        for (int i = body.length - 1; i >= 0; i--) {
            int d = body[i];
            if (dbl) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            dbl = !dbl;
        }
        return (10 - sum % 10) % 10;
    }

    static boolean luhnValid(String digits) {
        byte[] body = new byte[digits.length() - 1];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (digits.charAt(i) - '0');
        }
        return luhnCheckDigit(body) == digits.charAt(digits.length() - 1) - '0';
    }
}
