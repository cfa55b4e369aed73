package dev.sluice.transform.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.DdlCommand.ColumnRename;
import dev.sluice.core.event.DdlCommand.TableRename;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import dev.sluice.transform.Keyring;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AnonymizerTest {

    private static final TableId USERS = new TableId("public", "users");
    private static final TableId ORDERS = new TableId("public", "orders");

    private static final String RULES = """
            transformations:
              validation_mode: strict
              table_transformers:
                - table: users
                  column_transformers:
                    email:
                      name: test_hash
                      domain: people
                    name: test_upper
                    bio: test_mask
                    age: test_digits
                    nick:
                      name: test_literal
                      parameters: {literal: anonymous}
                      null: transform
                    score:
                      name: test_parse
                      on_error: "null"
                    code:
                      name: test_digits
                      on_error: pass-through
                    created: noop
                - table: orders
                  column_transformers:
                    id: noop
                    user_email:
                      name: test_hash
                      domain: people
                    note:
                      name: test_hash
            """;

    /** users(email key, name, bio, age, nick, score, code, created). */
    private static final Relation USERS_REL = relation(
            USERS, ReplicaIdentity.DEFAULT, "email*", "name", "bio", "age", "nick", "score", "code", "created");

    private static final Relation ORDERS_REL = relation(ORDERS, ReplicaIdentity.DEFAULT, "id*", "user_email", "note");

    private final Anonymizer.Stats stats = new Anonymizer.Stats();
    private final Anonymizer anonymizer = anonymizer(RULES, TestTransformers.KEY, null);

    private Anonymizer anonymizer(String yaml, Keyring key, SourceSchema schema) {
        return CompiledRules.compile(Rules.parse("transform.yaml", yaml), TestTransformers.registry(), key, schema)
                .anonymizer(stats);
    }

    /** A relation; a name ending in * is a key column. */
    static Relation relation(TableId table, ReplicaIdentity identity, String... columns) {
        List<Relation.Column> cols = new ArrayList<>();
        for (String c : columns) {
            boolean key = c.endsWith("*") || identity == ReplicaIdentity.FULL;
            cols.add(new Relation.Column(c.replace("*", ""), 25, -1, key));
        }
        return new Relation(table.hashCode(), table, identity, cols);
    }

    static Tuple row(String... values) {
        return Tuple.wrap(values.clone());
    }

    private static List<String> values(Tuple t) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            out.add(t.isUnchangedToast(i) ? "<toast>" : t.get(i));
        }
        return out;
    }

    private Tuple insert(Relation relation, String... values) {
        RowChange out = anonymizer.process(new Insert(relation, row(values)));
        return ((Insert) out).after();
    }

    private static String hash(Keyring key, String domain, String value) {
        return "h" + java.util.HexFormat.of().formatHex(key.domain(domain).mac("test_hash", value), 0, 8);
    }

    @Test
    void insertRunsEachColumnsChainAndLeavesNoopColumnsAlone() {
        Tuple after = insert(USERS_REL, "ann@x.io", "Ann", "likes cats", "42", "annie", "7", "123", "2024-01-01");

        assertThat(values(after))
                .containsExactly(
                        hash(TestTransformers.KEY, "people", "ann@x.io"),
                        "ANN",
                        "***",
                        "42",
                        "anonymous",
                        "8",
                        "123",
                        "2024-01-01");
        // noop is not counted.
        assertThat(stats.valuesTransformed()).isEqualTo(7);
    }

    @Test
    void onlyTablesWithATransformedOrNulledColumnAreSaidToChange() {
        assertThat(anonymizer.changes(USERS_REL)).isTrue();
        Anonymizer noops = anonymizer("""
                transformations:
                  validation_mode: relaxed
                  table_transformers:
                    - table: orders
                      column_transformers:
                        id: noop
                        user_email: noop
                        note: noop
                """, TestTransformers.KEY, null);
        assertThat(noops.changes(ORDERS_REL)).as("every column noop").isFalse();
        assertThat(noops.changes(USERS_REL))
                .as("not listed, relaxed: passes through")
                .isFalse();
        Anonymizer strict = anonymizer("""
                transformations:
                  validation_mode: strict
                  table_transformers:
                    - table: orders
                      column_transformers:
                        id: noop
                        user_email: noop
                """, TestTransformers.KEY, null);
        assertThat(strict.changes(ORDERS_REL))
                .as("strict: a column without a rule is written as NULL")
                .isTrue();
    }

    @Test
    void sameDomainMapsAlikeAcrossTablesAndOtherDomainsDiffer() {
        Tuple user = insert(USERS_REL, "ann@x.io", null, null, null, null, null, null, null);
        Tuple order = insert(ORDERS_REL, "1", "ann@x.io", "ann@x.io");

        assertThat(order.get(1)).isEqualTo(user.get(0));
        assertThat(order.get(2)).isNotEqualTo(user.get(0)).isEqualTo(hash(TestTransformers.KEY, "default", "ann@x.io"));
    }

    @Test
    void anotherKeyGivesOtherValues() {
        Anonymizer other = anonymizer(RULES, TestTransformers.OTHER_KEY, null);
        Tuple mine = insert(ORDERS_REL, "1", "ann@x.io", null);
        Tuple theirs = ((Insert) other.process(new Insert(ORDERS_REL, row("1", "ann@x.io", null)))).after();

        assertThat(theirs.get(1)).isNotEqualTo(mine.get(1));
    }

    @Test
    void updateTransformsOldKeyAsTheInsertDidSoTheTargetRowIsFound() {
        Tuple inserted = insert(USERS_REL, "ann@x.io", "Ann", null, null, null, null, null, null);
        // Key changed: pgoutput sends the old key, with NULL in the other columns.
        Tuple oldKey = row("ann@x.io", null, null, null, null, null, null, null);
        Update update = (Update) anonymizer.process(
                new Update(USERS_REL, oldKey, row("bob@x.io", "Bob", null, null, null, null, null, null)));

        assertThat(update.before().get(0)).isEqualTo(inserted.get(0));
        // Only key columns of a key-only image are transformed: 'nick' has null: transform but stays NULL here.
        assertThat(values(update.before()).subList(1, 8)).containsOnlyNulls();
        assertThat(update.after().get(0)).isEqualTo(hash(TestTransformers.KEY, "people", "bob@x.io"));
        assertThat(update.after().get(1)).isEqualTo("BOB");
    }

    @Test
    void updateWithoutOldImageTransformsTheNewRow() {
        Update update = (Update) anonymizer.process(
                new Update(USERS_REL, null, row("ann@x.io", "Ann", null, null, null, null, null, null)));

        assertThat(update.before()).isNull();
        assertThat(update.after().get(0)).isEqualTo(hash(TestTransformers.KEY, "people", "ann@x.io"));
    }

    @Test
    void deleteTransformsTheOldKey() {
        Tuple inserted = insert(ORDERS_REL, "1", "ann@x.io", "n");
        Relation byEmail = relation(ORDERS, ReplicaIdentity.INDEX, "id", "user_email*", "note");

        Delete delete = (Delete) anonymizer.process(new Delete(byEmail, row(null, "ann@x.io", null)));

        assertThat(values(delete.before())).containsExactly(null, inserted.get(1), null);
    }

    @Test
    void fullOldImagesAreTransformedInEveryColumn() {
        Relation full = relation(ORDERS, ReplicaIdentity.FULL, "id", "user_email", "note");
        Tuple inserted = ((Insert) anonymizer.process(new Insert(full, row("1", "ann@x.io", "n")))).after();

        Update update =
                (Update) anonymizer.process(new Update(full, row("1", "ann@x.io", "n"), row("1", "ann@x.io", "m")));
        Delete delete = (Delete) anonymizer.process(new Delete(full, row("1", "ann@x.io", "m")));

        assertThat(update.before()).isEqualTo(inserted);
        assertThat(delete.before()).isEqualTo(update.after());
        assertThat(values(delete.before())).doesNotContain("ann@x.io", "m");
    }

    @Test
    void unchangedToastValuesStayTheMarker() {
        String[] values = {"ann@x.io", "Ann", Tuple.unchangedToastMarker(), null, null, null, null, null};
        Update update = (Update) anonymizer.process(new Update(USERS_REL, null, Tuple.wrap(values)));

        assertThat(update.after().isUnchangedToast(2)).isTrue();
        assertThat(update.after().get(1)).isEqualTo("ANN");
    }

    @Test
    void nullStaysNullUnlessTheColumnTransformsIt() {
        Tuple after = insert(USERS_REL, "ann@x.io", null, null, null, null, null, null, null);

        assertThat(after.isNull(1)).isTrue();
        assertThat(after.isNull(2)).isTrue();
        // nick: null: transform.
        assertThat(after.get(4)).isEqualTo("anonymous");
    }

    @Test
    void failingTransformerStopsWithTableColumnAndTransformerButNeverTheValue() {
        assertThatThrownBy(() -> insert(USERS_REL, "ann@x.io", null, null, "forty-two", null, null, null, null))
                .isInstanceOf(SluiceException.class)
                .satisfies(e -> assertThat(((SluiceException) e).reason()).isEqualTo(Reason.TRANSFORM))
                .hasMessage("Cannot transform table public.users, column 'age' with transformer 'test_digits': expected"
                        + " digits only. The value is not shown, as it may be personal data. Fix the rule"
                        + " (transform.yaml:11), or set on_error: null on the column to write NULL for such values.")
                .hasNoCause();
    }

    @Test
    void messagesOfUnexpectedExceptionsAreWithheldSinceTheyMayQuoteTheValue() {
        Anonymizer failing = anonymizer("""
                transformations:
                  table_transformers:
                    - table: orders
                      column_transformers:
                        note: [test_hash, test_parse]
                """, TestTransformers.KEY, null);

        assertThatThrownBy(() -> failing.process(new Insert(ORDERS_REL, row("1", "x", "secret-value"))))
                .isInstanceOf(SluiceException.class)
                .hasMessageStartingWith("Cannot transform table public.orders, column 'note' with transformer"
                        + " 'test_parse' (step 2 of 2): unexpected NumberFormatException (its message is withheld")
                .satisfies(e -> assertThat(e.getMessage())
                        .doesNotContain("secret")
                        .doesNotContain(hash(TestTransformers.KEY, "default", "secret-value")))
                .hasNoCause();
    }

    @Test
    void onErrorNullWritesNullAndPassThroughKeepsTheValueBothCounted() {
        Tuple after = insert(USERS_REL, "ann@x.io", null, null, null, null, "not a number", "12a", null);

        assertThat(after.isNull(5)).isTrue();
        assertThat(after.get(6)).isEqualTo("12a");
        assertThat(stats.errorsNulled()).isEqualTo(1);
        assertThat(stats.errorsPassedThrough()).isEqualTo(1);
    }

    @Test
    void strictModeWritesColumnsWithoutRuleAsNull() {
        // 'phone' appeared by DDL after start-up; 'audit' has no rules at all.
        Relation widened = relation(ORDERS, ReplicaIdentity.DEFAULT, "id*", "user_email", "note", "phone");
        Tuple after = ((Insert) anonymizer.process(new Insert(widened, row("1", null, null, "555-1234")))).after();
        Relation audit = relation(new TableId("public", "audit"), ReplicaIdentity.DEFAULT, "id*", "what");
        Tuple auditRow = ((Insert) anonymizer.process(new Insert(audit, row("1", "login by ann")))).after();

        assertThat(after.isNull(3)).isTrue();
        assertThat(values(auditRow)).containsOnlyNulls();
        assertThat(stats.uncoveredNulled()).isEqualTo(3);
    }

    @Test
    void columnsWithoutRuleStayReportedUnderTheirNewNamesAndAcrossAMoveToAnotherSchema() {
        TableId archived = new TableId("archive", "orders");
        anonymizer.withoutValues(Set.of(new Anonymizer.ColumnRef(ORDERS, "fax")));
        Relation widened = relation(ORDERS, ReplicaIdentity.DEFAULT, "id*", "user_email", "note", "phone");
        anonymizer.process(new Insert(widened, row("1", null, null, "555-1234")));

        anonymizer.follow(new ColumnRename(ORDERS, "phone", "mobile"));
        anonymizer.follow(new TableRename(ORDERS, archived));

        assertThat(stats.uncoveredColumns())
                .containsExactlyInAnyOrder(
                        new Anonymizer.ColumnRef(archived, "mobile"), new Anonymizer.ColumnRef(archived, "fax"));
        Relation moved = relation(archived, ReplicaIdentity.DEFAULT, "id*", "user_email", "note", "mobile");
        Tuple after = ((Insert) anonymizer.process(new Insert(moved, row("2", "ann@x.io", "hi", "555-9999")))).after();
        assertThat(after.get(1))
                .as("the moved table keeps its rules")
                .isEqualTo(hash(TestTransformers.KEY, "people", "ann@x.io"));
        assertThat(after.get(2)).isNotNull().isNotEqualTo("hi");
        assertThat(after.isNull(3))
                .as("the renamed column stays without values")
                .isTrue();
    }

    @Test
    void anAnonymizerToldOfEarlierRenamesAppliesTheRulesOfTheOldNames() {
        RuleNames earlier = new RuleNames();
        earlier.follow(new ColumnRename(USERS, "name", "full_name"));
        earlier.follow(new TableRename(USERS, new TableId("crm", "people")));
        Anonymizer restarted = CompiledRules.compile(
                        Rules.parse("transform.yaml", RULES), TestTransformers.registry(), TestTransformers.KEY, null)
                .anonymizer(stats, earlier.known());
        Relation people = relation(new TableId("crm", "people"), ReplicaIdentity.DEFAULT, "email*", "full_name");

        Tuple after = ((Insert) restarted.process(new Insert(people, row("ann@x.io", "Ann")))).after();

        assertThat(values(after)).containsExactly(hash(TestTransformers.KEY, "people", "ann@x.io"), "ANN");
    }

    @Test
    void relaxedModePassesUnlistedTablesAndColumnsThroughUntouched() {
        Anonymizer relaxed = anonymizer("""
                transformations:
                  table_transformers:
                    - table: orders
                      column_transformers:
                        note: test_mask
                """, TestTransformers.KEY, null);
        Relation audit = relation(new TableId("public", "audit"), ReplicaIdentity.DEFAULT, "id*", "what");
        Insert auditInsert = new Insert(audit, row("1", "login"));
        Insert orderInsert = new Insert(ORDERS_REL, row("1", "ann@x.io", "n"));

        assertThat(relaxed.process(auditInsert)).isSameAs(auditInsert);
        assertThat(values(((Insert) relaxed.process(orderInsert)).after())).containsExactly("1", "ann@x.io", "***");
    }

    @Test
    void partitionsFollowTheRulesOfTheirPartitionedTable() {
        TableId partition = new TableId("public", "orders_2024");
        SourceSchema schema = new SourceSchema(Map.of(), Set.of(), Map.of(partition, ORDERS));
        Anonymizer withPartitions = anonymizer("""
                transformations:
                  table_transformers:
                    - table: orders
                      column_transformers:
                        note: test_mask
                """, TestTransformers.KEY, schema);
        // A partition's columns may be in another order than its root's.
        Relation leaf = relation(partition, ReplicaIdentity.DEFAULT, "note", "id*", "user_email");

        Tuple after = ((Insert) withPartitions.process(new Insert(leaf, row("secret", "1", "a")))).after();

        assertThat(values(after)).containsExactly("***", "1", "a");
    }

    @Test
    void dynamicParametersComeFromAnotherColumnOfTheRow() {
        Anonymizer dynamic = anonymizer("""
                transformations:
                  table_transformers:
                    - table: people
                      column_transformers:
                        name:
                          name: test_name
                          dynamic_parameters:
                            gender: {column: sex}
                """, TestTransformers.KEY, null);
        Relation people = relation(new TableId("public", "people"), ReplicaIdentity.DEFAULT, "id*", "sex", "name");

        Tuple f = ((Insert) dynamic.process(new Insert(people, row("1", "F", "Ann")))).after();
        Tuple m = ((Insert) dynamic.process(new Insert(people, row("2", "M", "Ann")))).after();
        Tuple unknown = ((Insert) dynamic.process(new Insert(people, row("3", null, "Ann")))).after();

        assertThat(f.get(2)).startsWith("F-");
        assertThat(m.get(2)).startsWith("M-").endsWith(f.get(2).substring(2));
        assertThat(unknown.get(2)).startsWith("any-");
        assertThat(f.get(1)).isEqualTo("F");
    }

    @Test
    void keyColumnWhoseParametersComeFromNonKeyColumnsIsRefused() {
        Anonymizer dynamic = anonymizer("""
                transformations:
                  table_transformers:
                    - table: people
                      column_transformers:
                        name:
                          name: test_name
                          dynamic_parameters:
                            gender: {column: sex}
                """, TestTransformers.KEY, null);
        Relation people = relation(new TableId("public", "people"), ReplicaIdentity.DEFAULT, "name*", "sex");

        assertThatThrownBy(() -> dynamic.process(new Insert(people, row("Ann", "F"))))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("transform.yaml:5: table public.people, column 'name': the column identifies"
                        + " rows (replica identity), and transformer 'test_name' takes parameter 'gender' from column"
                        + " 'sex', which the old keys of updates and deletes do not carry");
    }

    @Test
    void aChangeNothingTouchesIsPassedOnAsIs() {
        Insert insert = new Insert(ORDERS_REL, row("1", null, null));

        assertThat(anonymizer.process(insert)).isSameAs(insert);
    }

    private static final String USED_RULES = """
            transformations:
              validation_mode: strict
              table_transformers:
                - table: people
                  column_transformers:
                    id: noop
                    sex: noop
                    name:
                      name: test_name
                      dynamic_parameters:
                        gender: {column: sex}
                    email: test_hash
                    created: noop
                - table: plain
                  column_transformers: {id: noop, v: noop}
            """;

    /** people(id key, sex, name, email, extra: no rule, created). */
    private static final Relation PEOPLE_REL = relation(
            new TableId("public", "people"),
            ReplicaIdentity.DEFAULT,
            "id*",
            "sex",
            "name",
            "email",
            "extra",
            "created");

    @Test
    void columnsUsedAreTheTransformedOnesTheColumnsTheirParametersComeFromAndThoseStrictModeNulls() {
        Anonymizer used = anonymizer(USED_RULES, TestTransformers.KEY, null);

        BitSet expected = new BitSet();
        expected.set(1); // sex: name's dynamic parameter
        expected.set(2); // name
        expected.set(3); // email
        expected.set(4); // extra: no rule under strict mode
        assertThat(used.columnsUsed(PEOPLE_REL)).isEqualTo(expected);
        assertThat(used.columnsUsed(relation(new TableId("public", "plain"), ReplicaIdentity.DEFAULT, "id*", "v")))
                .as("a table that passes unchanged")
                .isEqualTo(new BitSet());
    }

    @Test
    void columnsNotUsedAreNeitherReadNorChanged() {
        Anonymizer used = anonymizer(USED_RULES, TestTransformers.KEY, null);
        BitSet columns = used.columnsUsed(PEOPLE_REL);
        String[][] rows = {
            {"1", "F", "Ann", "ann@x.io", "raw", "2024-01-01"},
            {"2", "M", "Bob", null, null, null},
            {"3", null, null, "", "", ""},
            {"4", "F", "", "b\\o\tb", "\u00e9", "x"},
        };
        for (String[] values : rows) {
            Tuple full = ((Insert) used.process(new Insert(PEOPLE_REL, row(values)))).after();
            // As the snapshot hands a row over: the columns not used as placeholders never decoded.
            String[] partial = values.clone();
            String placeholder = new String("not decoded");
            for (int i = columns.nextClearBit(0); i < partial.length; i = columns.nextClearBit(i + 1)) {
                partial[i] = placeholder;
            }
            Tuple spliced = ((Insert) used.process(new Insert(PEOPLE_REL, Tuple.wrap(partial)))).after();
            for (int i = 0; i < values.length; i++) {
                if (columns.get(i)) {
                    assertThat(spliced.get(i)).as("column %d", i).isEqualTo(full.get(i));
                } else {
                    assertThat(spliced.get(i)).as("column %d", i).isSameAs(placeholder);
                }
            }
        }
    }
}
