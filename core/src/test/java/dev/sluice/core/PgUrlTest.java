package dev.sluice.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PgUrlTest {

    @Test
    void parsesUserPasswordHostPortDatabaseAndParameters() {
        PgUrl url = PgUrl.parse("source.url", "postgres://app:s%40cret@db.example.com:6543/shop?sslmode=require");
        assertThat(url.host()).isEqualTo("db.example.com");
        assertThat(url.port()).isEqualTo(6543);
        assertThat(url.database()).isEqualTo("shop");
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example.com:6543/shop");
        assertThat(url.properties())
                .containsEntry("user", "app")
                .containsEntry("password", "s@cret")
                .containsEntry("sslmode", "require");
    }

    @Test
    void acceptsJdbcSpellingWithCredentialsAsParameters() {
        PgUrl url = PgUrl.parse("target.url", "jdbc:postgresql://localhost/stage?user=u&password=p");
        assertThat(url.port()).isEqualTo(5432);
        assertThat(url.properties()).containsEntry("user", "u").containsEntry("password", "p");
    }

    @Test
    void neverPrintsThePassword() {
        PgUrl url = PgUrl.parse("source.url", "postgresql://app:hunter2@h:1/d");
        assertThat(url.toString()).isEqualTo("postgres://app:***@h:1/d").doesNotContain("hunter2");
        assertThat(url.toUrlWithPassword()).contains("hunter2");
        PgUrl ssl = PgUrl.parse("source.url", "postgres://app@h/d?sslmode=verify-full&sslpassword=keypass");
        assertThat(ssl.toString())
                .contains("sslmode=verify-full")
                .contains("sslpassword=***")
                .doesNotContain("keypass");
    }

    @Test
    void rejectsNonPostgresUrlWithoutEchoingPassword() {
        assertThatThrownBy(() -> PgUrl.parse("source.url", "mysql://app:hunter2@h/d"))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("source.url")
                .hasMessageContaining("not a PostgreSQL URL")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> PgUrl.parse("source.url", "postgres://app:hunter2@h:port/d"))
                .hasMessageContaining("port 'port'")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void requiresADatabaseName() {
        assertThatThrownBy(() -> PgUrl.parse("target.url", "postgres://h:5432"))
                .hasMessageContaining("names no database");
    }
}
