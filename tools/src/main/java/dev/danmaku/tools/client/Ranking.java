package dev.danmaku.tools.client;

import java.util.List;

/**
 * RANKING: the top senders of a room (room 0: the global leaderboard), highest score first.
 *
 * @param timestamp server time of the snapshot, Unix ms
 */
public record Ranking(long room, long timestamp, List<Entry> entries) {
    /** One sender and its score. */
    public record Entry(long user, long score) {
    }
}
