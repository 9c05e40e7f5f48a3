package dev.danmaku.engine.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundInvoker;
import org.agrona.collections.LongHashSet;

/**
 * One client connection. Fields are grouped by the thread that owns them:
 * <ul>
 *   <li>immutable after construction: id, channel, event-loop index, address;</li>
 *   <li>the connection's event loop: authentication, slow-viewer and flush bookkeeping;</li>
 *   <li>the fan-out stage: the rooms this connection has joined.</li>
 * </ul>
 * Stages never read event-loop fields: the I/O thread copies what they need (user, level) into the
 * ring slot when it publishes.
 */
public final class Connection {
    private final long id;
    private final Channel channel;
    private final int loopIndex;
    private final long addressKey;
    private final int ipv4;
    private final String remote;

    // Event loop.
    long userId;
    int userLevel;
    long authExpiresAtMs;
    long slowSinceNanos;
    boolean flushPending;
    boolean upgraded;
    /**
     * Where the egress writes pre-framed WebSocket bytes: the WebSocket frame encoder's context, so
     * writes and flushes enter the pipeline just below the WebSocket layer (which passes raw bytes
     * through) instead of walking every handler from the tail; null until the upgrade.
     */
    ChannelHandlerContext rawOut;

    // Fan-out stage.
    private final LongHashSet rooms = new LongHashSet(4);

    public Connection(long id, Channel channel, int loopIndex, long addressKey, int ipv4, String remote) {
        this.id = id;
        this.channel = channel;
        this.loopIndex = loopIndex;
        this.addressKey = addressKey;
        this.ipv4 = ipv4;
        this.remote = remote;
    }

    public long id() {
        return id;
    }

    public Channel channel() {
        return channel;
    }

    /** The egress's way into the pipeline (see {@link #rawOut}); the channel itself before the upgrade. Event loop. */
    ChannelOutboundInvoker out() {
        return rawOut != null ? rawOut : channel;
    }

    /** Index of the event loop that owns the channel (the egress queue to use). */
    public int loopIndex() {
        return loopIndex;
    }

    /** Key of the client address for per-address limits: the IPv4 address, or a hash of IPv6. */
    public long addressKey() {
        return addressKey;
    }

    /** The IPv4 address as an int, or 0 for IPv6. */
    public int ipv4() {
        return ipv4;
    }

    public String remote() {
        return remote;
    }

    /** Rooms joined; fan-out stage only. */
    public LongHashSet rooms() {
        return rooms;
    }

    /** Authenticated user id, or 0; event loop only. */
    public long userId() {
        return userId;
    }

    public int userLevel() {
        return userLevel;
    }

    @Override
    public String toString() {
        return "conn#" + id + "(" + remote + ")";
    }
}
