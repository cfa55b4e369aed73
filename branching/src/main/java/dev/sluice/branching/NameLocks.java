package dev.sluice.branching;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock per branch name, so that operations on the same branches run one after the other while
 * operations on other branches go ahead. Several names are always locked in name order, so two
 * operations can never wait for each other.
 */
final class NameLocks {

    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /** Runs {@code work} holding the locks of {@code names}. */
    <T> T locked(Supplier<T> work, String... names) {
        List<ReentrantLock> taken = new ArrayList<>();
        try {
            for (String name : new TreeSet<>(List.of(names))) {
                ReentrantLock lock = locks.computeIfAbsent(name, n -> new ReentrantLock());
                lock.lock();
                taken.add(lock);
            }
            return work.get();
        } finally {
            taken.reversed().forEach(ReentrantLock::unlock);
        }
    }
}
