package dev.danmaku.perf.harness;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the senders of one generator process have learned about room owners: room index -> the owner's
 * WebSocket address from the latest REDIRECT any of them followed. A sender asks here before it sends
 * a room's first bullet, so a room's owner is learned once per process rather than once per sender
 * and room (a sender posts to a given room only every few seconds, so per-sender learning made about a
 * third of a cluster run's bullets take a REDIRECT detour: a harness artefact, not what a client that
 * stays in its room sees). Any thread; a stale hint only costs the REDIRECT it was meant to save.
 */
final class RouteHints {
    private final AtomicReferenceArray<String> owners;

    RouteHints(int rooms) {
        owners = new AtomicReferenceArray<>(rooms);
    }

    /** The last address learned for room {@code index}, or null. */
    String get(int index) {
        return owners.get(index);
    }

    void learned(int index, String address) {
        owners.lazySet(index, address);
    }
}
