package dev.danmaku.engine.journal;

/**
 * What "journaled" means when {@link JournalWriter#commit()} returns, i.e. what an ACK promises.
 */
public enum SyncPolicy {
    /**
     * The document is in the memory-mapped file (the OS page cache): it survives a process crash
     * (kill -9) but not power loss or a kernel crash. Default.
     */
    PAGE_CACHE,
    /**
     * Also {@code msync(MS_SYNC)} the pages written since the last commit before {@code commit()}
     * returns: survives power loss, at the cost of a disk flush per commit (hundreds of microseconds
     * to milliseconds). Journal directory metadata is not synced per commit.
     */
    FSYNC
}
