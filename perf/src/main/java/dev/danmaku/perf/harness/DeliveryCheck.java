package dev.danmaku.perf.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The end-of-run loss check: "no ACKed bullet was lost". Per room it holds the highest ACKed seq of each
 * epoch (from the senders' ACK frames: room, epoch, seq) and, per epoch, the lowest "highest seq delivered
 * in that epoch" over the room's viewers (0 for a viewer that delivered nothing in it). A room is
 * <em>behind</em> when, for some epoch, some viewer stops short of the last ACKed bullet; that count is
 * the report's {@code ackedNotDelivered} (0 expected). Because it compares per epoch, an ACKed bullet a
 * move dropped (the new epoch continuing after a lower seq than the old one ACKed) is caught even when the
 * viewer went on in the new epoch.
 *
 * <p>Each generator process fills one from its own senders and viewers after the drain; the coordinator
 * merges them ({@link #merge}), so the ACKs of one process meet the viewers of another. Off the hot path
 * (built once at the end); owned by one thread.
 */
public final class DeliveryCheck {
    private final int rooms;
    /** Per room: epoch -> highest ACKed seq; null = none. */
    private final Map<Long, Long>[] acked;
    /** Per room: epoch -> lowest per-viewer highest delivered seq (over {@link #viewers}[room] viewers). */
    private final Map<Long, Long>[] delivered;
    private final int[] viewers;

    @SuppressWarnings("unchecked")
    public DeliveryCheck(int rooms) {
        this.rooms = rooms;
        acked = new Map[rooms];
        delivered = new Map[rooms];
        viewers = new int[rooms];
    }

    /** The ACK table of a process's {@link Stats}. */
    void addAcks(Stats stats) {
        for (int r = 0; r < rooms; r++) {
            for (int i = 0; i < Stats.ACK_EPOCHS; i++) {
                long key = stats.ackEpochs.get(r * Stats.ACK_EPOCHS + i);
                if (key != 0) {
                    addAcked(r, key - 1, stats.ackSeqs.get(r * Stats.ACK_EPOCHS + i));
                }
            }
        }
    }

    void addAcked(int room, long epoch, long seq) {
        if (acked[room] == null) {
            acked[room] = new TreeMap<>();
        }
        acked[room].merge(epoch, seq, Math::max);
    }

    /** One viewer of {@code room}: its highest delivered seq in each of {@code n} epochs. */
    void addViewer(int room, long[] epochs, long[] seqs, int n) {
        Map<Long, Long> v = new HashMap<>();
        for (int i = 0; i < n; i++) {
            v.merge(epochs[i], seqs[i], Math::max);
        }
        combine(room, v, 1);
    }

    /** Folds in a group of {@code count} viewers whose per-epoch minimum is {@code mins}. */
    private void combine(int room, Map<Long, Long> mins, int count) {
        if (count == 0) {
            return;
        }
        Map<Long, Long> mine = delivered[room];
        if (mine == null) {
            mine = new TreeMap<>();
            delivered[room] = mine;
        }
        boolean hadViewers = viewers[room] > 0;
        for (Map.Entry<Long, Long> e : mine.entrySet()) {
            e.setValue(Math.min(e.getValue(), mins.getOrDefault(e.getKey(), 0L)));
        }
        for (Map.Entry<Long, Long> e : mins.entrySet()) {
            if (!mine.containsKey(e.getKey())) {
                // the viewers counted so far delivered nothing in this epoch
                mine.put(e.getKey(), hadViewers ? 0L : e.getValue());
            }
        }
        viewers[room] += count;
    }

    /** Adds another process's check (its ACKs and its viewers). */
    public void merge(DeliveryCheck o) {
        for (int r = 0; r < rooms && r < o.rooms; r++) {
            if (o.acked[r] != null) {
                for (Map.Entry<Long, Long> e : o.acked[r].entrySet()) {
                    addAcked(r, e.getKey(), e.getValue());
                }
            }
            combine(r, o.delivered[r] == null ? Map.of() : o.delivered[r], o.viewers[r]);
        }
    }

    /** ACKed bullets some viewer of {@code room} never got: per epoch, last ACKed minus the laggard's last. */
    long behind(int room) {
        if (acked[room] == null || viewers[room] == 0) {
            return 0;
        }
        long sum = 0;
        for (Map.Entry<Long, Long> e : acked[room].entrySet()) {
            long got = delivered[room] == null ? 0 : delivered[room].getOrDefault(e.getKey(), 0L);
            sum += Math.max(0, e.getValue() - got);
        }
        return sum;
    }

    /** Rooms with a viewer behind the last ACKed bullet of some epoch (0 expected after the drain). */
    public long roomsBehind() {
        long n = 0;
        for (int r = 0; r < rooms; r++) {
            n += behind(r) > 0 ? 1 : 0;
        }
        return n;
    }

    /**
     * The sum over rooms and epochs of the most bullets any one viewer misses at the end: an upper bound
     * of one viewer's loss per room, not a count over viewers.
     */
    public long bulletsBehind() {
        long n = 0;
        for (int r = 0; r < rooms; r++) {
            n += behind(r);
        }
        return n;
    }

    /** Up to {@code max} behind rooms as "index: epoch e acked s, slowest viewer d; ..." for the report. */
    String describeBehind(int max, Scenario sc) {
        StringBuilder b = new StringBuilder();
        int shown = 0;
        for (int r = 0; r < rooms && shown < max; r++) {
            if (behind(r) == 0) {
                continue;
            }
            if (shown++ > 0) {
                b.append("; ");
            }
            b.append("room ").append(Long.toUnsignedString(sc.roomId(r))).append(':');
            for (Map.Entry<Long, Long> e : acked[r].entrySet()) {
                long got = delivered[r] == null ? 0 : delivered[r].getOrDefault(e.getKey(), 0L);
                if (got < e.getValue()) {
                    b.append(" epoch ").append(e.getKey()).append(" acked to ").append(e.getValue())
                            .append(", slowest viewer at ").append(got);
                }
            }
        }
        return b.toString();
    }

    ObjectNode toJson() {
        ObjectNode n = PartResult.JSON.createObjectNode();
        n.put("rooms", rooms);
        ArrayNode list = n.putArray("byRoom");
        for (int r = 0; r < rooms; r++) {
            if (acked[r] == null && viewers[r] == 0) {
                continue;
            }
            ObjectNode o = list.addObject();
            o.put("room", r);
            o.put("viewers", viewers[r]);
            o.set("acked", pairs(acked[r]));
            o.set("delivered", pairs(delivered[r]));
        }
        return n;
    }

    static DeliveryCheck fromJson(JsonNode n, int rooms) {
        DeliveryCheck c = new DeliveryCheck(rooms);
        if (n == null) {
            return c;
        }
        for (JsonNode o : n.get("byRoom")) {
            int r = o.get("room").asInt();
            for (JsonNode p : o.get("acked")) {
                c.addAcked(r, p.get(0).asLong(), p.get(1).asLong());
            }
            Map<Long, Long> mins = new HashMap<>();
            for (JsonNode p : o.get("delivered")) {
                mins.put(p.get(0).asLong(), p.get(1).asLong());
            }
            c.combine(r, mins, o.get("viewers").asInt());
        }
        return c;
    }

    private static ArrayNode pairs(Map<Long, Long> m) {
        ArrayNode a = PartResult.JSON.createArrayNode();
        if (m != null) {
            for (Map.Entry<Long, Long> e : m.entrySet()) {
                a.addArray().add(e.getKey()).add(e.getValue());
            }
        }
        return a;
    }
}
