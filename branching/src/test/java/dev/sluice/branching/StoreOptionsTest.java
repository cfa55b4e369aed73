package dev.sluice.branching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StoreOptionsTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        StoreOptions defaults = StoreOptions.defaults();

        assertThat(defaults.database()).isEqualTo("app");
        assertThat(defaults.idleStop()).isEqualTo(Duration.ofMinutes(10));
        assertThat(defaults.listenHost()).isEqualTo("127.0.0.1");
        assertThat(defaults.firstPort()).isZero();
        assertThat(defaults.lastPort()).isZero();
        assertThat(defaults.reaperInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.clock()).isEqualTo(Clock.systemUTC());
        assertThat(defaults.serverSettings()).isEmpty();
        assertThat(defaults.binaries()).isEmpty();
        assertThat(defaults.serverLogLimit()).isEqualTo(16L * 1024 * 1024);
    }

    @Test
    void invalidSettingsAreRefusedNamingTheValueFound() {
        assertThatThrownBy(() -> StoreOptions.defaults().withPorts(7000, 6000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("7000..6000");
        assertThatThrownBy(() -> StoreOptions.defaults().withIdleStop(Duration.ZERO))
                .hasMessageContaining("idleStop must be positive, found PT0S");
        assertThatThrownBy(() -> StoreOptions.defaults().withDatabase("App DB")).hasMessageContaining("'App DB'");
        assertThatThrownBy(() -> StoreOptions.defaults().withReaperInterval(Duration.ofSeconds(-1)))
                .hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> StoreOptions.defaults().withServerLogLimit(0))
                .hasMessageContaining("serverLogLimit must be positive, found 0");
    }

    @Test
    void withersChangeOneSettingEach() {
        StoreOptions options = StoreOptions.defaults().withPorts(7000, 7099).withListenHost("0.0.0.0");

        assertThat(options.firstPort()).isEqualTo(7000);
        assertThat(options.lastPort()).isEqualTo(7099);
        assertThat(options.listenHost()).isEqualTo("0.0.0.0");
        assertThat(options.idleStop()).isEqualTo(StoreOptions.defaults().idleStop());
    }
}
