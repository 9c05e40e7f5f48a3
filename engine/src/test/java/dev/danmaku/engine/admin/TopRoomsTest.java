package dev.danmaku.engine.admin;

import dev.danmaku.engine.stage.FanoutHandler.RoomSummary;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The bounded room label: top n by viewers and by rate, rates over windows of at least a second. */
class TopRoomsTest {
    private final AtomicLong clock = new AtomicLong(1);
    private final List<RoomSummary> rooms = new ArrayList<>();
    private final TopRooms top = new TopRooms(() -> rooms, clock::get, 2);

    private static RoomSummary room(long id, long lastSequence, int viewers) {
        return new RoomSummary(id, 1, lastSequence, 1, viewers, 0, 0, 0, new long[0], new long[0]);
    }

    @Test
    void shouldNameOnlyTheTopRoomsByViewersAndByRate() {
        rooms.addAll(List.of(room(1, 100, 5), room(2, 100, 50), room(3, 100, 0), room(4, 100, 7)));
        top.refresh();
        assertThat(top.byViewers()).extracting(TopRooms.Entry::room).containsExactly(2L, 4L);
        assertThat(top.byRate()).as("no window yet").isEmpty();

        rooms.clear();
        rooms.addAll(List.of(room(1, 300, 5), room(2, 110, 50), room(3, 400, 0), room(4, 100, 7)));
        clock.addAndGet(2_000_000_000L); // 2 s later
        top.refresh();
        assertThat(top.byRate()).extracting(TopRooms.Entry::room).containsExactly(3L, 1L);
        assertThat(top.byRate().get(0).bulletsPerSecond()).isEqualTo(150.0);
        assertThat(top.byRate().get(1).bulletsPerSecond()).isEqualTo(100.0);
    }

    @Test
    void shouldKeepTheLastRatesWhenScrapedAgainWithinASecond() {
        rooms.add(room(1, 0, 1));
        top.refresh();
        rooms.set(0, room(1, 10, 1));
        clock.addAndGet(1_000_000_000L);
        top.refresh();
        assertThat(top.byRate().get(0).bulletsPerSecond()).isEqualTo(10.0);
        rooms.set(0, room(1, 1_000, 1));
        clock.addAndGet(100_000_000L); // a second scraper 100 ms later: same answer, no 0.1 s window
        top.refresh();
        assertThat(top.byRate().get(0).bulletsPerSecond()).isEqualTo(10.0);
    }
}
