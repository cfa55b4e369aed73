package dev.sluice.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

/** Which tables' values may go through binary COPY to another server. */
class SourceTableShapeTest {

    @Test
    void onlyTablesOfBuiltInTypesWithBinaryInputAndOutputQualifyForBinaryCopy() throws Exception {
        try (TestDatabase db = TestPostgres.server().createDatabase()) {
            db.execute(
                    "CREATE TYPE mood AS ENUM ('sad', 'ok')",
                    "CREATE DOMAIN positive AS int CHECK (VALUE > 0)",
                    "CREATE TABLE plain (id int PRIMARY KEY, t text, ts timestamptz, a numeric[], j jsonb)",
                    "CREATE TABLE enums (id int, m mood)",
                    "CREATE TABLE enum_arrays (id int, ms mood[])",
                    "CREATE TABLE domains (id int, p positive)",
                    // A built-in type without binary send and receive functions.
                    "CREATE TABLE acls (id int, acl aclitem)",
                    "CREATE TABLE acl_arrays (id int, acls aclitem[])",
                    // Generated columns are not copied, so their type does not count.
                    "CREATE TABLE generated (id int, m mood GENERATED ALWAYS AS ('ok'::mood) STORED)");
            try (Connection conn = db.connect()) {
                assertThat(builtIn(conn, "plain")).isTrue();
                assertThat(builtIn(conn, "generated")).isTrue();
                for (String table : new String[] {"enums", "enum_arrays", "domains", "acls", "acl_arrays"}) {
                    assertThat(builtIn(conn, table)).as(table).isFalse();
                }
            }
        }
    }

    private static boolean builtIn(Connection conn, String table) throws Exception {
        return SourceTableShape.read(conn, new TableId("public", table)).builtInTypes();
    }
}
