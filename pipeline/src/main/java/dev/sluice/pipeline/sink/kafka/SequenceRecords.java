package dev.sluice.pipeline.sink.kafka;

import dev.sluice.core.TableId;
import dev.sluice.pipeline.kafka.Partitioning;
import dev.sluice.snapshot.SequenceSync.SequenceState;
import dev.sluice.snapshot.SequenceSync.SourceSequences;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of the source's sequence values the producer publishes, and to which partition.
 *
 * <p>The source is read at most once per interval. A partition's sequences go out, all of them,
 * when any of them differs from what the topic last received, so an idle source adds nothing to
 * the topic. After the sink published a schema change, the next read sends every set again: the
 * source is read ahead of the stream, so a sequence that change created may have gone out before
 * it, and reached a target before its table did; the next read's records follow the change.
 *
 * <p>A sequence goes to the partition its owning table's schema changes go to, so that it follows
 * them: by schema, its owner's schema (a standalone sequence: its own schema); by table, its owner's
 * partition (a standalone sequence: partition 0, where a schema change of no table goes); by key,
 * partition 0 (schema changes there are barriers, after which every partition's later records
 * follow them).
 *
 * <p>Not thread-safe: the sink's thread.
 */
final class SequenceRecords {

    private static final Logger log = LoggerFactory.getLogger(SequenceRecords.class);

    private final Supplier<SourceSequences> reader;
    private final long intervalNanos;
    private final Partitioning partitioning;
    private final int partitions;

    /** What the topic holds of each sequence, as committed, since the last schema change. */
    private final Map<TableId, SequenceState> published = new HashMap<>();

    private List<SequenceState> pending = List.of();
    private long lastRead;
    private boolean read;
    private String lastProblem;

    SequenceRecords(Supplier<SourceSequences> reader, Duration interval, Partitioning partitioning, int partitions) {
        this.reader = reader;
        this.intervalNanos = interval.toNanos();
        this.partitioning = partitioning;
        this.partitions = partitions;
    }

    /** Whether the source is due to be read again. */
    boolean due() {
        return !read || System.nanoTime() - lastRead >= intervalNanos;
    }

    /**
     * Reads the source and returns, by partition, the sets to publish; empty when nothing changed,
     * or when the read failed (logged as a warning once per distinct message; the next interval
     * tries again, and publishing goes on).
     */
    Map<Integer, List<SequenceState>> changed() {
        lastRead = System.nanoTime();
        read = true;
        pending = List.of();
        SourceSequences source;
        try {
            source = reader.get();
        } catch (RuntimeException e) {
            report("Reading the source's sequences for the Kafka topic failed (retrying every interval): "
                    + e.getMessage());
            return Map.of();
        }
        report(
                source.unreadable().isEmpty()
                        ? null
                        : source.unreadable().size()
                                + " source sequence(s) are not readable by the source user, so they"
                                + " are not published: " + names(source.unreadable())
                                + " (GRANT SELECT ON SEQUENCE ... to the user of source.url)");
        Map<Integer, List<SequenceState>> byPartition = new TreeMap<>();
        Set<Integer> changed = new HashSet<>();
        for (SequenceState state : source.states()) {
            int p = partition(state.sequence(), source);
            byPartition.computeIfAbsent(p, k -> new ArrayList<>()).add(state);
            if (!state.equals(published.get(state.sequence()))) {
                changed.add(p);
            }
        }
        byPartition.keySet().retainAll(changed);
        List<SequenceState> out = new ArrayList<>();
        byPartition.values().forEach(out::addAll);
        pending = out;
        return byPartition;
    }

    /** The sets the last {@link #changed()} returned are committed to the topic. */
    void published() {
        pending.forEach(state -> published.put(state.sequence(), state));
        pending = List.of();
    }

    /** The sink published a schema change: the next read sends every set again, after it. */
    void schemaChanged() {
        published.clear();
        pending = List.of();
    }

    private int partition(TableId sequence, SourceSequences source) {
        if (partitions == 1) {
            return 0;
        }
        return switch (partitioning) {
            case SCHEMA ->
                Partitioning.partition(partitioning.key(source.owner(sequence).orElse(sequence)), partitions);
            case TABLE ->
                source.owner(sequence)
                        .map(owner -> Partitioning.partition(partitioning.key(owner), partitions))
                        .orElse(0);
            case KEY -> 0;
        };
    }

    private static String names(List<String> names) {
        return String.join(", ", names.subList(0, Math.min(10, names.size()))) + (names.size() > 10 ? ", ..." : "");
    }

    private void report(String problem) {
        if (problem != null && !problem.equals(lastProblem)) {
            log.warn("{}", problem);
        } else if (problem == null && lastProblem != null) {
            log.info("All of the source's sequences are read and published again");
        }
        lastProblem = problem;
    }
}
