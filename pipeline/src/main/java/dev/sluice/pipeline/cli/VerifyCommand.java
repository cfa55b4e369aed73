package dev.sluice.pipeline.cli;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.source.postgres.SourceSchemaReader;
import dev.sluice.pipeline.verify.LeakCheck;
import dev.sluice.pipeline.verify.VerifyReport;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.rules.CompiledRules;
import dev.sluice.transform.rules.Rules;
import dev.sluice.transform.rules.SourceSchema;
import dev.sluice.transform.rules.TransformerRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "verify",
        description = "Check that no source value reached the target unchanged in any column the rules transform"
                + " (--source-url, --target-url, --transform): both servers digest the values with a salt drawn"
                + " for this run and only the sorted digests are compared, so no raw value leaves either server."
                + " Prints counts per column, never a value. Exit 0 when nothing leaks, "
                + VerifyReport.EXIT_LEAK + " when a column does, 2 for invalid rules.")
final class VerifyCommand implements Callable<Integer> {

    /** Tests swap in their own transformers. */
    static TransformerRegistry registry = TransformerRegistry.builtins();

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print the report as JSON (for CI) instead of a table.")
    boolean json;

    @Option(
            names = "--tolerance",
            paramLabel = "PERCENT",
            defaultValue = "0",
            description = "Share of a column's values that may be found unchanged without failing, for transformers"
                    + " that draw from small lists (fake names, cities) and so hit a real value now and then"
                    + " (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Override
    public Integer call() {
        SluiceConfig config = ConfigOptions.load(spec, SluiceCli.env);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path file = config.transformFile()
                .orElseThrow(() -> new SluiceException(
                        Reason.CONFIG,
                        "verify needs the rules the target was written with: pass " + Setting.TRANSFORM_FILE.flag()
                                + " FILE (or set " + Setting.TRANSFORM_FILE.env() + ")."));
        if (!config.hasSourceUrl() || !config.hasTargetUrl()) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "verify compares a source with a target: pass both " + Setting.SOURCE_URL.flag() + " and "
                            + Setting.TARGET_URL.flag() + ".");
        }
        if (!(tolerance >= 0 && tolerance <= 100)) {
            throw new SluiceException(
                    Reason.CONFIG, "--tolerance " + tolerance + ": expected a percentage from 0 to 100.");
        }
        Rules rules = Rules.load(file);
        SourceSchema schema = SourceSchemaReader.read(config.sourceUrl(), config.tables());
        // The rules must be valid; the key plays no part in what is compared.
        byte[] throwaway = new byte[32];
        new SecureRandom().nextBytes(throwaway);
        CompiledRules.compile(rules, registry, Keyring.of(throwaway), schema);
        VerifyReport report =
                LeakCheck.run(config.sourceUrl(), config.targetUrl(), rules, schema, registry, tolerance, line -> {
                    if (!json) {
                        err.println(line);
                        err.flush();
                    }
                });
        if (json) {
            out.println(report.json());
        } else {
            out.print(report.table());
            out.println(report.verdict());
        }
        return report.exitCode();
    }
}
