package dev.danmaku.engine.filter;

import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * An immutable snapshot of user and IP bans. Built by the admin thread with a {@link Builder},
 * published through {@link CurrentBanList}, and read by the admit stage (any number of readers is
 * safe: nothing is mutated after construction and every field is final, so the snapshot is safely
 * published by the volatile write in {@link CurrentBanList#publish} and, independently, by the
 * final-field freeze at the end of the constructor).
 *
 * <p>Every ban has an expiry, epoch ms, exclusive: banned while {@code nowMs < expiresAtMs};
 * {@link #PERMANENT} never expires. Lookups are primitive hash-map gets: no allocation.
 *
 * <p><b>Addresses.</b> IPv4 is an {@code int} (network order: {@code 10.0.0.1 = 0x0A000001}).
 * IPv6 is two {@code long}s, {@code hi} = bytes 0..7 and {@code lo} = bytes 8..15, big-endian,
 * matched exactly (no hash, so no false bans). Because an IPv6 client can rotate through its whole
 * /64, a ban may also cover a /64 prefix ({@link Builder#banIpv6Prefix64}). An IPv4-mapped IPv6
 * address ({@code ::ffff:a.b.c.d}, as a dual-stack socket reports IPv4 peers) is checked against
 * the IPv4 bans.
 */
public final class BanList {
    /** Expiry of a ban that never ends. */
    public static final long PERMANENT = Long.MAX_VALUE;
    /** A snapshot with no bans. */
    public static final BanList EMPTY = new Builder().build();

    private static final long MISSING = Long.MIN_VALUE;

    private final Long2LongHashMap users;
    private final Long2LongHashMap ipv4;
    private final Long2LongHashMap ipv6Prefixes;
    private final Long2ObjectHashMap<Long2LongHashMap> ipv6;

    private BanList(final Builder builder) {
        users = new Long2LongHashMap(builder.users);
        ipv4 = new Long2LongHashMap(builder.ipv4);
        ipv6Prefixes = new Long2LongHashMap(builder.ipv6Prefixes);
        ipv6 = new Long2ObjectHashMap<>();
        for (final Long2ObjectHashMap<Long2LongHashMap>.EntryIterator it = builder.ipv6.entrySet().iterator();
            it.hasNext(); ) {
            it.next();
            ipv6.put(it.getLongKey(), new Long2LongHashMap(it.getValue()));
        }
    }

    /** @return a builder with no bans */
    public static Builder builder() {
        return new Builder();
    }

    /** Calls {@code consumer(userId, expiresAtMs)} for every user ban (admin listing; allocation-free). */
    public void forEachUserBan(final org.agrona.collections.LongLongConsumer consumer) {
        users.forEachLong(consumer);
    }

    /** Calls {@code consumer(ipv4 as an unsigned int in a long, expiresAtMs)} for every IPv4 ban. */
    public void forEachIpv4Ban(final org.agrona.collections.LongLongConsumer consumer) {
        ipv4.forEachLong(consumer);
    }

    /** @return a builder holding this snapshot's bans, to derive the next snapshot */
    public Builder toBuilder() {
        final Builder b = new Builder();
        b.users.putAll(users);
        b.ipv4.putAll(ipv4);
        b.ipv6Prefixes.putAll(ipv6Prefixes);
        for (final Long2ObjectHashMap<Long2LongHashMap>.EntryIterator it = ipv6.entrySet().iterator();
            it.hasNext(); ) {
            it.next();
            b.ipv6.put(it.getLongKey(), new Long2LongHashMap(it.getValue()));
        }
        return b;
    }

    /**
     * @param userId user
     * @param nowMs  epoch ms
     * @return whether the user is banned at {@code nowMs}
     */
    public boolean isUserBanned(final long userId, final long nowMs) {
        return !users.isEmpty() && active(users.get(userId), nowMs);
    }

    /**
     * @param address IPv4 address, network order in an int
     * @param nowMs   epoch ms
     * @return whether the address is banned at {@code nowMs}
     */
    public boolean isIpv4Banned(final int address, final long nowMs) {
        return !ipv4.isEmpty() && active(ipv4.get(address & 0xFFFF_FFFFL), nowMs);
    }

    /**
     * @param hi    IPv6 bytes 0..7, big-endian
     * @param lo    IPv6 bytes 8..15, big-endian
     * @param nowMs epoch ms
     * @return whether the address, its /64, or (for {@code ::ffff:a.b.c.d}) its IPv4 address is banned
     */
    public boolean isIpv6Banned(final long hi, final long lo, final long nowMs) {
        if (hi == 0 && (lo >>> 32) == 0xFFFFL) {
            return isIpv4Banned((int)lo, nowMs);
        }
        if (active(ipv6Prefixes.get(hi), nowMs)) {
            return true;
        }
        final Long2LongHashMap byLo = ipv6.get(hi);
        return byLo != null && active(byLo.get(lo), nowMs);
    }

    /** @return number of user bans (expired ones included until a builder prunes them) */
    public int userBanCount() {
        return users.size();
    }

    /** @return number of IP bans of all kinds */
    public int ipBanCount() {
        int n = ipv4.size() + ipv6Prefixes.size();
        for (final Long2LongHashMap byLo : ipv6.values()) {
            n += byLo.size();
        }
        return n;
    }

    private static boolean active(final long expiresAtMs, final long nowMs) {
        return expiresAtMs != MISSING && (expiresAtMs == PERMANENT || nowMs < expiresAtMs);
    }

    /** Mutable, single-threaded (admin thread) builder of the next snapshot. */
    public static final class Builder {
        private final Long2LongHashMap users = new Long2LongHashMap(MISSING);
        private final Long2LongHashMap ipv4 = new Long2LongHashMap(MISSING);
        private final Long2LongHashMap ipv6Prefixes = new Long2LongHashMap(MISSING);
        private final Long2ObjectHashMap<Long2LongHashMap> ipv6 = new Long2ObjectHashMap<>();

        private Builder() {
        }

        /**
         * @param userId      user
         * @param expiresAtMs epoch ms (exclusive), or {@link #PERMANENT}
         * @return this
         */
        public Builder banUser(final long userId, final long expiresAtMs) {
            users.put(userId, checkExpiry(expiresAtMs));
            return this;
        }

        /** @param userId user @return this */
        public Builder unbanIpv4(final int address) {
            ipv4.remove(address & 0xFFFF_FFFFL);
            return this;
        }

        public Builder unbanUser(final long userId) {
            users.remove(userId);
            return this;
        }

        /**
         * @param address     IPv4, network order
         * @param expiresAtMs epoch ms (exclusive), or {@link #PERMANENT}
         * @return this
         */
        public Builder banIpv4(final int address, final long expiresAtMs) {
            ipv4.put(address & 0xFFFF_FFFFL, checkExpiry(expiresAtMs));
            return this;
        }

        /**
         * @param hi          IPv6 bytes 0..7
         * @param lo          IPv6 bytes 8..15
         * @param expiresAtMs epoch ms (exclusive), or {@link #PERMANENT}
         * @return this
         */
        public Builder banIpv6(final long hi, final long lo, final long expiresAtMs) {
            Long2LongHashMap byLo = ipv6.get(hi);
            if (byLo == null) {
                byLo = new Long2LongHashMap(MISSING);
                ipv6.put(hi, byLo);
            }
            byLo.put(lo, checkExpiry(expiresAtMs));
            return this;
        }

        /**
         * Bans every address of an IPv6 /64.
         *
         * @param hi          the prefix, IPv6 bytes 0..7
         * @param expiresAtMs epoch ms (exclusive), or {@link #PERMANENT}
         * @return this
         */
        public Builder banIpv6Prefix64(final long hi, final long expiresAtMs) {
            ipv6Prefixes.put(hi, checkExpiry(expiresAtMs));
            return this;
        }

        /**
         * Bans one address, IPv4 or IPv6 (admin convenience; not for the hot path).
         *
         * @param address     the address
         * @param expiresAtMs epoch ms (exclusive), or {@link #PERMANENT}
         * @return this
         */
        public Builder banIp(final InetAddress address, final long expiresAtMs) {
            final byte[] bytes = address.getAddress();
            if (address instanceof Inet4Address) {
                return banIpv4(ByteBuffer.wrap(bytes).getInt(), expiresAtMs);
            }
            if (address instanceof Inet6Address) {
                final ByteBuffer bb = ByteBuffer.wrap(bytes);
                return banIpv6(bb.getLong(), bb.getLong(), expiresAtMs);
            }
            throw new IllegalArgumentException("unsupported address: " + address);
        }

        /**
         * Drops bans that have ended, so snapshots do not grow without bound.
         *
         * @param nowMs epoch ms
         * @return this
         */
        public Builder pruneExpired(final long nowMs) {
            prune(users, nowMs);
            prune(ipv4, nowMs);
            prune(ipv6Prefixes, nowMs);
            for (final Long2ObjectHashMap<Long2LongHashMap>.ValueIterator it = ipv6.values().iterator();
                it.hasNext(); ) {
                final Long2LongHashMap byLo = it.next();
                prune(byLo, nowMs);
                if (byLo.isEmpty()) {
                    it.remove();
                }
            }
            return this;
        }

        /** @return an immutable snapshot; the builder may be reused */
        public BanList build() {
            return new BanList(this);
        }

        private static void prune(final Long2LongHashMap map, final long nowMs) {
            for (final Long2LongHashMap.EntryIterator it = map.entrySet().iterator(); it.hasNext(); ) {
                it.next();
                if (!active(it.getLongValue(), nowMs)) {
                    it.remove();
                }
            }
        }

        private static long checkExpiry(final long expiresAtMs) {
            if (expiresAtMs == MISSING) {
                throw new IllegalArgumentException("expiresAtMs must not be Long.MIN_VALUE");
            }
            return expiresAtMs;
        }
    }
}
