package dev.sluice.pipeline.cli;

import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Adds a flag for every {@link Setting} to a command, plus {@code --config}, and loads the merged
 * configuration from them. The flags come from the settings table, so a new setting needs no CLI
 * code.
 */
final class ConfigOptions {

    static final String CONFIG = "--config";

    private ConfigOptions() {}

    static void addTo(CommandSpec spec) {
        spec.addOption(OptionSpec.builder(CONFIG)
                .paramLabel("FILE")
                .type(Path.class)
                .description("sluice.yaml to read (default: SLUICE_CONFIG, else ./sluice.yaml when present)")
                .build());
        for (Setting s : Setting.values()) {
            spec.addOption(OptionSpec.builder(s.flag())
                    .paramLabel(s.kind() == Setting.Kind.URL ? "URL" : s.kind() == Setting.Kind.FILE ? "FILE" : "VALUE")
                    .type(String.class)
                    .description(s.description() + " [" + s.key() + ", " + s.env()
                            + (s.defaultValue() == null ? "" : ", default " + s.defaultValue()) + "]")
                    .build());
        }
    }

    static SluiceConfig load(CommandSpec spec, Map<String, String> env) {
        Map<Setting, String> flags = new EnumMap<>(Setting.class);
        for (Setting s : Setting.values()) {
            String value = spec.findOption(s.flag()).getValue();
            if (value != null) {
                flags.put(s, value);
            }
        }
        return ConfigLoader.load(configFile(spec, env), env, flags);
    }

    private static Path configFile(CommandSpec spec, Map<String, String> env) {
        Path explicit = spec.findOption(CONFIG).getValue();
        if (explicit != null) {
            return explicit;
        }
        String fromEnv = env.get("SLUICE_CONFIG");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv);
        }
        Path local = Path.of("sluice.yaml");
        return Files.isRegularFile(local) ? local : null;
    }
}
