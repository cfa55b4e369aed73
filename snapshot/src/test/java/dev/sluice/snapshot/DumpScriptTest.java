package dev.sluice.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.snapshot.DumpScript.Entry;
import dev.sluice.snapshot.PostDataBuilder.Wave;
import dev.sluice.snapshot.SqlNames.ConstraintRef;
import dev.sluice.snapshot.SqlNames.ForeignKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Splitting a post-data script captured from pg_dump 15 into its objects, and reading names out of their SQL. */
class DumpScriptTest {

    private static DumpScript sample() throws IOException {
        try (InputStream in = DumpScriptTest.class.getResourceAsStream("post-data-sample.sql")) {
            return DumpScript.parse(
                    SchemaCopier.withoutMetaCommands(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
    }

    private static Map<String, Entry> byKey(DumpScript script) {
        return script.entries().stream().collect(Collectors.toMap(Entry::key, Function.identity()));
    }

    @Test
    void foreignKeysSharingATableAreNeverHandedOutTogether() throws InterruptedException {
        TableId items = new TableId("public", "order_items");
        TableId orders = new TableId("public", "orders");
        TableId products = new TableId("public", "products");
        TableId events = new TableId("public", "events");
        Entry entry = new Entry("FK CONSTRAINT", "public", "x", "FK CONSTRAINT public x", "", List.of());
        PostDataBuilder.Step toOrders = new PostDataBuilder.Step(entry, "a", 0, java.util.Set.of(items, orders));
        PostDataBuilder.Step toProducts = new PostDataBuilder.Step(entry, "b", 0, java.util.Set.of(items, products));
        PostDataBuilder.Step fromEvents = new PostDataBuilder.Step(entry, "c", 0, java.util.Set.of(events, orders));
        PostDataBuilder.Step other = new PostDataBuilder.Step(entry, "d", 0, java.util.Set.of(events));
        PostDataBuilder.Schedule schedule =
                new PostDataBuilder.Schedule(List.of(toOrders, toProducts, fromEvents, other));
        assertThat(schedule.take()).isSameAs(toOrders);
        assertThat(schedule.take())
                .as("the next free of both locked tables, not the next in order")
                .isSameAs(other);
        schedule.done(toOrders);
        assertThat(schedule.take()).isSameAs(toProducts);
        schedule.done(other);
        assertThat(schedule.take()).isSameAs(fromEvents);
        assertThat(schedule.take()).isNull();
    }

    @Test
    void plainKeysAreBuiltAsUniqueIndexesThatOtherIndexBuildsOfTheTableCanRunBeside() {
        assertThat(
                        PostDataBuilder.onUniqueIndex(
                                "ALTER TABLE ONLY public.order_items\n    ADD CONSTRAINT order_items_pkey PRIMARY KEY (order_id, line);\n"))
                .isEqualTo("CREATE UNIQUE INDEX order_items_pkey ON public.order_items USING btree (order_id, line);\n"
                        + "ALTER TABLE ONLY public.order_items ADD CONSTRAINT order_items_pkey PRIMARY KEY USING INDEX"
                        + " order_items_pkey;\n");
        assertThat(
                        PostDataBuilder.onUniqueIndex(
                                "ALTER TABLE ONLY app.\"Gift Cards\"\n    ADD CONSTRAINT \"Gift Cards_code\" UNIQUE (code) INCLUDE (note);"))
                .isEqualTo(
                        "CREATE UNIQUE INDEX \"Gift Cards_code\" ON app.\"Gift Cards\" USING btree (code) INCLUDE (note);\n"
                                + "ALTER TABLE ONLY app.\"Gift Cards\" ADD CONSTRAINT \"Gift Cards_code\" UNIQUE USING INDEX"
                                + " \"Gift Cards_code\";\n");
        for (String unchanged : List.of(
                "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_key UNIQUE (a) DEFERRABLE INITIALLY DEFERRED;\n",
                "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_key UNIQUE NULLS NOT DISTINCT (a);\n",
                "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (a) WITH (fillfactor='70');\n",
                "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_check CHECK ((a > 0));\n",
                "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_excl EXCLUDE USING gist (r WITH &&);\n")) {
            assertThat(PostDataBuilder.onUniqueIndex(unchanged)).isEqualTo(unchanged);
        }
    }

    @Test
    void splitsEveryHeaderIntoOneEntryInDumpOrder() throws IOException {
        DumpScript script = sample();

        assertThat(script.entries()).hasSize(33);
        assertThat(script.entries().stream().map(Entry::type).distinct())
                .containsExactly(
                        "CONSTRAINT",
                        "CHECK CONSTRAINT",
                        "COMMENT",
                        "INDEX",
                        "INDEX ATTACH",
                        "STATISTICS",
                        "RULE",
                        "TRIGGER",
                        "FK CONSTRAINT",
                        "ROW SECURITY",
                        "POLICY",
                        "EVENT TRIGGER");
        assertThat(script.entries().stream().map(Entry::key).distinct()).hasSize(33);
        assertThat(script.entries().get(0).key())
                .isEqualTo("CONSTRAINT Odd Schema Weird \"Table\".x Weird \"Table\".x_pkey");
        assertThat(script.entries().get(32).key()).isEqualTo("EVENT TRIGGER - sluice_ddl");
    }

    @Test
    void keepsTheSessionSettingsInThePreambleAndEachEntrysSqlApart() throws IOException {
        DumpScript script = sample();
        Map<String, Entry> entries = byKey(script);

        assertThat(script.preamble())
                .contains("SELECT pg_catalog.set_config('search_path', '', false);")
                .contains("SET check_function_bodies = false;")
                .doesNotContain("Name:");
        assertThat(entries.get("INDEX app orders_customer_idx").sql())
                .isEqualTo("CREATE INDEX orders_customer_idx ON app.orders USING btree (customer_id);\n");
        assertThat(entries.get("COMMENT app INDEX orders_customer_idx").sql())
                .isEqualTo("COMMENT ON INDEX app.orders_customer_idx IS 'by customer';\n");
        assertThat(entries.get("INDEX ATTACH app events_2024_pkey").sql())
                .isEqualTo("ALTER INDEX app.events_pkey ATTACH PARTITION app.events_2024_pkey;\n");
        assertThat(entries.get("RULE app r r_ins").sql())
                .isEqualTo("CREATE RULE r_ins AS\n    ON INSERT TO app.r DO INSTEAD NOTHING;\n");
        assertThat(entries.get("POLICY app orders own_orders").sql())
                .isEqualTo("CREATE POLICY own_orders ON app.orders USING ((customer_id > 0));\n");
        assertThat(entries.get("TRIGGER app orders orders_touch").firstLine())
                .startsWith("CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders");
        // The last entry does not carry the script's closing banner.
        assertThat(entries.get("EVENT TRIGGER - sluice_ddl").sql())
                .isEqualTo("CREATE EVENT TRIGGER sluice_ddl ON ddl_command_end\n   EXECUTE FUNCTION sluice.cap();\n");
    }

    @Test
    void aSettingWrittenBeforeAHeaderAppliesFromThatEntryOn() throws IOException {
        Map<String, Entry> entries = byKey(sample());

        assertThat(entries.get("CONSTRAINT app audit audit_pkey").settings()).isEmpty();
        assertThat(entries.get("CONSTRAINT app big big_pkey").settings())
                .containsExactly("SET LOCAL default_tablespace = ts1");
        assertThat(entries.get("CONSTRAINT app big big_pkey").sql()).doesNotContain("SET ");
        assertThat(entries.get("CONSTRAINT app customers customers_email_key").settings())
                .containsExactly("SET LOCAL default_tablespace = ''");
        assertThat(entries.get("INDEX app cust_age").settings()).containsExactly("SET LOCAL default_tablespace = ts1");
        assertThat(entries.get("EVENT TRIGGER - sluice_ddl").settings())
                .containsExactly("SET LOCAL default_tablespace = ''");
    }

    @Test
    void typesFallIntoWaves() {
        assertThat(Wave.of("INDEX")).isEqualTo(Wave.INDEXES_AND_CONSTRAINTS);
        assertThat(Wave.of("CONSTRAINT")).isEqualTo(Wave.INDEXES_AND_CONSTRAINTS);
        assertThat(Wave.of("CHECK CONSTRAINT")).isEqualTo(Wave.INDEXES_AND_CONSTRAINTS);
        assertThat(Wave.of("INDEX ATTACH")).isEqualTo(Wave.INDEX_ATTACHMENTS);
        assertThat(Wave.of("FK CONSTRAINT")).isEqualTo(Wave.FOREIGN_KEYS);
        for (String other : List.of("TRIGGER", "RULE", "POLICY", "COMMENT", "STATISTICS", "SOMETHING NEW")) {
            assertThat(Wave.of(other)).as(other).isEqualTo(Wave.OTHERS);
        }
    }

    @Test
    void readsTheTablesOfForeignKeysIndexesAndConstraints() throws IOException {
        Map<String, Entry> entries = byKey(sample());

        assertThat(SqlNames.foreignKey(
                        entries.get("FK CONSTRAINT app orders orders_audit_fk").sql()))
                .contains(new ForeignKey(new TableId("app", "orders"), "orders_audit_fk", new TableId("app", "audit")));
        assertThat(SqlNames.foreignKey(
                        entries.get("FK CONSTRAINT Odd Schema Weird \"Table\".x Weird \"Table\".x_parent_fkey")
                                .sql()))
                .contains(new ForeignKey(
                        new TableId("Odd Schema", "Weird \"Table\".x"),
                        "Weird \"Table\".x_parent_fkey",
                        new TableId("Odd Schema", "Weird \"Table\".x")));
        assertThat(SqlNames.table(entries.get("INDEX app events_what").sql())).contains(new TableId("app", "events"));
        assertThat(SqlNames.table(
                        entries.get("CONSTRAINT app customers customers_pkey").sql()))
                .contains(new TableId("app", "customers"));
        assertThat(SqlNames.commentedConstraint(entries.get("COMMENT app CONSTRAINT orders_audit_fk ON orders")
                        .sql()))
                .contains(new ConstraintRef(new TableId("app", "orders"), "orders_audit_fk"));
        assertThat(SqlNames.eventTriggerFunctionSchema(
                        entries.get("EVENT TRIGGER - sluice_ddl").sql()))
                .contains("sluice");
        assertThat(SqlNames.foreignKey(entries.get("INDEX app events_what").sql()))
                .isEmpty();
    }

    @Test
    void readsQuotedNamesThatLookLikeKeywords() {
        String sql = "ALTER TABLE ONLY \"Sales\".\"REFERENCES\"\n"
                + "    ADD CONSTRAINT \"fk; (x)\" FOREIGN KEY (\"a)\", b) REFERENCES \"Sales\".\"Big.One\"(id)"
                + " ON DELETE CASCADE DEFERRABLE;\n";

        assertThat(SqlNames.foreignKey(sql))
                .contains(
                        new ForeignKey(new TableId("Sales", "REFERENCES"), "fk; (x)", new TableId("Sales", "Big.One")));
        assertThat(PostDataBuilder.notValid(sql)).endsWith("ON DELETE CASCADE DEFERRABLE NOT VALID;\n");
    }

    @Test
    void aScriptWithoutObjectsIsAllPreamble() {
        DumpScript script = DumpScript.parse("--\n-- PostgreSQL database dump\n--\n\nSET lock_timeout = 0;\n");

        assertThat(script.entries()).isEmpty();
        assertThat(script.preamble()).contains("SET lock_timeout = 0;");
    }

    @Test
    void anExactPatternQuotesEveryPart() {
        assertThat(SchemaSelection.exactPattern(new TableId("Odd.Schema", "we*ird \"t?\"")))
                .isEqualTo("\"Odd.Schema\".\"we*ird \"\"t?\"\"\"");
    }
}
