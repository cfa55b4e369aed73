package dev.sluice.sink.postgres;

import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.Tuple;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The net effect of a run of changes on one table with a primary key, one entry per key.
 *
 * <p>Inside one target transaction only the final state of each row is visible, so a row inserted
 * and then updated is written once, with its final values, and a row inserted and deleted is not
 * written at all. The result is applied set-wise: rows new to the target by {@code COPY}, changed
 * rows by one {@code UPDATE ... FROM} per column shape, removed rows by one {@code DELETE ... USING}.
 *
 * <p>{@link #add} refuses a change it cannot fold in (for example a key change whose new image
 * lacks an unchanged TOASTed value); the caller then applies the buffered changes in source order.
 */
final class ConflatedTable {

    /** What the target must do for one key. */
    enum State {
        /** The row does not exist on the target yet: write the full image. */
        INSERT,
        /** The row exists on the target and is replaced by the full image (deleted, then inserted again). */
        REPLACE,
        /** The row exists on the target; the image holds the changed columns, the rest are unchanged markers. */
        UPDATE,
        /** The row exists on the target and goes away. */
        DELETE
    }

    /** One key's net change; the image shares the layout of the relation's columns. */
    static final class Entry {
        State state;
        Tuple image;

        Entry(State state, Tuple image) {
            this.state = state;
            this.image = image;
        }
    }

    private final TablePlan plan;
    private final Map<Object, Entry> entries = new LinkedHashMap<>();

    ConflatedTable(TablePlan plan) {
        this.plan = plan;
    }

    TablePlan plan() {
        return plan;
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Folds a change in; returns false, changing nothing, when it cannot be folded. */
    boolean add(RowChange change) {
        return switch (change) {
            case Insert insert -> insert(insert.after());
            case Update update -> update(update.before(), update.after());
            case Delete delete -> delete(delete.before());
        };
    }

    private boolean insert(Tuple after) {
        Object key = plan.key(after);
        Entry e = entries.get(key);
        if (e == null) {
            entries.put(key, new Entry(State.INSERT, after));
            return true;
        }
        if (e.state == State.DELETE) {
            e.state = State.REPLACE;
            e.image = after;
            return true;
        }
        return false;
    }

    private boolean update(Tuple before, Tuple after) {
        if (before != null && plan.keyUnsent(after)) {
            // A key too long to store inline was not re-sent; the old key image carries it.
            after = plan.withKeyOf(after, before);
        }
        Object newKey = plan.key(after);
        Object oldKey = before == null ? newKey : plan.key(before);
        Entry old = entries.get(oldKey);
        if (old != null && old.state == State.DELETE) {
            return false;
        }
        if (oldKey.equals(newKey)) {
            if (old == null) {
                entries.put(newKey, new Entry(State.UPDATE, after));
            } else {
                old.image = merge(old.image, after);
            }
            return true;
        }
        // The key changed: the old key goes away and the row reappears under the new one, which needs
        // every value of the row.
        Tuple full = old != null && old.state != State.UPDATE ? merge(old.image, after) : after;
        if (full.hasUnchangedToast()) {
            return false;
        }
        Entry target = entries.get(newKey);
        if (target != null && target.state != State.DELETE) {
            return false;
        }
        if (old != null && old.state == State.INSERT) {
            entries.remove(oldKey);
        } else if (old != null) {
            old.state = State.DELETE;
            old.image = null;
        } else {
            entries.put(oldKey, new Entry(State.DELETE, null));
        }
        entries.put(newKey, new Entry(target == null ? State.INSERT : State.REPLACE, full));
        return true;
    }

    private boolean delete(Tuple before) {
        Object key = plan.key(before);
        Entry e = entries.get(key);
        if (e == null) {
            entries.put(key, new Entry(State.DELETE, null));
            return true;
        }
        switch (e.state) {
            case INSERT -> entries.remove(key);
            case REPLACE, UPDATE -> {
                e.state = State.DELETE;
                e.image = null;
            }
            case DELETE -> {
                return false;
            }
        }
        return true;
    }

    /** The newer values over the older, keeping the older where the newer is an unchanged TOAST marker. */
    static Tuple merge(Tuple older, Tuple newer) {
        if (!newer.hasUnchangedToast()) {
            return newer;
        }
        String[] values = new String[newer.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = newer.isUnchangedToast(i)
                    ? (older.isUnchangedToast(i) ? Tuple.unchangedToastMarker() : older.get(i))
                    : newer.get(i);
        }
        return Tuple.wrap(values);
    }

    /** The keys whose target rows must go before new images are written: deleted and replaced rows. */
    List<Tuple> keysToDelete() {
        List<Tuple> keys = new ArrayList<>();
        entries.forEach((key, e) -> {
            if (e.state == State.DELETE || e.state == State.REPLACE) {
                keys.add(plan.keyTuple(key));
            }
        });
        return keys;
    }

    /** Rows changed in place, grouped by which columns changed, each group in key order of first change. */
    Map<BitSet, List<Tuple>> updatesByShape() {
        Map<BitSet, List<Tuple>> groups = new LinkedHashMap<>();
        for (Entry e : entries.values()) {
            if (e.state == State.UPDATE) {
                BitSet changed = new BitSet(e.image.size());
                for (int i = 0; i < e.image.size(); i++) {
                    if (!e.image.isUnchangedToast(i)) {
                        changed.set(i);
                    }
                }
                groups.computeIfAbsent(changed, k -> new ArrayList<>()).add(e.image);
            }
        }
        return groups;
    }

    /** Full images to write: rows new to the target and rows replaced. */
    List<Tuple> imagesToWrite() {
        List<Tuple> images = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.state == State.INSERT || e.state == State.REPLACE) {
                images.add(e.image);
            }
        }
        return images;
    }

    void clear() {
        entries.clear();
    }
}
