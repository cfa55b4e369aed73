package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.core.Lsn;
import dev.sluice.core.TableId;
import dev.sluice.pipeline.cli.CliErrorsTest.Result;
import dev.sluice.sink.postgres.PostgresSink;
import dev.sluice.snapshot.SnapshotLedger;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.sql.Connection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** `status` with a target reports how far the target's snapshot is, from the ledger Sluice keeps there. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StatusSnapshotTest {

    private static final Lsn START = Lsn.parse("0/16B3748");

    @Test
    void statusReportsTheTargetsSnapshotFromItsLedger() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute("CREATE TABLE a (id int PRIMARY KEY)", "CREATE TABLE b (id int PRIMARY KEY)");
            assertThat(CliErrorsTest.sluice("init", "--source-url", source.url().toUrlWithPassword())
                            .code())
                    .isZero();
            try {
                JsonNode none = status(source, target);
                assertThat(none.at("/snapshot/state").asText()).isEqualTo("none");
                assertThat(none.at("/snapshot/streaming").asBoolean()).isFalse();
                assertThat(none.at("/ddl_capture").asBoolean())
                        .as("init installed DDL capture")
                        .isTrue();
                assertThat(none.at("/columns_without_rule").isEmpty()).isTrue();
                assertThat(text(source, target)).contains("ddl capture:  installed (schema changes replicate)");

                SnapshotLedger ledger = SnapshotLedger.open(target.url(), "sluice");
                ledger.start(START);
                try (Connection conn = target.connect()) {
                    conn.setAutoCommit(false);
                    ledger.recordPreData(conn, START);
                    ledger.recordTable(conn, new TableId("public", "a"), START, 1000, 2 << 20);
                    conn.commit();
                }
                JsonNode unplanned = status(source, target);
                assertThat(unplanned.at("/snapshot/tables_total").asInt())
                        .as("without a plan, the published tables")
                        .isEqualTo(2);

                ledger.recordPlan(3, 3 << 20);
                JsonNode running = status(source, target);
                assertThat(running.at("/snapshot/state").asText()).isEqualTo("in_progress");
                assertThat(running.at("/snapshot/position").asText()).isEqualTo(START.toString());
                assertThat(running.at("/snapshot/pre_data_done").asBoolean()).isTrue();
                assertThat(running.at("/snapshot/tables_copied").asInt()).isEqualTo(1);
                assertThat(running.at("/snapshot/tables_total").asInt()).isEqualTo(3);
                assertThat(running.at("/snapshot/rows_copied").asLong()).isEqualTo(1000);
                assertThat(running.at("/snapshot/bytes_copied").asLong()).isEqualTo(2 << 20);
                assertThat(running.at("/snapshot/bytes_estimated").asLong()).isEqualTo(3 << 20);
                assertThat(running.at("/snapshot/post_data_done").asInt()).isZero();
                assertThat(running.at("/snapshot/post_data_total").isNull()).isTrue();
                assertThat(running.at("/snapshot/done_at").isNull()).isTrue();
                assertThat(text(source, target))
                        .contains("snapshot:     in progress: 1 of 3 tables copied (2.0 MiB of ~3.0 MiB), schema"
                                + " pre-data done, post-data 0 objects; last step ");

                ledger.recordPostDataPlan(4);
                try (Connection conn = target.connect()) {
                    conn.setAutoCommit(false);
                    ledger.recordTable(conn, new TableId("public", "b"), START, 10, 1 << 20);
                    ledger.recordPostData(conn, "index public a_pkey");
                    conn.commit();
                }
                assertThat(text(source, target))
                        .contains("2 of 3 tables copied (3.0 MiB of ~3.0 MiB)")
                        .contains("post-data 1 of 4 objects");

                ledger.finish();
                JsonNode done = status(source, target);
                assertThat(done.at("/snapshot/state").asText()).isEqualTo("done");
                assertThat(done.at("/snapshot/streaming").asBoolean()).isFalse();
                assertThat(done.at("/snapshot/done_at").asText()).isNotEmpty();
                assertThat(text(source, target))
                        .contains("snapshot:     done at ")
                        .contains("(2 tables, 3.0 MiB)")
                        .doesNotContain("streaming");

                PostgresSink.recordSnapshot(target.url(), "sluice", "test source", START);
                JsonNode streaming = status(source, target);
                assertThat(streaming.at("/snapshot/state").asText()).isEqualTo("done");
                assertThat(streaming.at("/snapshot/streaming").asBoolean()).isTrue();
                assertThat(text(source, target)).contains("(2 tables, 3.0 MiB), streaming");

                ledger.clear();
                assertThat(text(source, target)).contains("snapshot:     none on record; the target streams");
            } finally {
                CliErrorsTest.sluice("destroy", "--source-url", source.url().toUrlWithPassword());
            }
        }
    }

    private static JsonNode status(TestDatabase source, TestDatabase target) throws Exception {
        Result r = CliErrorsTest.sluice(
                "status",
                "--source-url",
                source.url().toUrlWithPassword(),
                "--target-url",
                target.url().toUrlWithPassword(),
                "--json");
        assertThat(r.code()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    private static String text(TestDatabase source, TestDatabase target) {
        Result r = CliErrorsTest.sluice(
                "status",
                "--source-url",
                source.url().toUrlWithPassword(),
                "--target-url",
                target.url().toUrlWithPassword());
        assertThat(r.code()).as(r.err()).isZero();
        return r.out();
    }
}
