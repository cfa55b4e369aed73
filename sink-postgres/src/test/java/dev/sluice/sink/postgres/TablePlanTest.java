package dev.sluice.sink.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.Column;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TablePlanTest {

    private static final TableId USERS = new TableId("public", "users");

    private static TargetTable target(List<String> pk, String... columns) {
        Map<String, TargetTable.Column> map = new LinkedHashMap<>();
        for (String c : columns) {
            map.put(c, new TargetTable.Column(c, "text", false, false));
        }
        return new TargetTable(USERS, map, pk);
    }

    private static Relation relation(ReplicaIdentity identity, boolean idIsKey) {
        return new Relation(
                1,
                USERS,
                identity,
                List.of(
                        new Column("id", 23, -1, idIsKey),
                        new Column("name", 25, -1, identity == ReplicaIdentity.FULL),
                        new Column("bio", 25, -1, identity == ReplicaIdentity.FULL)));
    }

    @Test
    void updateSkipsUnchangedToastColumnsAndAddressesRowByKey() {
        TablePlan plan =
                new TablePlan(relation(ReplicaIdentity.DEFAULT, true), target(List.of("id"), "id", "name", "bio"));
        Tuple after = Tuple.wrap(new String[] {"1", "Ada", Tuple.unchangedToastMarker()});
        assertThat(plan.sql(plan.updateShape(null, after)))
                .isEqualTo("UPDATE \"public\".\"users\" SET \"id\" = ?, \"name\" = ? WHERE \"id\" = ?");
        assertThat(plan.identity(null, after)).isSameAs(after);
    }

    @Test
    void fullIdentityUsesTargetPrimaryKeyWhenThereIsOne() {
        TablePlan plan =
                new TablePlan(relation(ReplicaIdentity.FULL, true), target(List.of("id"), "id", "name", "bio"));
        Tuple before = Tuple.wrap(new String[] {"1", "Ada", "x"});
        assertThat(plan.sql(plan.deleteShape(before))).isEqualTo("DELETE FROM \"public\".\"users\" WHERE \"id\" = ?");
    }

    @Test
    void fullIdentityWithoutKeyTouchesOneRowMatchingEveryOldValue() {
        TablePlan plan = new TablePlan(relation(ReplicaIdentity.FULL, true), target(List.of(), "id", "name", "bio"));
        Tuple before = Tuple.wrap(new String[] {"1", null, "x"});
        assertThat(plan.sql(plan.deleteShape(before)))
                .isEqualTo(
                        "DELETE FROM \"public\".\"users\" WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM \"public\".\"users\" WHERE"
                                + " \"id\"::text IS NOT DISTINCT FROM ? AND \"name\"::text IS NOT DISTINCT FROM ? AND"
                                + " \"bio\"::text IS NOT DISTINCT FROM ? LIMIT 1)");
    }

    @Test
    void sourceColumnMissingOnTargetIsNamed() {
        assertThatThrownBy(() ->
                        new TablePlan(relation(ReplicaIdentity.DEFAULT, true), target(List.of("id"), "id", "name")))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("Column 'bio' of public.users exists on the source but not on the target");
    }
}
