package dev.sluice.transform.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.transform.rules.SourceSchema.Column;
import dev.sluice.transform.rules.SourceSchema.Table;
import dev.sluice.transform.rules.SourceSchema.UniqueIndex;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CompiledRulesTest {

    private static final TableId USERS = new TableId("public", "users");
    private static final TableId ORDERS = new TableId("public", "orders");
    private static final TableId AUDIT = new TableId("public", "audit");

    /** users(id pk, email unique, name, phone), orders(id pk, user_id, total), audit(id, at). */
    private static final SourceSchema SCHEMA = new SourceSchema(
            Map.of(
                    USERS,
                    new Table(
                            USERS,
                            List.of(
                                    new Column("id", "bigint"),
                                    new Column("email", "text"),
                                    new Column("name", "character varying(80)"),
                                    new Column("phone", "text")),
                            List.of(
                                    new UniqueIndex("users_pkey", true, List.of("id"), false),
                                    new UniqueIndex("users_email_key", false, List.of("email"), false))),
                    ORDERS,
                    new Table(
                            ORDERS,
                            List.of(
                                    new Column("id", "bigint"),
                                    new Column("user_id", "bigint"),
                                    new Column("total", "numeric")),
                            List.of(new UniqueIndex("orders_pkey", true, List.of("id"), false))),
                    AUDIT,
                    new Table(AUDIT, List.of(new Column("id", "integer"), new Column("at", "timestamp")), List.of())),
            Set.of(new TableId("public", "not_replicated")),
            Map.of(new TableId("public", "orders_2024"), ORDERS));

    private static CompiledRules compile(String yaml, SourceSchema schema) {
        return CompiledRules.compile(
                Rules.parse("transform.yaml", yaml), TestTransformers.registry(), TestTransformers.KEY, schema);
    }

    @Test
    void unknownTransformerNamesFileLineTableColumnAndSuggests() {
        assertThatThrownBy(() -> compile("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        email:
                          name: test_hsah
                """, null))
                .isInstanceOf(SluiceException.class)
                .satisfies(e -> assertThat(((SluiceException) e).reason()).isEqualTo(Reason.CONFIG))
                .hasMessageStartingWith("transform.yaml:6: table public.users, column 'email': unknown transformer"
                        + " 'test_hsah' (known: ")
                .hasMessageContaining(" noop, ")
                .hasMessageContaining(" test_digits, test_hash, ")
                .hasMessageEndingWith("; did you mean 'test_hash'?)");
    }

    @Test
    void parameterErrorsNameTheRuleAndEveryOneIsListed() {
        assertThatThrownBy(() -> compile("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        email:
                          name: test_prefix
                        phone:
                          - test_digits
                          - name: test_literal
                            parameters:
                              literal: x
                              litteral: y
                        name:
                          name: noop
                          parameters: {keep: true}
                """, null))
                .hasMessageStartingWith("transform.yaml has 3 problems:")
                .hasMessageContaining("transform.yaml:6: table public.users, column 'email': transformer 'test_prefix'"
                        + " needs parameter 'prefix' (text)")
                .hasMessageContaining("transform.yaml:9: table public.users, column 'phone': transformer"
                        + " 'test_literal' has no parameter litteral (it takes: literal)")
                .hasMessageContaining("transform.yaml:14: table public.users, column 'name': transformer 'noop' has no"
                        + " parameter keep (it takes none)");
    }

    @Test
    void strictModeListsEveryUncoveredColumnInOneError() {
        assertThatThrownBy(() -> compile("""
                transformations:
                  validation_mode: strict
                  table_transformers:
                    - table: users
                      column_transformers:
                        id: noop
                        email: test_hash
                    - table: orders
                      column_transformers:
                        id: noop
                        user_id: noop
                        total: noop
                """, SCHEMA))
                .hasMessage("transform.yaml: validation_mode strict: 4 column(s) of replicated tables have no rule;"
                        + " give each a transformer, or noop to pass it through:\n"
                        + "    public.users: name, phone\n"
                        + "    public.audit (no rules): id, at");
    }

    @Test
    void strictModeRefusesRulesForMissingColumnsAndTables() {
        assertThatThrownBy(() -> compile("""
                transformations:
                  validation_mode: strict
                  table_transformers:
                    - table: users
                      column_transformers:
                        id: noop
                        emial: test_hash
                        email: test_hash
                        name: noop
                        phone: noop
                    - table: user
                      column_transformers: {}
                    - table: orders_2024
                      column_transformers: {}
                """, SCHEMA))
                .hasMessageContaining("transform.yaml:7: table public.users, column 'emial': no such column on the"
                        + " source (it has id, email, name, phone; did you mean 'email'?)")
                .hasMessageContaining("transform.yaml:11: table public.user: does not exist on the source; did you mean"
                        + " 'public.users'?")
                .hasMessageContaining("transform.yaml:13: table public.orders_2024: is a partition of public.orders;"
                        + " rules name the partitioned table")
                .hasMessageContaining("public.orders (no rules): id, user_id, total");
    }

    @Test
    void relaxedModeWarnsOnceAboutWhatPassesThrough() {
        CompiledRules compiled = compile("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        email: test_hash
                        emial: test_hash
                    - table: ghost
                      column_transformers: {}
                    - table: not_replicated
                      column_transformers: {}
                """, SCHEMA);

        assertThat(compiled.warnings())
                .containsExactly(
                        "transform.yaml:6: table public.users, column 'emial': no such column on the source (it has id,"
                                + " email, name, phone; did you mean 'email'?); the rule is unused",
                        "transform.yaml:7: table public.ghost: does not exist on the source; its rules are unused",
                        "transform.yaml:9: table public.not_replicated: is not replicated (source.tables leaves it"
                                + " out), so its rules are unused",
                        "transform.yaml: columns without a rule pass through unchanged (relaxed): public.users: id,"
                                + " name, phone",
                        "transform.yaml: tables without rules pass through unchanged (relaxed): public.audit,"
                                + " public.orders");
    }

    @Test
    void tableLevelChecksStrictTablesOnly() {
        String yaml = """
                transformations:
                  validation_mode: table_level
                  table_transformers:
                    - table: users
                      validation_mode: strict
                      column_transformers:
                        id: noop
                        email: test_hash
                    - table: orders
                      validation_mode: relaxed
                      column_transformers:
                        total: test_digits
                """;
        assertThatThrownBy(() -> compile(yaml, SCHEMA))
                .hasMessageContaining("2 column(s) of replicated tables have no rule")
                .hasMessageContaining("public.users: name, phone")
                .satisfies(
                        e -> assertThat(e.getMessage()).doesNotContain("orders").doesNotContain("audit"));
    }

    @Test
    void lossyTransformerOnUniqueColumnIsRefusedNamingIndexColumnAndTransformer() {
        assertThatThrownBy(() -> compile("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        email:
                          - test_digits
                          - test_mask
                """, SCHEMA))
                .hasMessageStartingWith("transform.yaml:5: table public.users, column 'email': unique index"
                        + " users_email_key (email) needs distinct values, but transformer 'test_mask' may map"
                        + " distinct values alike, so the target would reject duplicates. Use a collision-free"
                        + " transformer")
                // The suggestions are the registry's collision-free transformers, whatever the library has.
                .hasMessageEndingWith(", or set allow_uniqueness_loss: true if the target does not enforce the index");
    }

    @Test
    void uniquenessAllowedLossAndPracticalUniquenessAreNotes() {
        CompiledRules compiled = compile("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        id:
                          name: test_upper
                          allow_uniqueness_loss: true
                        email: test_hash
                    - table: orders
                      column_transformers:
                        id: test_digits
                """, SCHEMA);

        assertThat(compiled.notes())
                .containsExactly(
                        "transform.yaml:5: table public.users, column 'id': primary key users_pkey (id) is covered by"
                                + " transformer 'test_upper', which may map distinct values alike; allowed by"
                                + " allow_uniqueness_loss",
                        "transform.yaml:8: table public.users, column 'email': unique index users_email_key (email):"
                                + " transformer 'test_hash' keeps values distinct in practice (a keyed hash over a large"
                                + " space), not by construction");
    }

    @Test
    void expressionIndexesAreReportedAsUnchecked() {
        SourceSchema schema = SourceSchema.of(List.of(new Table(
                USERS,
                List.of(new Column("email", "text")),
                List.of(new UniqueIndex("users_lower_email", false, List.of(), true)))));

        CompiledRules compiled = compile("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        email: test_hash
                """, schema);

        assertThat(compiled.warnings())
                .containsExactly("transform.yaml: table public.users: unique index users_lower_email (<expression>) has"
                        + " expression elements, which the check cannot follow to columns; verify by hand that the"
                        + " transformed columns keep it unique");
    }

    @Test
    void transformersLearnTheColumnTypeFromTheSchema() {
        CompiledRules compiled = compile("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        name: test_type
                """, SCHEMA);

        ColumnChain chain = compiled.table(USERS).orElseThrow().columns().get("name");
        assertThat(chain.steps[0].transformer(null, null).apply("x")).isEqualTo("character varying(80):x");
    }

    @Test
    void summaryCountsTablesColumnsAndTransformers() {
        CompiledRules compiled = compile("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        id: noop
                        email: test_hash
                        phone: [test_digits, test_hash]
                """, SCHEMA);

        assertThat(compiled.summary().describe())
                .isEqualTo("1 table(s) with rules, 3 column rule(s) (2 transformed, 1 noop); source: 3 replicated"
                        + " table(s), 3 of 9 column(s) covered\n"
                        + "transformers used: noop x1, test_digits x1, test_hash x2");
        assertThat(compiled.keyId()).isEqualTo(TestTransformers.KEY.id());
    }

    @Test
    void passThroughOnErrorIsAcceptedButWarned() {
        CompiledRules compiled = compile("""
                transformations:
                  on_error: pass-through
                  table_transformers:
                    - table: users
                      column_transformers:
                        id: noop
                        email: test_hash
                """, null);

        assertThat(compiled.warnings())
                .containsExactly("transform.yaml: on_error: pass-through writes the ORIGINAL value to the target when a"
                        + " transformer fails, for public.users.email; fail (the default) or null keep raw values out");
    }

    @Test
    void dynamicParametersMustReadExistingColumns() {
        assertThatThrownBy(() -> compile("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        name:
                          name: test_name
                          dynamic_parameters:
                            gender: {column: sex}
                """, SCHEMA))
                .hasMessage("transform.yaml:5: table public.users, column 'name': a dynamic parameter reads column"
                        + " 'sex', which the table does not have");
    }

    @Test
    void registryRefusesDuplicateNames() {
        assertThatThrownBy(() -> TransformerRegistry.builtins()
                        .with(List.of(
                                TestTransformers.all().get(0),
                                TestTransformers.all().get(0))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("two transformers are named 'test_hash'");
    }
}
