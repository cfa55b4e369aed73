package dev.sluice.pipeline;

import dev.sluice.core.spi.Processor;
import dev.sluice.ddl.Renames;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.sink.kafka.KafkaSink;
import dev.sluice.pipeline.source.postgres.SourceSchemaReader;
import dev.sluice.sink.postgres.PostgresSink;
import dev.sluice.snapshot.SnapshotLedger;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.rules.Anonymizer;
import dev.sluice.transform.rules.Anonymizer.ColumnRef;
import dev.sluice.transform.rules.CompiledRules;
import dev.sluice.transform.rules.RuleNames;
import dev.sluice.transform.rules.Rules;
import dev.sluice.transform.rules.SourceSchema;
import dev.sluice.transform.rules.TransformerRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds, once at start-up, the anonymizer a pipeline's snapshot and stream share, from the rules,
 * the key and what earlier runs of the same pipeline learnt while streaming (renames to follow,
 * columns written without values), kept on the target in direct mode and in the producer state when
 * publishing to Kafka.
 */
final class AnonymizationSetup {

    private static final Logger log = LoggerFactory.getLogger(AnonymizationSetup.class);

    private final SluiceConfig config;
    private final Map<String, String> env;
    private final TransformerRegistry transformers;
    private final Anonymizer.Stats stats;
    private final boolean resetTarget;
    private final boolean publishesKafka;

    /**
     * @param env where the key comes from ({@code SLUICE_KEY}, {@code SLUICE_KEY_FILE})
     * @param resetTarget the target is emptied first: nothing earlier counts
     * @param publishesKafka there is no target, only the topic's producer state
     */
    AnonymizationSetup(
            SluiceConfig config,
            Map<String, String> env,
            TransformerRegistry transformers,
            Anonymizer.Stats stats,
            boolean resetTarget,
            boolean publishesKafka) {
        this.config = config;
        this.env = env;
        this.transformers = transformers;
        this.stats = stats;
        this.resetTarget = resetTarget;
        this.publishesKafka = publishesKafka;
    }

    /**
     * With {@code transform.file} set: reads the rules and the key, checks the rules against the
     * source's schema (coverage, uniqueness) and builds the anonymizer the snapshot and the stream
     * share. Then checks that the target was written under the same key (or, without rules, not
     * anonymized at all), recording the key on a new target.
     */
    List<Processor> prepare() {
        Optional<Path> file = config.transformFile();
        String keyId = null;
        List<Processor> processors = List.of();
        if (file.isPresent()) {
            Rules rules = Rules.load(file.get());
            Keyring keyring = Keyring.fromEnvironment(env);
            // What this pipeline already streamed under: columns renamed since the rules were
            // written keep their rules; columns added since, with no rule, stay without values.
            Earlier earlier = earlier();
            RuleNames ruleNames = new RuleNames(earlier.renamed());
            SourceSchema schema = SourceSchemaReader.read(config.sourceUrl(), config.tables());
            Set<ColumnRef> uncovered = earlier.withoutValues().stream()
                    .filter(c -> exists(schema, c) && !coveredBy(rules, ruleNames, c))
                    .collect(Collectors.toUnmodifiableSet());
            CompiledRules compiled =
                    CompiledRules.compile(rules, transformers, keyring, schema.asRulesKnowIt(ruleNames, uncovered));
            compiled.warnings().forEach(w -> log.warn("{}", w));
            compiled.notes().forEach(n -> log.info("{}", n));
            log.info(
                    "Anonymizing with {} under key {}: {}",
                    file.get(),
                    keyring.id(),
                    compiled.summary().describe().replace('\n', ' '));
            Anonymizer anonymizer = compiled.anonymizer(stats, earlier.renamed());
            anonymizer.withoutValues(uncovered);
            UncoveredColumns.notNullColumns(config.sourceUrl(), UncoveredColumns.tablesOf(uncovered))
                    .forEach(anonymizer::notNull);
            if (!resetTarget && !publishesKafka) {
                UncoveredColumns.replace(config.targetUrl(), config.slot(), uncovered);
            }
            if (!earlier.renamed().isEmpty()) {
                log.info(
                        "Following the renames made on the source since streaming began: {} table(s), columns of {}"
                                + " table(s)",
                        earlier.renamed().tables().size(),
                        earlier.renamed().columns().size());
            }
            uncovered.forEach(c -> log.warn(
                    "Column {} has no rule under validation_mode strict: it is written without its values"
                            + " until {} covers it",
                    c,
                    file.get()));
            processors = List.of(anonymizer);
            keyId = keyring.id();
        }
        if (publishesKafka) {
            // No target here: the records carry anonymized rows only; consumers never see a key.
            return processors;
        }
        AnonymizationRecord.check(
                config.targetUrl(),
                config.slot(),
                keyId,
                () -> PostgresSink.applied(config.targetUrl(), config.slot()).isPresent()
                        || SnapshotLedger.open(config.targetUrl(), config.slot())
                                .started()
                                .isPresent(),
                resetTarget);
        return processors;
    }

    /** What an earlier run of this pipeline learnt while streaming, which its rules must follow. */
    private record Earlier(RuleNames.Known renamed, Set<ColumnRef> withoutValues) {}

    /**
     * Read where this pipeline keeps it: the target's records in direct mode, the producer state in
     * the topic when publishing to Kafka (there is no target); nothing when the target is reset.
     */
    private Earlier earlier() {
        if (resetTarget) {
            return new Earlier(RuleNames.Known.NONE, Set.of());
        }
        if (publishesKafka) {
            return KafkaSink.state(config.kafka().orElseThrow())
                    .map(s -> new Earlier(s.renamed(), s.withoutValues()))
                    .orElse(new Earlier(RuleNames.Known.NONE, Set.of()));
        }
        RuleNames names = new RuleNames();
        Renames.read(config.targetUrl(), config.slot()).forEach(names::follow);
        return new Earlier(names.known(), UncoveredColumns.read(config.targetUrl(), config.slot()));
    }

    /** Whether the column is still on the source: one dropped since is forgotten. */
    private static boolean exists(SourceSchema schema, ColumnRef column) {
        return schema.table(column.table())
                .flatMap(t -> t.column(column.column()))
                .isPresent();
    }

    private static boolean coveredBy(Rules rules, RuleNames names, ColumnRef column) {
        String ruleName = names.column(column.table(), column.column());
        return rules.table(names.table(column.table()))
                .map(t -> t.columns().containsKey(ruleName))
                .orElse(false);
    }
}
