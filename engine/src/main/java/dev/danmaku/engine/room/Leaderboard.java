package dev.danmaku.engine.room;

import org.agrona.collections.Long2LongHashMap;

/**
 * A room's senders by score (accepted bullets, weighted by configuration). Bounded: at most
 * {@code maxUsers} senders are tracked; past that, a new sender replaces nobody and is counted in
 * {@link #untracked()} (the top of a room's board is made of its most active senders, who are
 * tracked long before the cap is reached).
 *
 * <p>Owned by the fan-out stage thread. {@link #add} is allocation-free; {@link #top} is
 * O(users x n) and runs once per ranking interval, not per bullet.
 *
 * <p><b>Deferred adds.</b> {@link #add} only appends to a small buffer; the buffer is applied to the
 * map, in order, when it is full and before every read ({@link #score}, {@link #top}, {@link #size},
 * {@link #untracked}), so every read sees exactly what applying each add at once would give. Why:
 * with 100 k senders the map is megabytes and each lookup is a cache miss; interleaved with the rest
 * of a bullet's work those misses are paid one after the other, while in the tight apply loop the
 * CPU overlaps the misses of consecutive independent lookups.
 */
public final class Leaderboard {
    /** Adds buffered before they are applied. */
    static final int PENDING = 64;

    private final Long2LongHashMap scores = new Long2LongHashMap(0);
    private final int maxUsers;
    private long untracked;
    private final long[] pendingUsers = new long[PENDING];
    private final long[] pendingWeights = new long[PENDING];
    private int pending;

    public Leaderboard(int maxUsers) {
        this.maxUsers = maxUsers;
    }

    /** Adds {@code weight} to {@code userId}'s score (applied later, in order; see the class comment). */
    public void add(long userId, long weight) {
        int n = pending;
        pendingUsers[n] = userId;
        pendingWeights[n] = weight;
        pending = ++n;
        if (n == PENDING) {
            flush();
        }
    }

    /** Applies the buffered adds in order. */
    private void flush() {
        int n = pending;
        pending = 0;
        for (int i = 0; i < n; i++) {
            apply(pendingUsers[i], pendingWeights[i]);
        }
    }

    private void apply(long userId, long weight) {
        long current = scores.get(userId);
        if (current == 0 && scores.size() >= maxUsers) {
            untracked++;
            return;
        }
        scores.put(userId, current + weight);
    }

    /** The score of {@code userId} (0 if untracked). */
    public long score(long userId) {
        flush();
        return scores.get(userId);
    }

    /**
     * Writes the top {@code n} senders, highest score first (ties: lower user id first), into the
     * arrays; returns how many were written.
     */
    public int top(int n, long[] users, long[] out) {
        flush();
        int count = 0;
        Long2LongHashMap.KeyIterator it = scores.keySet().iterator();
        while (it.hasNext()) {
            long user = it.nextValue();
            long score = scores.get(user);
            if (count == n && !better(score, user, out[n - 1], users[n - 1])) {
                continue;
            }
            int i = count < n ? count++ : n - 1;
            while (i > 0 && better(score, user, out[i - 1], users[i - 1])) {
                users[i] = users[i - 1];
                out[i] = out[i - 1];
                i--;
            }
            users[i] = user;
            out[i] = score;
        }
        return count;
    }

    private static boolean better(long score, long user, long otherScore, long otherUser) {
        return score > otherScore || (score == otherScore && Long.compareUnsigned(user, otherUser) < 0);
    }

    /** Visits every tracked sender and score (unordered). Off the per-bullet path: a room's handoff. */
    public void forEach(org.agrona.collections.LongLongConsumer visitor) {
        flush();
        scores.forEachLong(visitor);
    }

    /** Senders tracked. */
    public int size() {
        flush();
        return scores.size();
    }

    /** Bullets from senders that could not be tracked because the board was full. */
    public long untracked() {
        flush();
        return untracked;
    }
}
