package dev.sluice.transform.builtin;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.transform.TransformerFactory;
import java.util.List;

/** pgstream transformers Sluice knows by name but does not run, each with what to use instead. */
final class Refused {

    private Refused() {}

    static List<TransformerFactory> factories() {
        return List.of(refuse(
                "pg_anonymizer",
                "runs PostgreSQL Anonymizer functions in a database for every value, which Sluice does not do;"
                        + " use the built-in transformers (email, first_name, phone, mask, hash, number_noise,"
                        + " date_shift, ...) instead"));
    }

    private static TransformerFactory refuse(String name, String why) {
        return Factory.whole(name, c -> {
            throw new SluiceException(Reason.CONFIG, c.parameters().where() + ": transformer '" + name + "' " + why);
        });
    }
}
