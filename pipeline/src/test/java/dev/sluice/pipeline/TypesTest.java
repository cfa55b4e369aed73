package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every type family arrives byte-exact: values travel as text and are compared as text. Each family
 * is inserted through both insert paths (COPY for long runs, prepared statements for short ones),
 * then updated and partly deleted.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TypesTest {

    static Stream<Integer> versions() {
        return TestPostgres.versions().stream();
    }

    /** Column type, and SQL expressions for values of it; each must differ from the next. */
    private record Family(String name, String type, String... values) {}

    private static final Family[] FAMILIES = {
        new Family(
                "numeric",
                "numeric",
                "'NaN'",
                "'-0.000000000000000000000000000000001'",
                "12345678901234567890.123456789012345678901234567890",
                "'Infinity'"),
        new Family("fixed", "numeric(40, 20)", "1.5", "'-99999999999999999999.99999999999999999999'"),
        new Family("money", "money", "'12.34'", "'-0.01'"),
        new Family("floats", "double precision", "'NaN'", "'-Infinity'", "1.0000000000000002", "-0.0", "5e-324"),
        new Family("real", "real", "'3.4028235e38'", "'1.1'"),
        new Family("ints", "bigint", "-9223372036854775808", "9223372036854775807"),
        new Family("bool", "boolean", "true", "false"),
        new Family("date", "date", "'infinity'", "'-infinity'", "'0001-01-01 BC'", "'2024-02-29'"),
        new Family("time", "time(6)", "'23:59:59.999999'", "'00:00'"),
        new Family("timetz", "timetz", "'12:34:56+05:30'", "'00:00-14'"),
        new Family("ts", "timestamp", "'infinity'", "'2000-01-01 00:00:00.000001'", "'4713-01-01 BC'"),
        new Family("tstz", "timestamptz", "'-infinity'", "'2024-03-10 02:30:00 America/New_York'"),
        new Family("interval", "interval", "'1 year 2 mons 3 days 04:05:06.789'", "'-178000000 years'"),
        new Family("bytea", "bytea", "'\\x00ff5c0a0d09'::bytea", "''::bytea"),
        new Family("uuid", "uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "gen_random_uuid()"),
        new Family("json", "json", "'{\"a\" :  [1, 2.50, null],   \"b\": \"\\u00e9\"}'", "'[]'"),
        new Family("jsonb", "jsonb", "'{\"z\": 1, \"a\": {\"nested\": [true, \"x\\ty\"]}}'", "'\"scalar\"'"),
        new Family("xml", "xml", "'<a b=\"1\">text &amp; more<c/></a>'", "'plain'"),
        new Family("intarr", "int[]", "'{1,NULL,3}'", "'{{1,2},{3,4}}'", "'{}'", "'[0:1]={7,8}'"),
        new Family(
                "textarr",
                "text[]",
                "ARRAY['a,b', NULL, 'c\"d', 'back\\slash', '', 'NULL', 'tab\there']",
                "'{{\"x y\",z},{\"{\",\"}\"}}'"),
        new Family("range", "int4range", "'[1,10)'", "'empty'", "'(,5]'"),
        new Family("tsrange", "tstzrange", "'[2024-01-01,infinity)'", "'(,)'"),
        new Family("multirange", "int4multirange", "'{[1,3), [7,9)}'", "'{}'"),
        new Family("enum", "mood", "'happy'", "'sad'"),
        new Family("domain", "posint", "42", "1"),
        new Family("composite", "pair", "ROW(1, 'a \"quoted\", (paren)')::pair", "ROW(NULL, NULL)::pair"),
        new Family("inet", "inet", "'192.168.0.1/24'", "'::ffff:1.2.3.4'"),
        new Family("cidr", "cidr", "'10.0.0.0/8'", "'2001:db8::/32'"),
        new Family("mac", "macaddr", "'08:00:2b:01:02:03'", "'ff:ff:ff:ff:ff:ff'"),
        new Family("mac8", "macaddr8", "'08:00:2b:01:02:03:04:05'", "'00:00:00:00:00:00:00:00'"),
        new Family("bit", "bit(8)", "B'10101010'", "B'00000000'"),
        new Family("varbit", "bit varying", "B'1'", "B''"),
        new Family("tsvector", "tsvector", "'a fat:2 cat:3A sat'", "to_tsvector('english', 'The quick brown foxes')"),
        new Family("tsquery", "tsquery", "'fat & (rat | cat) & !dog'", "'a <-> b'"),
        new Family("point", "point", "'(1.5,-2)'", "'(0,0)'"),
        new Family("line", "line", "'{1,2,3}'", "'{-1,0,5}'"),
        new Family("lseg", "lseg", "'[(0,0),(1,1)]'", "'[(2,2),(3,3)]'"),
        new Family("box", "box", "'(1,1),(0,0)'", "'(5,5),(2,2)'"),
        new Family("path", "path", "'[(0,0),(1,1),(2,0)]'", "'((0,0),(1,1))'"),
        new Family("polygon", "polygon", "'((0,0),(1,1),(1,0))'", "'((0,0),(2,2),(2,0))'"),
        new Family("circle", "circle", "'<(0,0),5>'", "'<(1,1),0.5>'"),
        new Family("text", "text", "E'line\\nbreak\\ttab\\\\backslash\\rreturn'", "'emoji 🐘 日本語 ☃ é'", "''"),
        new Family("char", "char(5)", "'ab'", "'abcde'"),
        new Family("varchar", "varchar(10)", "'x'", "'0123456789'"),
        new Family("oid", "oid", "4294967295", "0"),
        new Family("pglsn", "pg_lsn", "'16/B374D848'", "'0/0'"),
    };

    @ParameterizedTest(name = "PostgreSQL {0}")
    @MethodSource("versions")
    void everyTypeFamilyArrivesByteExact(int major) throws Exception {
        StringBuilder ddl = new StringBuilder("CREATE TABLE types (id int PRIMARY KEY");
        for (Family f : FAMILIES) {
            ddl.append(", ").append(f.name()).append(' ').append(f.type());
        }
        ddl.append(')');
        try (TestDatabase source = TestPostgres.server(major).createDatabase();
                TestDatabase target = TestPostgres.server(major).createDatabase();
                Replication replication = new Replication(source, target)
                        .schema(
                                "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
                                "CREATE DOMAIN posint AS int CHECK (VALUE > 0)",
                                "CREATE TYPE pair AS (a int, b text)",
                                ddl.toString())
                        .start()) {
            // 40 rows in one transaction take the COPY path; 3 more in their own take prepared inserts.
            source.execute(insertRows(1, 40));
            for (int id = 41; id <= 43; id++) {
                source.execute(insertRows(id, id));
            }
            // Update every column to the next value, set some to NULL, delete a few rows.
            for (Family f : FAMILIES) {
                source.execute("UPDATE types SET " + f.name() + " = " + f.values()[1] + " WHERE id % 2 = 0");
            }
            source.execute(
                    "UPDATE types SET " + FAMILIES[0].name() + " = NULL, text = NULL WHERE id % 3 = 0",
                    "DELETE FROM types WHERE id % 10 = 0");

            replication.awaitCaughtUp(Duration.ofMinutes(1));
            replication.assertSameData("types");
            for (Family f : FAMILIES) {
                assertThat(target.queryForString(
                                "SELECT md5(string_agg(" + f.name() + "::text, '|' ORDER BY id))" + " FROM types"))
                        .as("column %s (%s)", f.name(), f.type())
                        .isEqualTo(source.queryForString(
                                "SELECT md5(string_agg(" + f.name() + "::text, '|' ORDER BY id)) FROM types"));
            }
        }
    }

    private static String insertRows(int from, int to) {
        StringBuilder sql = new StringBuilder("INSERT INTO types VALUES ");
        for (int id = from; id <= to; id++) {
            if (id > from) {
                sql.append(", ");
            }
            sql.append('(').append(id);
            for (Family f : FAMILIES) {
                sql.append(", ").append(f.values()[id % f.values().length]);
            }
            sql.append(')');
        }
        return sql.toString();
    }
}
