package dev.sluice.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TableIdTest {

    @Test
    void quotedNamesReadBackWhateverTheirSpelling() {
        for (TableId id : new TableId[] {
            new TableId("public", "orders"),
            new TableId("My Schema", "a.b"),
            new TableId("q\"uote", "\"\""),
            new TableId("", "x")
        }) {
            assertThat(TableId.parseQuoted(id.quoted())).isEqualTo(id);
        }
    }

    @Test
    void somethingElseIsRefused() {
        assertThatThrownBy(() -> TableId.parseQuoted("public.orders")).hasMessageContaining("public.orders");
        assertThatThrownBy(() -> TableId.parseQuoted("\"a\".\"b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TableId.parseQuoted("\"a\"")).isInstanceOf(IllegalArgumentException.class);
    }
}
