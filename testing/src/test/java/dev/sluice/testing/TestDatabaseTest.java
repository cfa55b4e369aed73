package dev.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@Timeout(120)
@ExtendWith(PostgresExtension.class)
class TestDatabaseTest {

    @Test
    void twoDatabasesAreIndependent(TestDatabase a, TestDatabase b) {
        a.execute("CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)");
        b.execute("CREATE TABLE t (id int)");

        assertThat(a.name()).isNotEqualTo(b.name());
        assertThat(a.queryForString("SELECT count(*) FROM t")).isEqualTo("1");
        assertThat(b.queryForString("SELECT count(*) FROM t")).isEqualTo("0");
    }

    @Test
    void runsWithTestSettings(TestDatabase db) {
        assertThat(db.queryForString("SHOW fsync")).isEqualTo("off");
        assertThat(db.queryForString("SHOW max_connections")).isEqualTo("200");
        assertThat(db.queryForString("SHOW wal_level")).isEqualTo("logical");
    }

    @Test
    void checksumIgnoresRowOrderButNotContent(TestDatabase source, TestDatabase target) {
        source.execute("CREATE TABLE t (id int, name text)", "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL)");
        target.execute("CREATE TABLE t (id int, name text)", "INSERT INTO t VALUES (3, NULL), (2, 'b'), (1, 'a')");

        assertThat(target.tableChecksum("public.t")).isEqualTo(source.tableChecksum("public.t"));

        target.execute("UPDATE t SET name = 'B' WHERE id = 2");
        assertThat(target.tableChecksum("public.t")).isNotEqualTo(source.tableChecksum("public.t"));
    }

    @Test
    void emptyTablesHaveEqualChecksums(TestDatabase a, TestDatabase b) {
        a.execute("CREATE TABLE \"Odd Name\" (id int)");
        b.execute("CREATE TABLE \"Odd Name\" (id int)");

        assertThat(a.tableChecksum("public.\"Odd Name\"")).isEqualTo(b.tableChecksum("public.\"Odd Name\""));
    }

    @Test
    void queryForListReturnsTheFirstColumnOfEveryRow(TestDatabase db) {
        assertThat(db.queryForList("SELECT g::text, 'ignored' FROM generate_series(1, 3) g"))
                .containsExactly("1", "2", "3");
        assertThat(db.queryForString("SELECT NULL")).isNull();
        assertThat(db.queryForString("SELECT 1 WHERE false")).isNull();
    }

    @Test
    void failedSqlNamesTheStatementAndSqlState(TestDatabase db) {
        assertThatThrownBy(() -> db.execute("SELECT * FROM missing"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("42P01")
                .hasMessageContaining("SELECT * FROM missing");
    }

    @Test
    void closeDropsTheDatabaseEvenWithOpenSessions(PgServer server) throws SQLException {
        TestDatabase db = server.createDatabase();
        db.execute("CREATE TABLE t (id int)");
        try (Connection open = db.connect()) {
            open.setAutoCommit(false);

            db.close();

            assertThat(open.isValid(2)).isFalse();
        }
        try (TestDatabase other = server.createDatabase()) {
            assertThat(other.queryForString("SELECT count(*) FROM pg_database WHERE datname = '" + db.name() + "'"))
                    .isEqualTo("0");
        }
    }

    @Test
    void urlCarriesThePassword(TestDatabase db) throws SQLException {
        assertThat(db.url().database()).isEqualTo(db.name());
        assertThat(db.url().toUrlWithPassword()).contains(db.server().postgres().password());
        try (Connection c = db.connect()) {
            assertThat(c.getCatalog()).isEqualTo(db.name());
        }
    }
}
