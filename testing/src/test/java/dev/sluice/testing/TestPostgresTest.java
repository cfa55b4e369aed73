package dev.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.localpg.PostgresBinaries;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(180)
class TestPostgresTest {

    @Test
    void findsBinariesWithInitdbAndPostgres() {
        PostgresBinaries binaries = PostgresBinaries.find();

        assertThat(Files.isExecutable(binaries.bin("initdb"))).isTrue();
        assertThat(Files.isExecutable(binaries.bin("postgres"))).isTrue();
        assertThat(binaries.majorVersion()).isGreaterThanOrEqualTo(13);
    }

    @Test
    void findsVersion18InTheClasspathArchive() {
        PostgresBinaries binaries = PostgresBinaries.find(18);

        assertThat(binaries.majorVersion()).isEqualTo(18);
        assertThat(PostgresBinaries.available())
                .extracting(PostgresBinaries::majorVersion)
                .contains(18);
    }

    @Test
    void namesWhereItLookedWhenAVersionIsNowhere() {
        assertThatThrownBy(() -> PostgresBinaries.find(11))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("/usr/lib/postgresql/11/bin")
                .hasMessageContaining("/pg/11/postgres-linux-x86_64.txz")
                .hasMessageContaining("apt-get install postgresql-11")
                .hasMessageContaining("SLUICE_PG_BIN");
    }

    @Test
    void runsStreamingTestsAgainstTheDefaultVersionAnd18() {
        assertThat(TestPostgres.versions())
                .contains(TestPostgres.defaultMajor(), 18)
                .doesNotHaveDuplicates();
    }

    @Test
    void versionsCanBeChosenWithASystemProperty() {
        String before = System.getProperty(TestPostgres.VERSIONS_PROPERTY);
        try {
            System.setProperty(TestPostgres.VERSIONS_PROPERTY, " 16, 18,16 ");

            assertThat(TestPostgres.versions()).containsExactly(16, 18);
        } finally {
            if (before == null) {
                System.clearProperty(TestPostgres.VERSIONS_PROPERTY);
            } else {
                System.setProperty(TestPostgres.VERSIONS_PROPERTY, before);
            }
        }
    }

    @Test
    void sharesOneServerPerMajorVersion() {
        PgServer server = TestPostgres.server();

        assertThat(TestPostgres.server()).isSameAs(server);
        assertThat(TestPostgres.server(server.majorVersion())).isSameAs(server);
        assertThat(server.majorVersion()).isEqualTo(TestPostgres.defaultMajor());
    }

    @Test
    void version18StartsAndReportsItsMajor() {
        PgServer server = TestPostgres.server(18);

        try (TestDatabase db = server.createDatabase()) {
            assertThat(server.majorVersion()).isEqualTo(18);
            assertThat(db.queryForString("SHOW server_version_num")).startsWith("18");
            assertThat(db.queryForString("SHOW wal_level")).isEqualTo("logical");
        }
    }
}
