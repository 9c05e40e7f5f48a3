package dev.danmaku.engine.cluster;

/**
 * What the ring's stages tell the cluster thread ({@link ClusterMember}). Every method is called on
 * a stage thread, must not block, and never fails: the implementation queues (its queue is bounded
 * by how many releases and installs the cluster thread keeps in flight, so it cannot fill).
 */
public interface ClusterLink {
    /** Journal stage: every room held here that this node does not own under map {@code version}. */
    void outgoing(long version, long[] rooms, int count);

    /** Journal stage: a release found nothing to hand over (not held, or owned here again). */
    void releaseSkipped(long room);

    /**
     * Journal stage: a release cannot be done now (its ownership went stale meanwhile, or the journal
     * refused): the room is still held here, stays in the outgoing set, and is released later.
     */
    void releaseDeferred(long room);

    /** Fan-out stage: {@code room} left this node (its release is journaled); the document goes to {@code toNode}. */
    void handedOver(long room, String toNode, byte[] document);

    /** Journal stage: an install is done ({@code ok}), or was refused because the room is already held here. */
    void installed(long room, boolean ok);

    /** Journal stage: a room this node owns may have been a dead node's: look for it in the sinks. */
    void probe(long room);

    /**
     * Journal stage: this node is gone in the map; these rooms (maybe none) were given up without a
     * handoff. Until this arrives the node does not put itself back in the map.
     */
    void dropped(long[] rooms, int count);
}
