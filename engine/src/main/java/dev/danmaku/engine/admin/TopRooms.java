package dev.danmaku.engine.admin;

import dev.danmaku.engine.stage.FanoutHandler.RoomSummary;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The rooms a scrape names: the top {@code n} by viewers and the top {@code n} by accepted bullets
 * per second, so the {@code room} label stays bounded (at most 2n series per metric) however many
 * rooms the node holds. Read on the scrape thread (under {@link NodeMetrics#scrape}'s lock) from
 * the fan-out stage's once-a-second room snapshot; the rate is the sequence advance between two
 * scrapes at least {@link #MIN_WINDOW_NS} apart (closer scrapes reuse the last rates).
 */
final class TopRooms {
    /** Shortest window a rate is computed over, ns: the room snapshot is refreshed once a second. */
    static final long MIN_WINDOW_NS = 1_000_000_000L;

    /** One named room: id, viewers, bullets/s. */
    record Entry(long room, int viewers, double bulletsPerSecond) {
    }

    private final Supplier<List<RoomSummary>> snapshot;
    private final LongSupplier nanoClock;
    private final int n;
    private Map<Long, Long> baseSequence = new HashMap<>();
    private long baseNanos;
    private final Map<Long, Double> rates = new HashMap<>();

    TopRooms(Supplier<List<RoomSummary>> snapshot, LongSupplier nanoClock, int n) {
        this.snapshot = snapshot;
        this.nanoClock = nanoClock;
        this.n = n;
    }

    /** Refreshes the rates if the window allows; call once per scrape. */
    synchronized void refresh() {
        long now = nanoClock.getAsLong();
        if (baseNanos != 0 && now - baseNanos < MIN_WINDOW_NS) {
            return;
        }
        List<RoomSummary> rooms = snapshot.get();
        Map<Long, Long> next = new HashMap<>(rooms.size() * 2);
        rates.clear();
        double seconds = (now - baseNanos) / 1e9;
        for (RoomSummary r : rooms) {
            next.put(r.id(), r.lastSequence());
            Long before = baseSequence.get(r.id());
            if (baseNanos != 0 && before != null) {
                rates.put(r.id(), Math.max(0, r.lastSequence() - before) / seconds);
            }
        }
        baseSequence = next;
        baseNanos = now;
    }

    /** The top rooms by viewers (rooms without viewers left out). */
    synchronized List<Entry> byViewers() {
        List<Entry> all = new ArrayList<>();
        for (RoomSummary r : snapshot.get()) {
            if (r.viewers() > 0) {
                all.add(new Entry(r.id(), r.viewers(), rates.getOrDefault(r.id(), 0.0)));
            }
        }
        all.sort(Comparator.comparingInt(Entry::viewers).reversed().thenComparingLong(Entry::room));
        return all.subList(0, Math.min(n, all.size()));
    }

    /** The top rooms by bullets per second over the last window (idle rooms left out). */
    synchronized List<Entry> byRate() {
        List<Entry> all = new ArrayList<>();
        Map<Long, Integer> viewers = new HashMap<>();
        for (RoomSummary r : snapshot.get()) {
            viewers.put(r.id(), r.viewers());
        }
        for (Map.Entry<Long, Double> e : rates.entrySet()) {
            if (e.getValue() > 0) {
                all.add(new Entry(e.getKey(), viewers.getOrDefault(e.getKey(), 0), e.getValue()));
            }
        }
        all.sort(Comparator.comparingDouble(Entry::bulletsPerSecond).reversed().thenComparingLong(Entry::room));
        return all.subList(0, Math.min(n, all.size()));
    }
}
