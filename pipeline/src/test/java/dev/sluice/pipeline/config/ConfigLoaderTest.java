package dev.sluice.pipeline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path yaml(String text) throws IOException {
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void defaultsApplyWhenNothingIsGiven() {
        SluiceConfig config = ConfigLoader.load(null, Map.of(), Map.of());
        assertThat(config.slot()).isEqualTo("sluice");
        assertThat(config.publication()).isEqualTo("sluice");
        assertThat(config.batchRows()).isEqualTo(10000);
        assertThat(config.groupMaxDelay()).isEqualTo(Duration.ofMillis(200));
        assertThat(config.metricsPort()).isEqualTo(9480);
        assertThat(config.tables().patterns()).isEmpty();
    }

    @Test
    void flagsWinOverEnvironmentWhichWinsOverFile() throws IOException {
        Path file = yaml("""
                source:
                  url: postgres://file@h/app
                  slot: from_file
                  publication: from_file
                sink:
                  batch_rows: 10
                """);
        SluiceConfig config = ConfigLoader.load(
                file,
                Map.of("SLUICE_SOURCE_SLOT", "from_env", "SLUICE_SINK_BATCH_ROWS", "20"),
                Map.of(Setting.SOURCE_SLOT, "from_flag"));
        assertThat(config.slot()).isEqualTo("from_flag");
        assertThat(config.batchRows()).isEqualTo(20);
        assertThat(config.publication()).isEqualTo("from_file");
        assertThat(config.sourceUrl().user()).isEqualTo("file");
    }

    @Test
    void tablesAcceptYamlListsAndCommaSeparatedFlags() throws IOException {
        Path file = yaml("source:\n  tables: ['public.*', '!public.audit']\n");
        assertThat(ConfigLoader.load(file, Map.of(), Map.of()).tables().patterns())
                .containsExactly("public.*", "!public.audit");
        assertThat(ConfigLoader.load(null, Map.of(), Map.of(Setting.SOURCE_TABLES, "a.*, !a.b"))
                        .tables()
                        .patterns())
                .containsExactly("a.*", "!a.b");
    }

    @Test
    void unknownKeyIsNamedWithASuggestion() throws IOException {
        Path file = yaml("source:\n  ulr: postgres://h/app\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("sluice.yaml: unknown key 'source.ulr'")
                .hasMessageContaining("did you mean 'source.url'?");
    }

    @Test
    void badValueNamesOriginKeyValueAndWhatIsAllowed() throws IOException {
        Path file = yaml("sink:\n  batch_rows: lots\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .hasMessage(
                        "sluice.yaml: sink.batch_rows = 'lots' is not allowed; expected a whole number of 1 or more");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SLUICE_SINK_GROUP_MAX_DELAY", "soon"), Map.of()))
                .hasMessageContaining("environment variable SLUICE_SINK_GROUP_MAX_DELAY: sink.group_max_delay = 'soon'")
                .hasMessageContaining("a duration such as 500ms, 10s, 5m");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of(Setting.METRICS_PORT, "70000")))
                .hasMessageContaining("flag --metrics-port: metrics.port = '70000'");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of(Setting.SOURCE_SLOT, "My-Slot")))
                .hasMessageContaining("source.slot = 'My-Slot' is not allowed");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SLUICE_KAFKA_COMPRESSION", "brotli"), Map.of()))
                .hasMessageContaining("kafka.compression = 'brotli' is not allowed")
                .hasMessageContaining("one of lz4, zstd, snappy, gzip, none");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of(Setting.KAFKA_TRANSACTION_TIMEOUT, "0ms")))
                .hasMessage("flag --kafka-transaction-timeout: kafka.transaction_timeout = '0ms' is not allowed;"
                        + " expected a duration from 1ms to 596h, such as 15m");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SLUICE_KAFKA_TRANSACTION_TIMEOUT", "600h"), Map.of()))
                .hasMessageContaining("kafka.transaction_timeout = '600h' is not allowed");
    }

    @Test
    void malformedYamlReportsWhere() throws IOException {
        Path file = yaml("source:\n  url: [unclosed\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .hasMessageContaining("sluice.yaml is not valid YAML at line");
    }

    @Test
    void badUrlNeverEchoesThePassword() {
        assertThatThrownBy(() ->
                        ConfigLoader.load(null, Map.of("SLUICE_SOURCE_URL", "mysql://app:hunter2@h/app"), Map.of()))
                .hasMessageContaining("source.url (environment variable SLUICE_SOURCE_URL)")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void missingRequiredSettingSaysEveryWayToGiveIt() {
        SluiceConfig config = ConfigLoader.load(null, Map.of(), Map.of());
        assertThatThrownBy(config::targetUrl)
                .hasMessageContaining("target.url is not set: pass --target-url, set SLUICE_TARGET_URL, or add"
                        + " target.url to sluice.yaml");
    }

    @Test
    void durationsAcceptShortAndIsoForms() {
        assertThat(ConfigLoader.load(null, Map.of(), Map.of(Setting.SINK_GROUP_MAX_DELAY, "2s"))
                        .groupMaxDelay())
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(ConfigLoader.load(null, Map.of(), Map.of(Setting.SINK_GROUP_MAX_DELAY, "PT1M"))
                        .groupMaxDelay())
                .isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void sequenceSyncIntervalDefaultsToTenSecondsAndZeroTurnsItOff() {
        assertThat(ConfigLoader.load(null, Map.of(), Map.of()).sequenceSyncInterval())
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(ConfigLoader.load(null, Map.of("SLUICE_SOURCE_SEQUENCE_SYNC_INTERVAL", "0"), Map.of())
                        .sequenceSyncInterval())
                .isZero();
        assertThat(ConfigLoader.load(null, Map.of(), Map.of(Setting.SOURCE_SEQUENCE_SYNC_INTERVAL, "200ms"))
                        .sequenceSyncInterval())
                .isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void negativeDurationIsRefused() {
        assertThatThrownBy(
                        () -> ConfigLoader.load(null, Map.of(), Map.of(Setting.SOURCE_SEQUENCE_SYNC_INTERVAL, "-PT1S")))
                .hasMessageContaining("flag --sequence-sync-interval: source.sequence_sync_interval = '-PT1S' is not"
                        + " allowed; expected a duration such as 500ms, 10s, 5m");
    }
}
