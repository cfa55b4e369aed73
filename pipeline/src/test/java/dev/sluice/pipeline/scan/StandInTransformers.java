package dev.sluice.pipeline.scan;

import dev.sluice.transform.Parameters;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import dev.sluice.transform.rules.TransformerRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * The built-in transformers, plus stand-ins for the names scan proposes that this build's library
 * lacks, each with the uniqueness the real one promises, so that a proposal can be compiled against
 * a source whatever stage the library is at. Stand-ins accept the parameters scan writes.
 */
public final class StandInTransformers {

    private StandInTransformers() {}

    public static TransformerRegistry registry() {
        TransformerRegistry builtins = TransformerRegistry.builtins();
        List<TransformerFactory> missing = new ArrayList<>();
        for (Proposals.Row row : Proposals.TABLE) {
            for (Proposals.Choice c : new Proposals.Choice[] {row.plain(), row.unique()}) {
                if (c != null) {
                    add(builtins, missing, c.transformer());
                }
            }
        }
        for (String generic : List.of(Proposals.GENERIC_TEXT, Proposals.GENERIC_UNIQUE, Proposals.GENERIC_NUMBER)) {
            add(builtins, missing, generic);
        }
        return builtins.with(missing);
    }

    private static void add(TransformerRegistry builtins, List<TransformerFactory> missing, String name) {
        if (builtins.find(name).isEmpty()
                && missing.stream().noneMatch(f -> f.name().equals(name))) {
            missing.add(standIn(name));
        }
    }

    private static Uniqueness uniqueness(String name, Parameters p) {
        if (name.endsWith("_fpe") || name.equals("ip") || name.equals("encrypted_aes_siv")) {
            return Uniqueness.GUARANTEED;
        }
        if (name.endsWith("_shift")) {
            return p.string("shift_by", "value").equals("domain") ? Uniqueness.GUARANTEED : Uniqueness.NONE;
        }
        if (name.equals("hash")) {
            return p.integer("length", 64, 1, 64) >= Proposals.HASH_MIN_LENGTH ? Uniqueness.PRACTICAL : Uniqueness.NONE;
        }
        if (name.equals("email")) {
            return Uniqueness.PRACTICAL;
        }
        return Uniqueness.NONE;
    }

    private static TransformerFactory standIn(String name) {
        return new TransformerFactory() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Transformer create(TransformerContext context) {
                Parameters p = context.parameters();
                Uniqueness u = uniqueness(name, p);
                for (String known : List.of("length", "min_days", "max_days", "shift_by", "operations")) {
                    p.raw(known);
                }
                p.requireAllUsed();
                return new Transformer() {
                    @Override
                    public String apply(String value) {
                        return "x" + value.hashCode();
                    }

                    @Override
                    public Uniqueness uniqueness() {
                        return u;
                    }
                };
            }
        };
    }
}
