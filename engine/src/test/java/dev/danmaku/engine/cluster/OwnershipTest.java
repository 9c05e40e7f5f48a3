package dev.danmaku.engine.cluster;

import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OwnershipTest {
    private static Member node(String id, NodeState s) {
        int p = 7000 + id.charAt(1) * 2;
        return new Member(id, "ws://127.0.0.1:" + p + "/ws", "http://127.0.0.1:" + (p + 1), 1, s);
    }

    private static final ShardMap MAP = new ShardMap(4, List.of(node("n1", NodeState.ACTIVE), node("n2", NodeState.ACTIVE)),
            Map.of(), 1000, 0, "");

    private static long ownedBy(ShardMap map, String id) {
        for (long r = 1; ; r++) {
            if (id.equals(map.ownerId(r))) {
                return r;
            }
        }
    }

    private static Ownership of(ShardMap map, boolean stale, Map<Long, String> held, boolean synced, long... incoming) {
        Long2ObjectHashMap<String> holders = new Long2ObjectHashMap<>();
        held.forEach(holders::put);
        LongHashSet in = new LongHashSet();
        for (long r : incoming) {
            in.add(r);
        }
        return new Ownership(map, "n1", stale, holders, synced, in,
                Map.of("n1", "ws://a/ws", "n2", "ws://b/ws", "n3", "ws://c/ws"), true, new LongHashSet(), new LongHashSet());
    }

    @Test
    void shouldDecideEveryCaseOfARoomNotHeldHere() {
        long mine = ownedBy(MAP, "n1");
        long theirs = ownedBy(MAP, "n2");
        assertThat(Ownership.unknown("n1").decide(mine)).isEqualTo(Ownership.UNAVAILABLE);
        assertThat(of(MAP, false, Map.of(), true).decide(mine)).isEqualTo(Ownership.OWN);
        Ownership o = of(MAP, false, Map.of(), true);
        assertThat(o.decide(theirs)).isEqualTo(Ownership.REDIRECT);
        assertThat(o.address(theirs)).isEqualTo(MAP.member("n2").address());
        // Still held by n3 (on its way here): redirect to the holder, which serves it until the handoff.
        Ownership held = of(MAP, false, Map.of(mine, "n3"), true);
        assertThat(held.decide(mine)).isEqualTo(Ownership.REDIRECT);
        assertThat(held.address(mine)).isEqualTo("ws://c/ws");
        assertThat(of(MAP, false, Map.of(), true, mine).decide(mine)).isEqualTo(Ownership.MOVING);
        assertThat(of(MAP, false, Map.of(), false).decide(mine)).isEqualTo(Ownership.MOVING);
        assertThat(of(MAP, true, Map.of(), true).decide(mine)).isEqualTo(Ownership.UNAVAILABLE);
        assertThat(of(MAP, true, Map.of(), true).decide(theirs)).as("redirects need no Redis").isEqualTo(Ownership.REDIRECT);
        assertThat(of(ShardMap.EMPTY, false, Map.of(), true).decide(mine)).isEqualTo(Ownership.UNAVAILABLE);
    }

    @Test
    void shouldProbeTheSinksOnlyForRoomsAGoneNodeOwned() {
        ShardMap three = MAP.with(node("n3", NodeState.ACTIVE));
        ShardMap gone = three.with(node("n3", NodeState.GONE));
        long wasN3 = 1;
        while (!("n3".equals(three.ownerId(wasN3)) && "n1".equals(gone.ownerId(wasN3)))) {
            wasN3++;
        }
        long alwaysN1 = ownedBy(three, "n1");
        Ownership o = of(gone, false, Map.of(), true);
        assertThat(o.decide(wasN3)).isEqualTo(Ownership.PROBE);
        assertThat(o.decide(alwaysN1)).isEqualTo(Ownership.OWN);
        assertThat(o.dropHeld()).isFalse();
        Ownership selfGone = new Ownership(MAP.with(node("n1", NodeState.GONE)), "n1", false, new Long2ObjectHashMap<>(),
                true, new LongHashSet(), Map.of(), false, new LongHashSet(), new LongHashSet());
        assertThat(selfGone.dropHeld()).isTrue();
        assertThat(new Ownership(MAP.without("n1"), "n1", false, new Long2ObjectHashMap<>(), true, new LongHashSet(),
                Map.of(), false, new LongHashSet(), new LongHashSet()).dropHeld()).as("removed, not gone: hands over").isFalse();
    }

    @Test
    void shouldRaiseEpochsWithTheMapVersion() {
        assertThat(Epochs.term(1)).isEqualTo(257);
        assertThat(Epochs.term(2)).isGreaterThan(Epochs.term(1) + 200);
        assertThat(Epochs.adopted(257, 1)).isEqualTo(258);
        assertThat(Epochs.adopted(257, 3)).isEqualTo(Epochs.term(3));
        assertThat(Epochs.adopted(0xFFFF_FFFFL, 3)).isEqualTo(0xFFFF_FFFFL);
    }
}
