package dev.sluice.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CopyFormatTest {

    @Test
    void escapesOnlyWhatWouldEndAFieldOrRow() {
        StringBuilder out = new StringBuilder();
        CopyFormat.appendValue(out, "a\tb\nc\rd\\e 🐘");
        out.append('|');
        CopyFormat.appendValue(out, null);
        out.append('|');
        CopyFormat.appendValue(out, "");
        assertThat(out).hasToString("a\\tb\\nc\\rd\\\\e 🐘|\\N|");
    }

    @Test
    void parsesWhatItWritesBackToTheSameValues() {
        String[] values = {"plain", null, "", "tab\there", "new\nline", "back\\slash", "\\N literally", "é 日本"};
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                line.append('\t');
            }
            CopyFormat.appendValue(line, values[i]);
        }
        assertThat(CopyFormat.parseLine(line.toString(), values.length)).containsExactly(values);
    }

    @Test
    void parsesServerEscapesIncludingOctalAndHex() {
        assertThat(CopyFormat.parseLine("\\b\\f\\v\t\\101\\x41\t\\N", 3)).containsExactly("\b\f\u000B", "AA", null);
    }

    @Test
    void wrongFieldCountIsAnError() {
        assertThatThrownBy(() -> CopyFormat.parseLine("a\tb", 3)).hasMessageContaining("2 fields, expected 3");
    }

    @Test
    void parsesOneFieldAsParseLineDoes() {
        assertThat(CopyFormat.parseValue("\\N")).isNull();
        assertThat(CopyFormat.parseValue("\\\\N")).isEqualTo("\\N");
        assertThat(CopyFormat.parseValue("a\\tb\\\\")).isEqualTo("a\tb\\");
        assertThat(CopyFormat.parseValue("")).isEmpty();
    }
}
