package dev.sluice.pipeline.cli;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.source.postgres.SourceSchemaReader;
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
import picocli.CommandLine.Spec;

@Command(
        name = "validate",
        description = "Check the anonymization rules (--transform transform.yaml): structure, transformer names and"
                + " parameters; with --source-url also coverage of the replicated columns and each unique index"
                + " against the uniqueness its transformers guarantee. Exit 0 when valid, 2 when not.")
final class ValidateCommand implements Callable<Integer> {

    /** Tests swap in their own transformers. */
    static TransformerRegistry registry = TransformerRegistry.builtins();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SluiceConfig config = ConfigOptions.load(spec, SluiceCli.env);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path file = config.transformFile()
                .orElseThrow(() -> new SluiceException(
                        Reason.CONFIG,
                        "Nothing to validate: pass the rules file with " + Setting.TRANSFORM_FILE.flag() + " FILE (or"
                                + " set " + Setting.TRANSFORM_FILE.env() + ", or " + Setting.TRANSFORM_FILE.key()
                                + " in sluice.yaml)."));
        Keyring keyring = keyring(out);
        SourceSchema schema = null;
        if (config.hasSourceUrl()) {
            schema = SourceSchemaReader.read(config.sourceUrl(), config.tables());
        }
        CompiledRules compiled;
        try {
            compiled = CompiledRules.compile(Rules.load(file), registry, keyring, schema);
        } catch (SluiceException e) {
            if (e.reason() != Reason.CONFIG) {
                throw e;
            }
            err.println("error: " + e.getMessage());
            out.println(file + " is not valid.");
            return Reason.CONFIG.exitCode();
        }
        compiled.warnings().forEach(w -> out.println("warning: " + w));
        compiled.notes().forEach(n -> out.println("note: " + n));
        out.println(file + " is valid"
                + (schema == null
                        ? " (checked on its own; with --source-url, coverage and unique indexes too)"
                        : " against " + config.sourceUrl() + " (tables " + config.tables() + ")")
                + ".");
        out.println(compiled.summary().describe());
        return 0;
    }

    /**
     * The key from the environment, as {@code run} will read it. Parameters are checked with a
     * throwaway key when none is set, since the key never changes whether a rule is valid; a key
     * that is set but unusable is an error.
     */
    private Keyring keyring(PrintWriter out) {
        String hex = SluiceCli.env.get(Keyring.KEY_ENV);
        String file = SluiceCli.env.get(Keyring.KEY_FILE_ENV);
        if ((hex == null || hex.isBlank()) && (file == null || file.isBlank())) {
            out.println("note: no key set; run and snapshot need one in " + Keyring.KEY_ENV + " or "
                    + Keyring.KEY_FILE_ENV + " (generate it with `openssl rand -hex 32`).");
            byte[] throwaway = new byte[32];
            new SecureRandom().nextBytes(throwaway);
            return Keyring.of(throwaway);
        }
        Keyring keyring = Keyring.fromEnvironment(SluiceCli.env);
        out.println("key id " + keyring.id());
        return keyring;
    }
}
