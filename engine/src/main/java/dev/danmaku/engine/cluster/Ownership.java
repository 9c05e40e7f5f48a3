package dev.danmaku.engine.cluster;

import dev.danmaku.router.Member;
import dev.danmaku.router.NodeState;
import dev.danmaku.router.ShardMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;

import java.util.Map;

/**
 * What this node knows of the cluster at one moment, for the journal stage: the shard map, which
 * other live nodes still hold rooms they must hand over (their outgoing sets), whether every live
 * node has published its outgoing set for this map yet, and which rooms are being installed here.
 * Built by the cluster thread ({@link ClusterMember}) and handed to the ring in a
 * {@code KIND_CLUSTER} event; immutable after that, read only by the journal stage.
 *
 * <p>The journal stage asks it only about rooms it does not hold: held rooms are served (a held
 * room this node no longer owns is served until it is handed over).
 */
public final class Ownership {
    /** A room not held here that this node owns: a new room may be created, an unknown one is unknown. */
    public static final int OWN = 0;
    /** Owned or held by another node: answer REDIRECT to {@link #address(long)}. */
    public static final int REDIRECT = 1;
    /** Between owners (handed over, not installed yet; or a node has not said what it holds): ROOM_MOVING. */
    public static final int MOVING = 2;
    /** This node cannot reach the map (or has none yet): it takes no rooms it does not hold. */
    public static final int UNAVAILABLE = 3;
    /**
     * Owned here, not held, and it may have been a dead node's: look in the sinks first (answer
     * ROOM_MOVING meanwhile; the cluster thread restores it, or records that there is nothing).
     */
    public static final int PROBE = 4;

    private final ShardMap map;
    private final String self;
    private final boolean known;
    private final boolean stale;
    private final Long2ObjectHashMap<String> holders;
    private final boolean allSynced;
    private final LongHashSet incoming;
    private final Map<String, String> addresses;
    /** The map with its gone members counted active (null if none is gone, or no sinks to restore from). */
    private final ShardMap withGone;
    private final LongHashSet absent;
    private final LongHashSet handing;

    /**
     * @param map       the current map
     * @param self      this node's id
     * @param stale     Redis has not answered for longer than a lease: keep serving what is held, take nothing new
     * @param holders   room -> id of the live node that holds it and must hand it over (other nodes only)
     * @param allSynced every live node has published its outgoing set for {@code map}'s version
     * @param incoming  rooms whose handoff document is being installed here
     * @param addresses node id -> WebSocket URL, for every node the map or the registry knows
     * @param restore   rooms a gone member owned can be restored from the sinks
     * @param absent    rooms looked for in the sinks and not found there (or found and being installed)
     * @param handing   rooms released here whose handoff documents are not written yet
     */
    public Ownership(ShardMap map, String self, boolean stale, Long2ObjectHashMap<String> holders, boolean allSynced,
                     LongHashSet incoming, Map<String, String> addresses, boolean restore, LongHashSet absent,
                     LongHashSet handing) {
        this.map = map;
        this.self = self;
        this.known = true;
        this.stale = stale;
        this.holders = holders;
        this.allSynced = allSynced;
        this.incoming = incoming;
        this.addresses = Map.copyOf(addresses);
        this.absent = absent;
        this.handing = handing;
        ShardMap g = null;
        if (restore && !map.members(NodeState.GONE).isEmpty()) {
            g = map;
            for (Member m : map.members(NodeState.GONE)) {
                g = g.with(m.withState(NodeState.ACTIVE));
            }
        }
        this.withGone = g;
    }

    private Ownership(String self) {
        this.map = ShardMap.EMPTY;
        this.self = self;
        this.known = false;
        this.stale = true;
        this.holders = new Long2ObjectHashMap<>();
        this.allSynced = false;
        this.incoming = new LongHashSet();
        this.addresses = Map.of();
        this.withGone = null;
        this.absent = new LongHashSet();
        this.handing = new LongHashSet();
    }

    /** Before the first map is read: nothing is served (held rooms may have been taken over meanwhile). */
    public static Ownership unknown(String self) {
        return new Ownership(self);
    }

    /** False until the first map was read: every request is answered CLUSTER_UNAVAILABLE. */
    public boolean known() {
        return known;
    }

    public ShardMap map() {
        return map;
    }

    public long version() {
        return map.version();
    }

    public boolean stale() {
        return stale;
    }

    /** This node's state in the map, or null if it is not in it. */
    public NodeState selfState() {
        Member m = map.member(self);
        return m == null ? null : m.state();
    }

    /**
     * True if this node must give up every room it holds without handing them over: the map says it
     * is gone (its lease expired and the others took its rooms). A node that is not in the map
     * (removed by the router) owns nothing and hands everything over.
     */
    public boolean dropHeld() {
        return known && selfState() == NodeState.GONE;
    }

    /** True if this node owns {@code room} by the map. */
    public boolean owns(long room) {
        Member m = map.owner(room);
        return m != null && m.id().equals(self);
    }

    /** The owner's WebSocket URL, or null if no node owns it. */
    public String ownerAddress(long room) {
        Member m = map.owner(room);
        return m == null ? null : m.address();
    }

    /** What to do with a request for {@code room}, which this node does not hold. */
    public int decide(long room) {
        if (!known) {
            return UNAVAILABLE;
        }
        Member owner = map.owner(room);
        if (owner == null) {
            return UNAVAILABLE;
        }
        if (!owner.id().equals(self)) {
            return REDIRECT;
        }
        if (stale) {
            return UNAVAILABLE;
        }
        if (incoming.contains(room)) {
            return MOVING;
        }
        String holder = holders.get(room);
        if (holder != null) {
            return addresses.containsKey(holder) ? REDIRECT : MOVING;
        }
        if (!allSynced) {
            return MOVING;
        }
        if (withGone != null && !absent.contains(room)) {
            Member was = withGone.owner(room);
            Member now = was == null ? null : map.member(was.id());
            if (now != null && now.state() == NodeState.GONE) {
                return PROBE;
            }
        }
        return OWN;
    }

    /** True if this node released {@code room} and its handoff document is not written yet. */
    public boolean handing(long room) {
        return handing.contains(room);
    }

    /** Where a {@link #REDIRECT} for {@code room} points: its holder while it still has it, else its owner. */
    public String address(long room) {
        String holder = holders.get(room);
        if (holder != null && owns(room)) {
            String a = addresses.get(holder);
            if (a != null) {
                return a;
            }
        }
        return ownerAddress(room);
    }

    /** The epoch a room starts with when it is created or adopted here under this map (see {@link Epochs}). */
    public long termEpoch() {
        return Epochs.term(map.version());
    }

    @Override
    public String toString() {
        return "Ownership{v" + map.version() + (known ? "" : " unknown") + (stale ? " stale" : "") + ", holders "
                + holders.size() + ", incoming " + incoming.size() + (allSynced ? "" : ", not synced") + "}";
    }
}
