package dev.danmaku.engine.filter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class BanListTest {
    private static long[] ipv6(final String address) throws Exception {
        final ByteBuffer bb = ByteBuffer.wrap(InetAddress.getByName(address).getAddress());
        return new long[] {bb.getLong(), bb.getLong()};
    }

    @Test
    void shouldBanUsersUntilTheirExpiryExclusiveOrForever() {
        final BanList bans = BanList.builder().banUser(1, 1_000).banUser(2, BanList.PERMANENT).build();
        assertThat(bans.isUserBanned(1, 999)).isTrue();
        assertThat(bans.isUserBanned(1, 1_000)).isFalse();
        assertThat(bans.isUserBanned(2, Long.MAX_VALUE - 1)).isTrue();
        assertThat(bans.isUserBanned(3, 0)).isFalse();
    }

    @Test
    void shouldBanIpv4AddressesGivenAsNetworkOrderInts() throws Exception {
        final BanList bans = BanList.builder()
            .banIp(InetAddress.getByName("10.0.0.1"), BanList.PERMANENT)
            .banIpv4(0xC0A80001, 500) // 192.168.0.1, high bit set
            .build();
        assertThat(bans.isIpv4Banned(0x0A000001, 0)).isTrue();
        assertThat(bans.isIpv4Banned(0x0A000002, 0)).isFalse();
        assertThat(bans.isIpv4Banned(0xC0A80001, 499)).isTrue();
        assertThat(bans.isIpv4Banned(0xC0A80001, 500)).isFalse();
    }

    @Test
    void shouldBanExactIpv6AddressesAndWhole64Prefixes() throws Exception {
        final long[] exact = ipv6("2001:db8::1");
        final long[] sameNet = ipv6("2001:db8::2");
        final long[] prefixed = ipv6("2001:db8:0:1::abcd");
        final BanList bans = BanList.builder()
            .banIpv6(exact[0], exact[1], BanList.PERMANENT)
            .banIpv6Prefix64(prefixed[0], BanList.PERMANENT)
            .build();
        assertThat(bans.isIpv6Banned(exact[0], exact[1], 0)).isTrue();
        assertThat(bans.isIpv6Banned(sameNet[0], sameNet[1], 0)).isFalse();
        final long[] rotated = ipv6("2001:db8:0:1:ffff:1:2:3");
        assertThat(bans.isIpv6Banned(rotated[0], rotated[1], 0)).isTrue();
        assertThat(bans.ipBanCount()).isEqualTo(2);
    }

    @Test
    void shouldCheckIpv4MappedIpv6AddressesAgainstIpv4Bans() throws Exception {
        final BanList bans = BanList.builder().banIpv4(0x0A000001, BanList.PERMANENT).build();
        final long[] mapped = {0L, 0x0000_FFFF_0A00_0001L}; // ::ffff:10.0.0.1
        assertThat(bans.isIpv6Banned(mapped[0], mapped[1], 0)).isTrue();
    }

    @Test
    void shouldDeriveTheNextSnapshotWithoutChangingThePublishedOne() {
        final BanList first = BanList.builder().banUser(1, BanList.PERMANENT).banUser(2, 100).build();
        final BanList second = first.toBuilder().unbanUser(1).banUser(3, BanList.PERMANENT).pruneExpired(100).build();
        assertThat(first.isUserBanned(1, 0)).isTrue();
        assertThat(first.userBanCount()).isEqualTo(2);
        assertThat(second.isUserBanned(1, 0)).isFalse();
        assertThat(second.isUserBanned(3, 0)).isTrue();
        assertThat(second.userBanCount()).isEqualTo(1);
    }

    @Test
    void shouldNotAllocateOnLookups() {
        final BanList.Builder b = BanList.builder();
        for (int i = 0; i < 1_000; i++) {
            b.banUser(i * 7L, BanList.PERMANENT).banIpv4(i, 10_000).banIpv6(i, i, 10_000);
        }
        final BanList bans = b.build();
        final long[] n = {0};
        final long bytes = Allocations.bytesAllocated(50_000, 100_000, () -> {
            final long i = n[0]++;
            bans.isUserBanned(i, i);
            bans.isIpv4Banned((int)i, i);
            bans.isIpv6Banned(i & 2047, i & 2047, i);
        });
        assertThat(bytes).as("bytes allocated by 100k lookups").isLessThan(100_000);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void shouldLetTheAdmitThreadSeeEverySnapshotTheAdminThreadPublishesComplete() throws Exception {
        final CurrentBanList current = new CurrentBanList();
        final AtomicBoolean torn = new AtomicBoolean();
        final int generations = 2_000;
        final Thread admin = new Thread(() -> {
            for (int g = 1; g <= generations; g++) {
                final BanList.Builder b = BanList.builder();
                for (int u = 0; u < 50; u++) {
                    b.banUser(g * 1_000L + u, BanList.PERMANENT);
                }
                current.publish(b.build());
            }
        }, "admin");
        admin.start();
        long seen = 0;
        while (admin.isAlive() || seen == 0) {
            final BanList snapshot = current.current();
            if (snapshot.userBanCount() == 0) {
                continue;
            }
            seen++;
            if (snapshot.userBanCount() != 50) {
                torn.set(true);
            }
        }
        admin.join();
        assertThat(torn).isFalse();
        assertThat(current.current().isUserBanned(generations * 1_000L + 49, 0)).isTrue();
    }
}
