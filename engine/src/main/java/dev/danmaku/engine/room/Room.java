package dev.danmaku.engine.room;

import dev.danmaku.engine.transport.Connection;

import java.util.Arrays;

/**
 * A live room as the fan-out stage sees it: epoch and sequence, recent history, the batch being
 * collected, the leaderboard, and its viewers grouped by the event loop that owns their channels.
 *
 * <p>Owned by the fan-out stage thread. Viewer arrays are copy-on-write: a join or leave replaces
 * the array of one loop, so an array handed to {@code Egress} is never modified afterwards.
 */
public final class Room {
    private static final Connection[] NONE = new Connection[0];

    private final long id;
    private final RoomHistory history;
    private final Leaderboard leaderboard;
    private final Connection[][] viewersByLoop;
    private long epoch;
    private int viewerCount;

    /** Last sequence sent to viewers in a sealed batch; pending bullets are (sealed, history.last]. */
    private long sealedSequence;
    /** Batching state, fan-out stage only: when the oldest pending bullet arrived (ms), pending bytes, on the dirty list, ranking changed. */
    public long pendingSinceMs;
    public int pendingBytes;
    /**
     * Delivery timing, fan-out stage only ({@code stage.DeliveryTimingHandler}): the sequence of the
     * oldest pending bullet and the I/O thread's receive time of its frame (ns, the node's
     * {@code NanoClock}); 0 and 0 until one arrived.
     */
    public long originSequence;
    public long originNanos;
    /** On the fan-out stage's list of rooms with pending bullets. */
    public boolean dirty;
    /** Bullets since the last RANKING push. */
    public boolean rankingChanged;
    /**
     * A room adopted from another node (cluster): the epochs it was in before this node's, each
     * ending at a sequence; this node's own bullets start after the newest one's end in {@link #epoch()}.
     * Empty for a room that began here.
     */
    private EpochChain ancestors = EpochChain.NONE;

    public Room(long id, long epoch, RoomHistory history, Leaderboard leaderboard, int loops) {
        this.id = id;
        this.epoch = epoch;
        this.history = history;
        this.leaderboard = leaderboard;
        this.viewersByLoop = new Connection[loops][];
        Arrays.fill(viewersByLoop, NONE);
    }

    public long id() {
        return id;
    }

    public long epoch() {
        return epoch;
    }

    /** Starts a new epoch after {@code lastSequence} (history kept only if the epoch is unchanged). */
    public void epoch(long epoch, long lastSequence) {
        if (epoch != this.epoch) {
            this.epoch = epoch;
            history.resetAfter(lastSequence);
            sealedSequence = lastSequence;
        }
    }

    /**
     * Marks the room as continuing {@code previousEpoch} after {@code base}: {@code exact} if the
     * previous epoch is known to end at base (a handoff), false if the room was rebuilt from the sinks
     * after its owner died (resumes from that epoch are then NOT_RECOVERED).
     */
    public void adopted(long previousEpoch, long base, boolean exact) {
        adopted(EpochChain.NONE.then(previousEpoch, base, exact));
    }

    /** Marks the room as continuing the epochs of {@code lineage} (see {@link EpochChain}). */
    public void adopted(EpochChain lineage) {
        this.ancestors = lineage;
    }

    /** The epochs before this node's, oldest first ({@link EpochChain#NONE} for a room that began here). */
    public EpochChain ancestors() {
        return ancestors;
    }

    /** The epoch bullet {@code sequence} was sequenced in (0 if no longer known). */
    public long epochOf(long sequence) {
        return ancestors.epochOf(sequence, epoch);
    }

    /** The last sequence of the epoch {@code sequence} belongs to, {@code current} if this node's. */
    public long segmentEnd(long sequence, long current) {
        int i = ancestors.segmentOf(sequence);
        return i == ancestors.size() ? current : Math.min(current, ancestors.end(i));
    }

    public RoomHistory history() {
        return history;
    }

    public Leaderboard leaderboard() {
        return leaderboard;
    }

    public long lastSequence() {
        return history.lastSequence();
    }

    public long sealedSequence() {
        return sealedSequence;
    }

    public void sealedSequence(long sequence) {
        sealedSequence = sequence;
    }

    /** Bullets appended and not yet sent in a batch. */
    public int pendingCount() {
        return (int) (history.lastSequence() - sealedSequence);
    }

    public int pendingBytes() {
        return pendingBytes;
    }

    public long pendingSinceMs() {
        return pendingSinceMs;
    }

    public int viewerCount() {
        return viewerCount;
    }

    /** The viewers whose channels belong to event loop {@code loop}; never modified after return. */
    public Connection[] viewers(int loop) {
        return viewersByLoop[loop];
    }

    public int loops() {
        return viewersByLoop.length;
    }

    /** Adds a viewer (no-op if present). */
    public boolean addViewer(Connection c) {
        Connection[] current = viewersByLoop[c.loopIndex()];
        for (Connection x : current) {
            if (x == c) {
                return false;
            }
        }
        Connection[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = c;
        viewersByLoop[c.loopIndex()] = next;
        viewerCount++;
        return true;
    }

    /** Removes a viewer (no-op if absent). */
    public boolean removeViewer(Connection c) {
        Connection[] current = viewersByLoop[c.loopIndex()];
        for (int i = 0; i < current.length; i++) {
            if (current[i] == c) {
                Connection[] next = new Connection[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                viewersByLoop[c.loopIndex()] = next.length == 0 ? NONE : next;
                viewerCount--;
                return true;
            }
        }
        return false;
    }
}
