package dev.sluice.transform.rules;

import dev.sluice.core.Preconditions;
import dev.sluice.transform.TransformerFactory;
import dev.sluice.transform.builtin.Builtins;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/** Transformer factories by the name rules use. Immutable. */
public final class TransformerRegistry {

    private final SortedMap<String, TransformerFactory> factories;

    private TransformerRegistry(SortedMap<String, TransformerFactory> factories) {
        this.factories = Collections.unmodifiableSortedMap(factories);
    }

    /** Every transformer Sluice ships ({@link Builtins#all()}). */
    public static TransformerRegistry builtins() {
        return of(Builtins.all());
    }

    /**
     * A registry over these factories.
     *
     * @throws IllegalStateException when two factories claim the same name
     */
    public static TransformerRegistry of(List<TransformerFactory> factories) {
        SortedMap<String, TransformerFactory> byName = new TreeMap<>();
        for (TransformerFactory f : factories) {
            Preconditions.requireState(
                    f.name() != null && !f.name().isBlank(), "transformer factory %s has no name", f.getClass());
            TransformerFactory previous = byName.putIfAbsent(f.name(), f);
            Preconditions.requireState(
                    previous == null,
                    "two transformers are named '%s': %s and %s",
                    f.name(),
                    previous == null ? "" : previous.getClass().getName(),
                    f.getClass().getName());
        }
        return new TransformerRegistry(byName);
    }

    /** This registry plus more factories; names must stay distinct. */
    public TransformerRegistry with(List<TransformerFactory> more) {
        List<TransformerFactory> all = new ArrayList<>(factories.values());
        all.addAll(more);
        return of(all);
    }

    public Optional<TransformerFactory> find(String name) {
        return Optional.ofNullable(factories.get(name));
    }

    public SortedSet<String> names() {
        return new TreeSet<>(factories.keySet());
    }

    /** {@code unknown transformer 'x' (known: a, b, c; did you mean 'y'?)} */
    String unknown(String name) {
        return "unknown transformer '" + name + "' (known: " + String.join(", ", factories.keySet())
                + Names.suggestion(name, factories.keySet()) + ")";
    }
}
