package dev.danmaku.perf.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.zip.DataFormatException;

/**
 * What one generator process measured (or, merged, all of them): counters, errors by code,
 * accepted bullets per room, the overall latency histogram (us) and one {@link Second} per second.
 * Serializes to JSON (histograms as compressed base64) so child processes can hand it to the
 * coordinator. Owned by one thread.
 */
public final class PartResult {
    static final ObjectMapper JSON = new ObjectMapper();

    /** One second of the run: counter deltas, open connections, the interval latency histogram. */
    public static final class Second {
        public final int t;
        public final long[] counters;
        public long open;
        public long cpuNanos;
        public final Histogram latency;

        Second(int t, long[] counters, long open, long cpuNanos, Histogram latency) {
            this.t = t;
            this.counters = counters;
            this.open = open;
            this.cpuNanos = cpuNanos;
            this.latency = latency;
        }

        public long get(Stats.Counter c) {
            return counters[c.ordinal()];
        }

        void add(Second o) {
            for (int i = 0; i < counters.length; i++) {
                counters[i] += o.counters[i];
            }
            open += o.open;
            cpuNanos += o.cpuNanos;
            latency.add(o.latency);
        }

        ObjectNode toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("t", t);
            n.put("open", open);
            n.put("cpuNanos", cpuNanos);
            ArrayNode a = n.putArray("counters");
            for (long c : counters) {
                a.add(c);
            }
            n.put("latency", encode(latency));
            return n;
        }

        static Second fromJson(JsonNode n) {
            long[] c = new long[Stats.Counter.values().length];
            for (int i = 0; i < c.length; i++) {
                c[i] = n.get("counters").get(i).asLong();
            }
            return new Second(n.get("t").asInt(), c, n.get("open").asLong(), n.get("cpuNanos").asLong(),
                    decode(n.get("latency").asText()));
        }
    }

    public long[] counters = new long[Stats.Counter.values().length];
    public long[] errors = new long[1000];
    /** Requests re-sent after a retriable ERROR, by code. */
    public long[] retried = new long[1000];
    public long[] acceptedByRoom;
    /** The loss check: ACKed (epoch, seq) per room against the viewers' final positions. */
    public DeliveryCheck delivery;
    public Histogram latency = newHistogram();
    public List<Second> seconds = new ArrayList<>();
    public long cpuNanos;
    public long wallNanos;
    public long connectNanos;
    public long viewers;
    public long sampledViewers;
    public long senderConnections;
    public long maxOpen;
    public int processes = 1;

    public PartResult(int rooms) {
        acceptedByRoom = new long[rooms];
        delivery = new DeliveryCheck(rooms);
    }

    public static Histogram newHistogram() {
        return new Histogram(1, Stats.MAX_LATENCY_US, 3);
    }

    public long get(Stats.Counter c) {
        return counters[c.ordinal()];
    }

    /** Adds {@code o} (another process's part) into this one; seconds are matched by index. */
    public void merge(PartResult o) {
        for (int i = 0; i < counters.length; i++) {
            counters[i] += o.counters[i];
        }
        for (int i = 0; i < errors.length; i++) {
            errors[i] += o.errors[i];
            retried[i] += o.retried[i];
        }
        delivery.merge(o.delivery);
        for (int i = 0; i < acceptedByRoom.length; i++) {
            acceptedByRoom[i] += o.acceptedByRoom[i];
        }
        latency.add(o.latency);
        for (Second s : o.seconds) {
            Second mine = null;
            for (Second m : seconds) {
                if (m.t == s.t) {
                    mine = m;
                }
            }
            if (mine == null) {
                seconds.add(new Second(s.t, s.counters.clone(), s.open, s.cpuNanos, s.latency.copy()));
            } else {
                mine.add(s);
            }
        }
        seconds.sort((a, b) -> Integer.compare(a.t, b.t));
        cpuNanos += o.cpuNanos;
        wallNanos = Math.max(wallNanos, o.wallNanos);
        connectNanos = Math.max(connectNanos, o.connectNanos);
        viewers += o.viewers;
        sampledViewers += o.sampledViewers;
        senderConnections += o.senderConnections;
        maxOpen += o.maxOpen;
        processes += o.processes;
    }

    String toJson() {
        ObjectNode n = JSON.createObjectNode();
        putArray(n, "counters", counters);
        putArray(n, "errors", errors);
        putArray(n, "retried", retried);
        n.set("delivery", delivery.toJson());
        putArray(n, "acceptedByRoom", acceptedByRoom);
        n.put("latency", encode(latency));
        ArrayNode s = n.putArray("seconds");
        for (Second sec : seconds) {
            s.add(sec.toJson());
        }
        n.put("cpuNanos", cpuNanos);
        n.put("wallNanos", wallNanos);
        n.put("connectNanos", connectNanos);
        n.put("viewers", viewers);
        n.put("sampledViewers", sampledViewers);
        n.put("senderConnections", senderConnections);
        n.put("maxOpen", maxOpen);
        return n.toString();
    }

    static PartResult fromJson(String text) throws Exception {
        JsonNode n = JSON.readTree(text);
        PartResult r = new PartResult(n.get("acceptedByRoom").size());
        readArray(n.get("counters"), r.counters);
        readArray(n.get("errors"), r.errors);
        if (n.has("retried")) {
            readArray(n.get("retried"), r.retried);
        }
        r.delivery = DeliveryCheck.fromJson(n.get("delivery"), r.acceptedByRoom.length);
        readArray(n.get("acceptedByRoom"), r.acceptedByRoom);
        r.latency = decode(n.get("latency").asText());
        for (JsonNode s : n.get("seconds")) {
            r.seconds.add(Second.fromJson(s));
        }
        r.cpuNanos = n.get("cpuNanos").asLong();
        r.wallNanos = n.get("wallNanos").asLong();
        r.connectNanos = n.get("connectNanos").asLong();
        r.viewers = n.get("viewers").asLong();
        r.sampledViewers = n.get("sampledViewers").asLong();
        r.senderConnections = n.get("senderConnections").asLong();
        r.maxOpen = n.get("maxOpen").asLong();
        return r;
    }

    private static void putArray(ObjectNode n, String name, long[] values) {
        ArrayNode a = n.putArray(name);
        for (long v : values) {
            a.add(v);
        }
    }

    private static void readArray(JsonNode a, long[] into) {
        for (int i = 0; i < into.length && i < a.size(); i++) {
            into[i] = a.get(i).asLong();
        }
    }

    static String encode(Histogram h) {
        ByteBuffer b = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(b);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(b.array(), n));
    }

    static Histogram decode(String s) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(s)), 1);
        } catch (DataFormatException e) {
            throw new IllegalStateException("corrupt histogram from a generator process", e);
        }
    }
}
