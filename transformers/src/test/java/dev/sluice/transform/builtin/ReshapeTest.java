package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** {@code text}'s reshape writes what it wrote when it asked Character about every code point. */
class ReshapeTest {

    /** The earlier reshape, kept here as the reference. */
    private static String reshapeAsBefore(KeyedRandom r, String value) {
        StringBuilder b = new StringBuilder(value.length());
        value.codePoints().forEach(cp -> {
            if (Character.isDigit(cp)) {
                b.append((char) ('0' + r.below(10)));
            } else if (Character.isLetter(cp)) {
                b.append((char) ((Character.isUpperCase(cp) ? 'A' : 'a') + r.below(26)));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.oneOf(
                // Every ASCII character, and the Latin-1 and other letters and digits around them.
                Arbitraries.strings().ascii().ofMaxLength(60),
                Arbitraries.strings().all().ofMaxLength(30),
                Arbitraries.strings()
                        .withCharRange('\u0000', '\u00ff')
                        .withChars('٣', 'Ж', 'ǅ', '中', '\uD835', '\uDC00')
                        .ofMaxLength(40));
    }

    @Property(tries = 3000)
    void sameOutputAsBefore(@ForAll @Size(value = 32) byte[] seed, @ForAll("texts") String value) {
        assertThat(TextTransformers.reshape(new KeyedRandom(seed), value))
                .isEqualTo(reshapeAsBefore(new KeyedRandom(seed), value));
    }
}
