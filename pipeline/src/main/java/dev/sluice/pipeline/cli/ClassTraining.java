package dev.sluice.pipeline.cli;

import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.rules.Anonymizer;
import dev.sluice.transform.rules.CompiledRules;
import dev.sluice.transform.rules.Rules;
import dev.sluice.transform.rules.TransformerRegistry;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the classes of the anonymization path while {@code bin/sluice} writes its class data sharing
 * archive, so that the archive holds them whichever long-running command wrote it: a copy without
 * rules would otherwise leave the transformers, Jackson, Bouncy Castle and Datafaker out, and every
 * later run with rules would load them from the jar (about half a second). It runs a few made-up
 * rows through the common transformers under a throwaway key, beside the command, and never fails
 * it.
 */
final class ClassTraining {

    private static final Logger log = LoggerFactory.getLogger(ClassTraining.class);

    /** Set by {@code bin/sluice} when the JVM will write a new archive at exit. */
    static final String PROPERTY = "sluice.cds.training";

    private static final int ROWS = 64;

    private static final String RULES = """
            transformations:
              validation_mode: relaxed
              table_transformers:
                - schema: public
                  table: training
                  column_transformers:
                    id: integer_fpe
                    email: email_fpe
                    contact: email
                    name: full_name
                    first: first_name
                    phone: phone
                    note: text
                    token: hash
                    street: address
                    city: city
                    zip: zip
                    created_at: timestamp_shift
                    born: date_shift
                    ip: ip
                    card: credit_card_fpe
                    profile:
                      name: json
                      parameters:
                        operations:
                          - {operation: transform, path: address.city, transformer: {name: city}}
            """;

    private static final List<Relation.Column> COLUMNS = List.of(
            new Relation.Column("id", 20, -1, true),
            new Relation.Column("email", 25, -1, false),
            new Relation.Column("contact", 25, -1, false),
            new Relation.Column("name", 25, -1, false),
            new Relation.Column("first", 25, -1, false),
            new Relation.Column("phone", 25, -1, false),
            new Relation.Column("note", 25, -1, false),
            new Relation.Column("token", 25, -1, false),
            new Relation.Column("street", 25, -1, false),
            new Relation.Column("city", 25, -1, false),
            new Relation.Column("zip", 25, -1, false),
            new Relation.Column("created_at", 1184, -1, false),
            new Relation.Column("born", 1082, -1, false),
            new Relation.Column("ip", 869, -1, false),
            new Relation.Column("card", 25, -1, false),
            new Relation.Column("profile", 3802, -1, false));

    private ClassTraining() {}

    /** Trains on a daemon thread; the JVM's exit waits for it (a few seconds at most) before archiving. */
    static void startInBackground() {
        Thread training = new Thread(ClassTraining::trainQuietly, "sluice-cds-training");
        training.setDaemon(true);
        training.setPriority(Thread.MIN_PRIORITY);
        training.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                training.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }

    private static void trainQuietly() {
        try {
            train();
        } catch (RuntimeException | LinkageError e) {
            // Only the archive's contents are at stake, never the command.
            log.debug("Class training for the class data sharing archive stopped: {}", e.toString());
        }
    }

    /** Runs the made-up rows through the rules; the columns that came out changed in some row. */
    static Set<String> train() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Anonymizer anonymizer = CompiledRules.compile(
                        Rules.parse("class training", RULES), TransformerRegistry.builtins(), Keyring.of(key), null)
                .anonymizer(new Anonymizer.Stats());
        Relation relation = new Relation(1, new TableId("public", "training"), ReplicaIdentity.DEFAULT, COLUMNS);
        Set<String> changed = new HashSet<>();
        for (int i = 1; i <= ROWS; i++) {
            Tuple row = Tuple.wrap(row(i));
            if (anonymizer.process(new Insert(relation, row)) instanceof Insert out) {
                for (int c = 0; c < COLUMNS.size(); c++) {
                    if (!out.after().get(c).equals(row.get(c))) {
                        changed.add(COLUMNS.get(c).name());
                    }
                }
            }
        }
        return changed;
    }

    private static String[] row(int i) {
        return new String[] {
            Integer.toString(i),
            "user" + i + "@example.com",
            "contact" + i + "@example.org",
            "Jane Doe" + i,
            "Jane",
            "+1 555-010" + i % 10,
            "Call John Smith about order " + i + ".",
            "token-" + i,
            i + " Main Street",
            "Springfield",
            String.format("%05d", i),
            "2024-03-05 12:34:" + (10 + i % 50) + "+00",
            "1990-01-" + (10 + i % 18),
            "10.1.2." + i,
            "4111111111111111",
            "{\"address\": {\"city\": \"Springfield\"}, \"n\": " + i + "}"
        };
    }
}
