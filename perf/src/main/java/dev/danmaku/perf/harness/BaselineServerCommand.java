package dev.danmaku.perf.harness;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code perf baseline-server}: the naive Netty server, until SIGINT/SIGTERM. */
@Command(name = "baseline-server", mixinStandardHelpOptions = true,
        description = "Run the naive baseline server (plain Netty, same protocol, one writeAndFlush per bullet per "
                + "viewer, no ring, no batching).")
public final class BaselineServerCommand implements Callable<Integer> {
    @Option(names = "--host", paramLabel = "ADDR", description = "bind address (default 127.0.0.1)")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "N", description = "WebSocket port (default 7100; 0 = any)")
    int port = 7_100;

    @Option(names = "--io-threads", paramLabel = "N", description = "event loops (default: one per core)")
    int ioThreads;

    @Override
    public Integer call() throws Exception {
        BaselineServer s = BaselineServer.start(host, port, ioThreads);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.close();
            stop.countDown();
        }));
        System.out.println("baseline server on ws://" + host + ":" + s.port() + "/ws (pid " + ProcessHandle.current().pid() + ")");
        stop.await();
        return 0;
    }
}
