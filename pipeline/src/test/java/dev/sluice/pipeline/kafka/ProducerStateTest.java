package dev.sluice.pipeline.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.core.event.DdlCommand.ColumnRename;
import dev.sluice.core.event.DdlCommand.TableRename;
import dev.sluice.transform.rules.Anonymizer.ColumnRef;
import dev.sluice.transform.rules.RuleNames;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProducerStateTest {

    private static final TableId USERS = new TableId("public", "users");
    private static final TableId CUSTOMERS = new TableId("crm", "Customers, Inc.");

    @Test
    void renamesAndColumnsWithoutValuesSurviveTheMetadata() {
        RuleNames names = new RuleNames();
        names.follow(new ColumnRename(USERS, "name", "full_name"));
        names.follow(new TableRename(USERS, CUSTOMERS));
        names.follow(new ColumnRename(new TableId("public", "orders"), "note", "remark"));
        ProducerState state = new ProducerState(
                Lsn.parse("16/B374D848"),
                "7301:shop",
                Partitioning.TABLE,
                3,
                names.known(),
                Set.of(new ColumnRef(CUSTOMERS, "phone"), new ColumnRef(CUSTOMERS, "ssn")));

        ProducerState read = ProducerState.fromMetadata("t", state.toMetadata()).orElseThrow();

        assertThat(read).isEqualTo(state);
        RuleNames restored = new RuleNames(read.renamed());
        assertThat(restored.table(CUSTOMERS)).isEqualTo(USERS);
        assertThat(restored.column(CUSTOMERS, "full_name")).isEqualTo("name");
        assertThat(state.toMetadata()).as("equal states write equal metadata").isEqualTo(read.toMetadata());
    }

    @Test
    void stateWrittenBeforeRenamesWereKeptReadsAsKnowingNone() {
        String old = "{\"v\":1,\"end_lsn\":\"0/16B3F08\",\"source\":\"7301:shop\",\"partitioning\":\"schema\","
                + "\"partitions\":1}";

        ProducerState read = ProducerState.fromMetadata("t", old).orElseThrow();

        assertThat(read.endLsn()).isEqualTo(Lsn.parse("0/16B3F08"));
        assertThat(read.renamed()).isEqualTo(RuleNames.Known.NONE);
        assertThat(read.withoutValues()).isEmpty();
        assertThat(read.toMetadata()).isEqualTo(old.replace("\"v\":1", "\"v\":2"));
    }

    @Test
    void stateLongerThanTheBrokersKeepIsRefusedNamingTheSetting() {
        Set<ColumnRef> many = new HashSet<>();
        for (int i = 0; i < 400; i++) {
            many.add(new ColumnRef(new TableId("public", "t" + i), "c"));
        }
        ProducerState state =
                new ProducerState(Lsn.parse("0/10"), "7301:shop", Partitioning.SCHEMA, 1, RuleNames.Known.NONE, many);

        assertThat(state.toMetadata("t", 100_000)).hasSizeGreaterThan(ProducerState.DEFAULT_METADATA_MAX);
        assertThatThrownBy(() -> state.toMetadata("t", ProducerState.DEFAULT_METADATA_MAX))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("offset.metadata.max.bytes = 4096")
                .hasMessageContaining("400 column(s) without a rule");
    }
}
