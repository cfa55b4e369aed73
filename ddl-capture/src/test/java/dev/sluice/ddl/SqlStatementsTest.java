package dev.sluice.ddl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlStatementsTest {

    @Test
    void splitsOnSemicolonsOutsideQuotesCommentsAndBodies() {
        String sql = """
                CREATE TABLE a (v text DEFAULT 'x;y');  -- a comment; with a semicolon
                /* block; /* nested; */ still comment */ INSERT INTO a VALUES (E'it\\'s;');
                CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$;
                CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;
                ALTER TABLE "we;ird" ADD COLUMN b int
                """;

        assertThat(SqlStatements.split(sql))
                .containsExactly(
                        "CREATE TABLE a (v text DEFAULT 'x;y')",
                        "INSERT INTO a VALUES (E'it\\'s;')",
                        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$",
                        "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true"
                                + " THEN 2 END; END",
                        "ALTER TABLE \"we;ird\" ADD COLUMN b int");
    }

    @Test
    void namesTheCommandTagPostgresReports() {
        assertThat(SqlStatements.tag("create unique index concurrently i on t (a)"))
                .isEqualTo("CREATE INDEX");
        assertThat(SqlStatements.tag("CREATE OR REPLACE FUNCTION f() ...")).isEqualTo("CREATE FUNCTION");
        assertThat(SqlStatements.tag("CREATE MATERIALIZED VIEW m AS SELECT 1")).isEqualTo("CREATE MATERIALIZED VIEW");
        assertThat(SqlStatements.tag("CREATE TABLE t AS SELECT 1")).isEqualTo("CREATE TABLE AS");
        assertThat(SqlStatements.tag("CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY)"))
                .isEqualTo("CREATE TABLE");
        assertThat(SqlStatements.tag("CREATE TEMP TABLE t (id int)")).isEqualTo("CREATE TEMPORARY TABLE");
        assertThat(SqlStatements.tag("CREATE CONSTRAINT TRIGGER t AFTER INSERT ON x"))
                .isEqualTo("CREATE TRIGGER");
        assertThat(SqlStatements.tag("COMMENT ON TABLE t IS 'x'")).isEqualTo("COMMENT");
        assertThat(SqlStatements.tag("alter type mood add value 'ok'")).isEqualTo("ALTER TYPE");
        assertThat(SqlStatements.tag("DO $$ BEGIN END $$")).isEqualTo("DO");
    }
}
