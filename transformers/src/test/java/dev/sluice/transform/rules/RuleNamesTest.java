package dev.sluice.transform.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.core.event.DdlCommand.ColumnRename;
import dev.sluice.core.event.DdlCommand.TableRename;
import org.junit.jupiter.api.Test;

class RuleNamesTest {

    private static final TableId USERS = new TableId("public", "users");
    private static final TableId PEOPLE = new TableId("public", "people");
    private static final TableId CUSTOMERS = new TableId("public", "customers");

    @Test
    void chainsOfRenamesKeepTheFirstName() {
        RuleNames names = new RuleNames();
        names.follow(new ColumnRename(USERS, "name", "full_name"));
        names.follow(new TableRename(USERS, PEOPLE));
        names.follow(new ColumnRename(PEOPLE, "full_name", "display_name"));
        names.follow(new TableRename(PEOPLE, CUSTOMERS));

        assertThat(names.table(CUSTOMERS)).isEqualTo(USERS);
        assertThat(names.column(CUSTOMERS, "display_name")).isEqualTo("name");
        assertThat(names.column(CUSTOMERS, "email"))
                .as("a column never renamed")
                .isEqualTo("email");
        assertThat(names.table(USERS))
                .as("a new table under the old name has rules of its own")
                .isEqualTo(USERS);
        assertThat(names.column(USERS, "display_name")).isEqualTo("display_name");
    }

    @Test
    void renamingBackForgetsTheRename() {
        RuleNames names = new RuleNames();
        names.follow(new ColumnRename(USERS, "name", "tmp"));
        names.follow(new ColumnRename(USERS, "tmp", "name"));
        names.follow(new TableRename(USERS, PEOPLE));
        names.follow(new TableRename(PEOPLE, USERS));

        assertThat(names.column(USERS, "name")).isEqualTo("name");
        assertThat(names.column(USERS, "tmp")).isEqualTo("tmp");
        assertThat(names.table(USERS)).isEqualTo(USERS);
        assertThat(names.table(PEOPLE)).isEqualTo(PEOPLE);
    }

    @Test
    void aTableMovedToAnotherSchemaKeepsItsRulesAndItsRenamedColumns() {
        TableId archived = new TableId("archive", "users");
        RuleNames names = new RuleNames();
        names.follow(new ColumnRename(USERS, "name", "full_name"));
        names.follow(new TableRename(USERS, archived));

        assertThat(names.table(archived)).isEqualTo(USERS);
        assertThat(names.column(archived, "full_name")).isEqualTo("name");
        assertThat(names.table(USERS)).isEqualTo(USERS);
    }

    @Test
    void whatItKnowsRestoresItEvenWhereReplayingRenamesCouldNot() {
        RuleNames names = new RuleNames();
        // Two tables swap names through a third: a replay of the result as two renames would not do.
        names.follow(new TableRename(USERS, CUSTOMERS));
        names.follow(new TableRename(PEOPLE, USERS));
        names.follow(new TableRename(CUSTOMERS, PEOPLE));
        names.follow(new ColumnRename(PEOPLE, "name", "full_name"));

        RuleNames restored = new RuleNames(names.known());

        assertThat(restored.table(PEOPLE)).isEqualTo(USERS);
        assertThat(restored.table(USERS)).isEqualTo(PEOPLE);
        assertThat(restored.column(PEOPLE, "full_name")).isEqualTo("name");
        assertThat(restored.known()).isEqualTo(names.known());
        restored.follow(new ColumnRename(PEOPLE, "full_name", "name"));
        assertThat(restored.known().columns())
                .as("a column renamed back leaves nothing to keep")
                .isEmpty();
        assertThat(names.column(PEOPLE, "full_name"))
                .as("the original is not changed by its copy")
                .isEqualTo("name");
    }
}
