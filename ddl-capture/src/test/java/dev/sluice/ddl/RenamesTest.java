package dev.sluice.ddl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Lsn;
import dev.sluice.core.TableId;
import dev.sluice.core.event.DdlCommand.ColumnRename;
import dev.sluice.core.event.DdlCommand.TableRename;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.sql.Connection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The target's record of renames, moves to another schema included, read back in source order. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class RenamesTest {

    private static final TableId USERS = new TableId("public", "users");

    @Test
    void renamesRecordedBeforeMovesExistedReadBackAndMovesAddTheirSchema() throws Exception {
        try (TestDatabase target = TestPostgres.server().createDatabase();
                Connection conn = target.connect()) {
            // The record as a Sluice without SET SCHEMA support left it.
            target.execute(
                    "CREATE SCHEMA sluice",
                    "CREATE TABLE sluice.renames (pipeline text NOT NULL, lsn pg_lsn NOT NULL, kind text NOT NULL"
                            + " CHECK (kind IN ('table', 'column')), table_schema text NOT NULL, table_name text NOT"
                            + " NULL, from_name text NOT NULL, to_name text NOT NULL, PRIMARY KEY (pipeline, lsn, kind,"
                            + " table_schema, table_name, from_name))",
                    "INSERT INTO sluice.renames VALUES ('p', '0/10', 'column', 'public', 'users', 'name', 'full_name')");

            assertThat(Renames.read(target.url(), "p")).containsExactly(new ColumnRename(USERS, "name", "full_name"));

            Renames.prepare(conn);
            TableRename moved = new TableRename(USERS, new TableId("archive", "users"));
            TableRename renamed = new TableRename(new TableId("archive", "users"), new TableId("archive", "people"));
            Renames.record(conn, "p", moved, Lsn.parse("0/20"));
            Renames.record(conn, "p", renamed, Lsn.parse("0/30"));
            Renames.record(conn, "p", renamed, Lsn.parse("0/30"));

            assertThat(Renames.read(target.url(), "p"))
                    .containsExactly(new ColumnRename(USERS, "name", "full_name"), moved, renamed);
            assertThat(Renames.read(target.url(), "other")).isEmpty();
        }
    }
}
