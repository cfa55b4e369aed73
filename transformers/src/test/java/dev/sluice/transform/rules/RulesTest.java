package dev.sluice.transform.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.transform.rules.Rules.ColumnRule;
import dev.sluice.transform.rules.Rules.TableRules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RulesTest {

    /** Modelled on the complete example of pgstream's transformer docs, with its comments. */
    static final String PGSTREAM_EXAMPLE = """
            transformations:
              infer_from_security_labels: false # rules come from this file
              dump_inferred_rules: false
              validation_mode: table_level
              table_transformers:
                - schema: public
                  table: users
                  validation_mode: strict
                  column_transformers:
                    email:
                      name: neosync_email
                      parameters:
                        preserve_length: true
                        preserve_domain: true
                    first_name:
                      name: greenmask_firstname
                      parameters:
                        gender: Male
                    username:
                      name: greenmask_string
                      parameters:
                        generator: random
                        min_length: 5
                        max_length: 15
                        symbols: "abcdefghijklmnopqrstuvwxyz1234567890"
                    id:
                      name: noop
                    created_at:
                      name: ""
                - schema: public
                  table: orders
                  validation_mode: relaxed
                  column_transformers:
                    status:
                      name: greenmask_choice
                      parameters:
                        generator: random
                        choices: ["pending", "shipped", "delivered", "cancelled"]
                    order_date:
                      name: greenmask_date
                      parameters:
                        generator: random
                        min_value: "2020-01-01"
                        max_value: "2025-12-31"
                    name:
                      name: greenmask_firstname
                      dynamic_parameters:
                        gender:
                          column: sex
                    pms_patient_id:
                      name: phone_number
                      allow_uniqueness_loss: true
            """;

    @Test
    void pgstreamRulesFileLoadsUnchanged() {
        Rules rules = Rules.parse("transform.yaml", PGSTREAM_EXAMPLE);

        assertThat(rules.validationMode()).isEqualTo(ValidationMode.TABLE_LEVEL);
        assertThat(rules.onError()).isEqualTo(OnError.FAIL);
        assertThat(rules.tables())
                .extracting(TableRules::table, TableRules::mode, TableRules::line)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(new TableId("public", "users"), ValidationMode.STRICT, 6),
                        org.assertj.core.groups.Tuple.tuple(
                                new TableId("public", "orders"), ValidationMode.RELAXED, 30));
        TableRules users = rules.tables().get(0);
        assertThat(users.columns().keySet()).containsExactly("email", "first_name", "username", "id", "created_at");
        ColumnRule email = users.columns().get("email");
        assertThat(email.line()).isEqualTo(10);
        assertThat(email.steps()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("neosync_email");
            assertThat(s.parameters())
                    .containsExactly(Map.entry("preserve_length", true), Map.entry("preserve_domain", true));
            assertThat(s.domain()).isEqualTo("default");
        });
        assertThat(email.nulls()).isEqualTo(NullPolicy.KEEP);
        assertThat(users.columns().get("username").steps().get(0).parameters())
                .containsEntry("min_length", 5L)
                .containsEntry("symbols", "abcdefghijklmnopqrstuvwxyz1234567890");
        assertThat(users.columns().get("id").isNoop()).isTrue();
        // pgstream: an empty name passes the column through.
        assertThat(users.columns().get("created_at").isNoop()).isTrue();
        TableRules orders = rules.tables().get(1);
        assertThat(orders.columns().get("status").steps().get(0).parameters().get("choices"))
                .isEqualTo(List.of("pending", "shipped", "delivered", "cancelled"));
        assertThat(orders.columns().get("name").steps().get(0).dynamicParameters())
                .containsExactly(Map.entry("gender", "sex"));
        assertThat(orders.columns().get("pms_patient_id").allowUniquenessLoss()).isTrue();
    }

    @Test
    void pgstreamRulesFileCompilesWithItsTransformers() {
        CompiledRules compiled = CompiledRules.compile(
                Rules.parse("transform.yaml", PGSTREAM_EXAMPLE),
                TestTransformers.withPgstreamNames(),
                TestTransformers.KEY,
                null);

        assertThat(compiled.summary().tables()).isEqualTo(2);
        assertThat(compiled.summary().columns()).isEqualTo(9);
        assertThat(compiled.summary().noopColumns()).isEqualTo(2);
        assertThat(compiled.summary().transformers()).containsEntry("greenmask_firstname", 2);
    }

    @Test
    void defaultsFollowPgstreamExceptOnError() {
        Rules rules = Rules.parse("t.yaml", """
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        email: test_hash
                """);

        // pgstream's default mode; but on_error defaults to fail, never to passing raw values on.
        assertThat(rules.validationMode()).isEqualTo(ValidationMode.RELAXED);
        assertThat(rules.onError()).isEqualTo(OnError.FAIL);
        assertThat(rules.tables().get(0).table()).isEqualTo(new TableId("public", "users"));
        assertThat(rules.tables().get(0).columns().get("email").onError()).isEqualTo(OnError.FAIL);
    }

    @Test
    void chainsDomainsAndColumnPolicies() {
        Rules rules = Rules.parse("t.yaml", """
                transformations:
                  validation_mode: strict
                  on_error: null
                  table_transformers:
                    - schema: app
                      table: users
                      column_transformers:
                        phone:
                          - test_digits
                          - name: test_prefix
                            parameters: {prefix: "+1"}
                        ssn:
                          chain:
                            - test_digits
                            - name: test_hash
                              domain: national_id
                            - test_hash
                          domain: people
                          null: transform
                          on_error: fail
                        email:
                          name: test_hash
                          domain: people
                          on_error: pass-through
                        note:
                          name: test_mask
                          null: keep
                """);

        assertThat(rules.onError()).isEqualTo(OnError.NULL);
        Map<String, ColumnRule> columns = rules.tables().get(0).columns();
        ColumnRule phone = columns.get("phone");
        assertThat(phone.steps()).extracting(Rules.Step::name).containsExactly("test_digits", "test_prefix");
        assertThat(phone.steps().get(1).line()).isEqualTo(10);
        assertThat(phone.onError()).isEqualTo(OnError.NULL);
        ColumnRule ssn = columns.get("ssn");
        assertThat(ssn.steps()).extracting(Rules.Step::domain).containsExactly("people", "national_id", "people");
        assertThat(ssn.nulls()).isEqualTo(NullPolicy.TRANSFORM);
        assertThat(ssn.onError()).isEqualTo(OnError.FAIL);
        assertThat(columns.get("email").steps().get(0).domain()).isEqualTo("people");
        assertThat(columns.get("email").onError()).isEqualTo(OnError.PASS_THROUGH);
        assertThat(columns.get("note").nulls()).isEqualTo(NullPolicy.KEEP);
    }

    @Test
    void loadsFromAFileNamedInMessages(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("transform.yaml");
        Files.writeString(
                file, "transformations:\n  table_transformers:\n    - table: t\n      colum_transformers: {}\n");

        assertThatThrownBy(() -> Rules.load(file))
                .isInstanceOf(SluiceException.class)
                .hasMessage(
                        "transform.yaml:4: table public.t: unknown key 'colum_transformers' (known: column_transformers,"
                                + " schema, table, validation_mode; did you mean 'column_transformers'?)");
        assertThatThrownBy(() -> Rules.load(dir.resolve("missing.yaml")))
                .hasMessageContaining("missing.yaml does not exist");
    }

    @Test
    void unknownKeysAreErrorsWithTheirLine() {
        assertThatThrownBy(() -> Rules.parse("t.yaml", """
                transformations:
                  validation_mode: strict
                  table_transformers:
                    - table: users
                      column_transformers:
                        email:
                          name: test_hash
                          paramaters: {a: 1}
                """))
                .hasMessage("t.yaml:8: table public.users, column 'email': unknown key 'paramaters' (known:"
                        + " allow_uniqueness_loss, chain, domain, dynamic_parameters, name, null, on_error,"
                        + " parameters; did you mean 'parameters'?)");
        assertThatThrownBy(() -> Rules.parse("t.yaml", "transformation:\n  table_transformers: []\n"))
                .hasMessageContaining("t.yaml:1: unknown key 'transformation' at the top of the file")
                .hasMessageContaining("did you mean 'transformations'?")
                .hasMessageContaining("t.yaml:1: expected 'transformations:' at the top");
        assertThatThrownBy(() ->
                        Rules.parse("t.yaml", "transformations:\n  validaton_mode: strict\n  table_transformers: []\n"))
                .hasMessageContaining("t.yaml:2: unknown key 'validaton_mode' under 'transformations'")
                .hasMessageContaining("did you mean 'validation_mode'?");
    }

    @Test
    void everyProblemOfTheFileIsReportedAtOnce() {
        assertThatThrownBy(() -> Rules.parse("t.yaml", """
                transformations:
                  validation_mode: strikt
                  on_error: ignore
                  table_transformers:
                    - table: users
                      validation_mode: strict
                      column_transformers:
                        email:
                          name: test_hash
                          null: maybe
                        phone: []
                        age: 42
                    - table: users
                      column_transformers: {}
                """))
                .isInstanceOf(SluiceException.class)
                .hasMessageStartingWith("t.yaml has 7 problems:\n")
                .hasMessageContaining(
                        "t.yaml:2: validation_mode: 'strikt' is not allowed (expected strict, relaxed or table_level)")
                .hasMessageContaining(
                        "t.yaml:3: on_error: 'ignore' is not allowed (expected fail, null or pass-through)")
                .hasMessageContaining("t.yaml:6: table public.users: a table's own validation_mode needs"
                        + " 'validation_mode: table_level'")
                .hasMessageContaining("t.yaml:10: table public.users, column 'email': null: 'maybe' is not allowed"
                        + " (expected keep or transform)")
                .hasMessageContaining("t.yaml:11: table public.users, column 'phone': an empty chain; write noop")
                .hasMessageContaining("t.yaml:12: table public.users, column 'age': expected a transformer")
                .hasMessageContaining("t.yaml:13: table public.users is listed twice (first at line 5)");
    }

    @Test
    void tableLevelNeedsEachTablesMode() {
        assertThatThrownBy(() -> Rules.parse("t.yaml", """
                transformations:
                  validation_mode: table_level
                  table_transformers:
                    - table: users
                      column_transformers: {}
                    - table: orders
                      validation_mode: table_level
                """))
                .hasMessageContaining("t.yaml:4: table public.users: validation_mode is table_level, so each table"
                        + " needs its own validation_mode (strict or relaxed)")
                .hasMessageContaining(
                        "t.yaml:7: validation_mode: 'table_level' is not allowed (expected strict or" + " relaxed)");
    }

    @Test
    void duplicateColumnsAndBadYamlNameTheirLines() {
        assertThatThrownBy(() -> Rules.parse("t.yaml", """
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        email: test_hash
                        email: noop
                """))
                .hasMessage("t.yaml:6: 'email' appears twice in one mapping (first at line 5)");
        assertThatThrownBy(() -> Rules.parse("t.yaml", "transformations:\n  table_transformers: [\n    - a\n"))
                .isInstanceOf(SluiceException.class)
                .hasMessageStartingWith("t.yaml:")
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void unsupportedPgstreamOptionsAreRefusedClearly() {
        assertThatThrownBy(() -> Rules.parse("t.yaml", """
                transformations:
                  infer_from_security_labels: true
                  table_transformers: []
                """))
                .hasMessageContaining("t.yaml:2: infer_from_security_labels: true is not supported");
        assertThatThrownBy(() -> Rules.parse("t.yaml", """
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        name:
                          name: test_name
                          parameters: {gender: x}
                          dynamic_parameters:
                            gender: sex
                """))
                .hasMessageContaining("t.yaml:9: table public.users, column 'name': dynamic parameter 'gender' must be"
                        + " {column: <column of the same row>}");
    }

    @Test
    void emptyRulesNeedTheirTableList() {
        assertThatThrownBy(() -> Rules.parse("t.yaml", "transformations:\n  validation_mode: strict\n"))
                .hasMessageContaining("t.yaml:2: 'transformations' needs 'table_transformers:'");
        assertThat(Rules.parse("t.yaml", "transformations:\n  table_transformers: []\n")
                        .tables())
                .isEmpty();
    }
}
