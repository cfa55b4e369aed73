package dev.sluice.sink.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.Column;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConflatedTableTest {

    private static final Relation USERS = new Relation(
            1,
            new TableId("public", "users"),
            ReplicaIdentity.DEFAULT,
            List.of(
                    new Column("id", 23, -1, true),
                    new Column("name", 25, -1, false),
                    new Column("bio", 25, -1, false)));

    private final TablePlan plan = new TablePlan(USERS, target());
    private final ConflatedTable table = new ConflatedTable(plan);

    private static TargetTable target() {
        Map<String, TargetTable.Column> columns = new LinkedHashMap<>();
        for (String c : List.of("id", "name", "bio")) {
            columns.put(c, new TargetTable.Column(c, c.equals("id") ? "integer" : "text", false, false));
        }
        return new TargetTable(USERS.table(), columns, List.of("id"));
    }

    private static Tuple row(String... values) {
        return Tuple.wrap(values);
    }

    private static final String UNCHANGED = Tuple.unchangedToastMarker();

    @Test
    void insertThenUpdatesWriteOneRowWithFinalValues() {
        assertThat(table.add(new Insert(USERS, row("1", "ada", "long bio")))).isTrue();
        assertThat(table.add(new Update(USERS, null, row("1", "ada l", UNCHANGED))))
                .isTrue();
        assertThat(table.add(new Update(USERS, null, row("1", "ada lovelace", UNCHANGED))))
                .isTrue();
        assertThat(table.imagesToWrite()).containsExactly(row("1", "ada lovelace", "long bio"));
        assertThat(table.keysToDelete()).isEmpty();
        assertThat(table.updatesByShape()).isEmpty();
    }

    @Test
    void insertThenDeleteWritesNothing() {
        table.add(new Insert(USERS, row("1", "a", "b")));
        table.add(new Delete(USERS, row("1", null, null)));
        assertThat(table.isEmpty()).isTrue();
    }

    @Test
    void deleteThenInsertReplacesTheRow() {
        table.add(new Delete(USERS, row("7", null, null)));
        table.add(new Insert(USERS, row("7", "new", "x")));
        assertThat(table.keysToDelete()).containsExactly(row("7", null, null));
        assertThat(table.imagesToWrite()).containsExactly(row("7", "new", "x"));
    }

    @Test
    void updatesOfExistingRowsGroupByChangedColumns() {
        table.add(new Update(USERS, null, row("1", "a", UNCHANGED)));
        table.add(new Update(USERS, null, row("2", "b", "bio")));
        table.add(new Update(USERS, null, row("3", "c", UNCHANGED)));
        Map<BitSet, List<Tuple>> shapes = table.updatesByShape();
        assertThat(shapes).hasSize(2);
        assertThat(shapes.get(bits(0, 1))).containsExactly(row("1", "a", UNCHANGED), row("3", "c", UNCHANGED));
        assertThat(shapes.get(bits(0, 1, 2))).containsExactly(row("2", "b", "bio"));
    }

    @Test
    void keyChangeMovesTheRow() {
        table.add(new Update(USERS, row("1", null, null), row("100", "moved", "bio")));
        assertThat(table.keysToDelete()).containsExactly(row("1", null, null));
        assertThat(table.imagesToWrite()).containsExactly(row("100", "moved", "bio"));
    }

    @Test
    void keyChangeOfRowInsertedInTheSameUnitOnlyWritesTheNewKey() {
        table.add(new Insert(USERS, row("1", "a", "bio")));
        table.add(new Update(USERS, row("1", null, null), row("2", "a", UNCHANGED)));
        assertThat(table.keysToDelete()).isEmpty();
        assertThat(table.imagesToWrite()).containsExactly(row("2", "a", "bio"));
    }

    @Test
    void keyTooLongToResendIsTakenFromTheOldKeyImage() {
        table.add(new Update(USERS, row("1", null, null), row(UNCHANGED, "renamed", UNCHANGED)));
        assertThat(table.updatesByShape().values()).containsExactly(List.of(row("1", "renamed", UNCHANGED)));
    }

    @Test
    void refusesWhatItCannotFold() {
        // A key change without the unsent TOASTed value: the new row's value is unknown here.
        assertThat(table.add(new Update(USERS, row("1", null, null), row("2", "a", UNCHANGED))))
                .isFalse();
        assertThat(table.isEmpty()).isTrue();
        // A second insert of the same key is not a consistent stream; writing it in order reports it.
        table.add(new Insert(USERS, row("5", "a", "b")));
        assertThat(table.add(new Insert(USERS, row("5", "a", "b")))).isFalse();
        table.add(new Delete(USERS, row("6", null, null)));
        assertThat(table.add(new Delete(USERS, row("6", null, null)))).isFalse();
    }

    @Test
    void onlyTablesKeyedLikeTheTargetAreFolded() {
        assertThat(plan.conflatable()).isTrue();
        TargetTable noKey = new TargetTable(USERS.table(), target().columns(), List.of());
        assertThat(new TablePlan(USERS, noKey).conflatable()).isFalse();
        TargetTable otherKey = new TargetTable(USERS.table(), target().columns(), List.of("id", "name"));
        assertThat(new TablePlan(USERS, otherKey).conflatable()).isFalse();
    }

    private static BitSet bits(int... indexes) {
        BitSet b = new BitSet();
        for (int i : indexes) {
            b.set(i);
        }
        return b;
    }
}
