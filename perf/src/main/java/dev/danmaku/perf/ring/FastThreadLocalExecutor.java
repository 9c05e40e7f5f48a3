package dev.danmaku.perf.ring;

import io.netty.util.concurrent.FastThreadLocalThread;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JMH executor whose worker threads are Netty {@link FastThreadLocalThread}s, like the node's stage
 * threads (EngineWiring). Netty's pooled allocator gives such threads a thread cache and its
 * Recycler takes back the buffer objects they allocate; on a plain thread (JMH's default workers)
 * every {@code Egress.allocate} creates a new buffer object. Select it with
 * {@code -Djmh.executor=CUSTOM -Djmh.executor.class=dev.danmaku.perf.ring.FastThreadLocalExecutor}.
 */
public final class FastThreadLocalExecutor extends ThreadPoolExecutor {
    public FastThreadLocalExecutor(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), new Factory(prefix));
    }

    private static final class Factory implements java.util.concurrent.ThreadFactory {
        private final String prefix;
        private final AtomicInteger n = new AtomicInteger();

        Factory(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new FastThreadLocalThread(r, prefix + "-ftl-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
