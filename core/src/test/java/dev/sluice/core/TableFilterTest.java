package dev.sluice.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TableFilterTest {

    @Test
    void emptyFilterTakesEveryUserTableButNeverSluiceOrSystemSchemas() {
        TableFilter all = TableFilter.all();
        assertThat(all.includes(new TableId("public", "users"))).isTrue();
        assertThat(all.includes(new TableId("sales", "orders"))).isTrue();
        assertThat(all.includes(new TableId("sluice", "progress"))).isFalse();
        assertThat(all.includes(new TableId("pg_catalog", "pg_class"))).isFalse();
    }

    @Test
    void excludesWinOverIncludes() {
        TableFilter f = TableFilter.of(List.of("public.*", "audit.*", "!audit.secret_*"));
        assertThat(f.includes(new TableId("public", "users"))).isTrue();
        assertThat(f.includes(new TableId("audit", "log"))).isTrue();
        assertThat(f.includes(new TableId("audit", "secret_keys"))).isFalse();
        assertThat(f.includes(new TableId("sales", "orders"))).isFalse();
    }

    @Test
    void onlyExcludesMeansEverythingElse() {
        TableFilter f = TableFilter.of(List.of("!audit.*"));
        assertThat(f.includes(new TableId("public", "users"))).isTrue();
        assertThat(f.includes(new TableId("audit", "log"))).isFalse();
    }

    @Test
    void patternWithoutSchemaMatchesAnySchemaAndDotsAreLiteral() {
        TableFilter f = TableFilter.of(List.of("orders"));
        assertThat(f.includes(new TableId("sales", "orders"))).isTrue();
        assertThat(f.includes(new TableId("sales", "orders2"))).isFalse();
        assertThat(TableFilter.of(List.of("p?blic.a")).includes(new TableId("public", "a")))
                .isTrue();
    }

    @Test
    void rejectsPatternWithTwoDotsNamingIt() {
        assertThatThrownBy(() -> TableFilter.of(List.of("db.public.users")))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("'db.public.users'")
                .hasMessageContaining("expected schema.table");
    }
}
