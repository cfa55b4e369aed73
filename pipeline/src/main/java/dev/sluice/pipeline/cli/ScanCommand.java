package dev.sluice.pipeline.cli;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.scan.ScanResult;
import dev.sluice.pipeline.scan.Scanner;
import dev.sluice.pipeline.source.postgres.SourceSchemaReader;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.rules.CompiledRules;
import dev.sluice.transform.rules.Rules;
import dev.sluice.transform.rules.TransformerRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "scan",
        description = "Sample every replicated column of the source (--source-url, --tables) and propose anonymization"
                + " rules: a strict transform.yaml with a transformer for each column that holds personal data,"
                + " found by column name and by content, and noop for the rest, each flagged column with a comment"
                + " saying why. Written to stdout, or to -o FILE. Reads only; no sampled value is printed.")
final class ScanCommand implements Callable<Integer> {

    /** Tests swap in their own transformers for the self-check. */
    static TransformerRegistry registry = TransformerRegistry.builtins();

    @Spec
    CommandSpec spec;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FILE",
            description = "Write the rules here instead of stdout; an existing file is kept unless --force.")
    Path output;

    @Option(names = "--force", description = "Overwrite the -o file when it exists.")
    boolean force;

    @Option(
            names = "--sample",
            paramLabel = "N",
            defaultValue = "" + Scanner.DEFAULT_SAMPLE_ROWS,
            description = "Rows sampled per table (default: ${DEFAULT-VALUE}).")
    int sample;

    @Override
    public Integer call() {
        SluiceConfig config = ConfigOptions.load(spec, SluiceCli.env);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!config.hasSourceUrl()) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "Nothing to scan: pass the source with " + Setting.SOURCE_URL.flag() + " URL (or set "
                            + Setting.SOURCE_URL.env() + ").");
        }
        if (sample < 1) {
            throw new SluiceException(Reason.CONFIG, "--sample " + sample + ": expected 1 or more rows per table.");
        }
        if (output != null && Files.exists(output) && !force) {
            throw new SluiceException(
                    Reason.CONFIG,
                    output + " exists; scan does not overwrite rules that may have been edited. Pass --force, or"
                            + " another -o.");
        }
        // With the rules on stdout, everything else goes to stderr.
        PrintWriter info = output == null ? err : out;
        ScanResult result = Scanner.scan(config.sourceUrl(), config.tables(), sample, line -> {
            info.println(line);
            info.flush();
        });
        String yaml = result.yaml();
        selfCheck(yaml, config, info);
        if (output == null) {
            out.print(yaml);
            out.flush();
        } else {
            try {
                Files.writeString(output, yaml, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new SluiceException(Reason.CONFIG, "Cannot write " + output + ": " + e.getMessage(), e);
            }
            info.println("Wrote " + output + ".");
        }
        info.println(result.summary());
        return 0;
    }

    /**
     * Reads the proposal back as {@code run} would and compiles it against the same source, when
     * this build knows every transformer it names; says which it does not know otherwise.
     */
    private static void selfCheck(String yaml, SluiceConfig config, PrintWriter info) {
        Rules rules = Rules.parse("transform.yaml", yaml);
        List<String> unknown = rules.tables().stream()
                .flatMap(t -> t.columns().values().stream())
                .flatMap(c -> c.steps().stream())
                .map(Rules.Step::name)
                .filter(n -> registry.find(n).isEmpty())
                .distinct()
                .sorted()
                .toList();
        if (!unknown.isEmpty()) {
            info.println("note: this build has no transformer " + String.join(", ", unknown)
                    + "; the proposal could not be compiled here.");
            return;
        }
        byte[] throwaway = new byte[32];
        new SecureRandom().nextBytes(throwaway);
        CompiledRules compiled = CompiledRules.compile(
                rules, registry, Keyring.of(throwaway), SourceSchemaReader.read(config.sourceUrl(), config.tables()));
        compiled.warnings().forEach(w -> info.println("warning: " + w));
        info.println("The proposal compiles against the source: "
                + compiled.summary().describe().replace('\n', ' '));
    }
}
