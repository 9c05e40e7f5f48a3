package dev.danmaku.tools.client;

import dev.danmaku.codec.Protocol;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code danmaku client create|check|send|watch}: talk to a node over WebSocket with
 * {@link DanmakuClient}. Exit codes: 0 ok, 1 failure (one line on stderr: the node's error, a
 * rejected bullet, no connection, a timeout), 2 usage error.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = "Talk to a node: create and check rooms, send bullets, watch a room.",
        subcommands = {ClientCommand.Create.class, ClientCommand.Check.class, ClientCommand.Send.class,
                ClientCommand.Watch.class, ReplayCommand.class})
public final class ClientCommand implements Runnable {
    /** Default node URL. */
    public static final String DEFAULT_URL = "ws://127.0.0.1:7000/ws";

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Options every subcommand shares. */
    static final class Connection {
        @Option(names = "--url", defaultValue = DEFAULT_URL, converter = UrlConverter.class, paramLabel = "URL",
                description = "the node's WebSocket URL (default: ${DEFAULT-VALUE})")
        URI url;

        @Option(names = "--user", converter = IdConverter.class, paramLabel = "ID",
                description = "user id, 1..18446744073709551615 (default: a random id)")
        Long user;

        @Option(names = "--timeout", defaultValue = "5s", converter = DurationConverter.class, paramLabel = "DURATION",
                description = "connect timeout and wait for each answer, e.g. 500ms, 5s (default: ${DEFAULT-VALUE})")
        Duration timeout;

        @Option(names = "--token", paramLabel = "JWS", description = "authenticate with this signed token (AUTH)")
        String token;

        @Option(names = "--heartbeat", defaultValue = "10s", converter = DurationConverter.class,
                paramLabel = "DURATION", description = "heartbeat interval; 3 silent intervals = dead connection "
                + "(default: ${DEFAULT-VALUE})")
        Duration heartbeat;

        @Option(names = "--retries", defaultValue = "3", paramLabel = "N",
                description = "reconnect attempts after a lost connection, and retries of a request the node "
                        + "answers ROOM_MOVING or CLUSTER_UNAVAILABLE (default: ${DEFAULT-VALUE})")
        int retries;

        long userId() {
            if (user == null) {
                user = 1 + ThreadLocalRandom.current().nextLong((1L << 53) - 1);
            }
            return user;
        }
    }

    /** A failure to report as one line on stderr with exit 1. */
    static final class Failure extends Exception {
        Failure(String message) {
            super(message, null, false, false);
        }
    }

    /** Connects, runs the subcommand, closes; turns failures into one line and exit 1. */
    abstract static class Base implements Callable<Integer>, DanmakuListener {
        @Mixin
        Connection conn;

        @Spec
        CommandSpec spec;

        final PrintStream out = System.out;
        final PrintStream err = System.err;
        final InputStream in = System.in;
        DanmakuClient client;

        abstract int execute() throws Failure, InterruptedException;

        /** Checks options before connecting; throw {@link ParameterException} for usage errors. */
        void validate() {
            if (conn.retries < 0) {
                throw usage("--retries must be >= 0");
            }
            if (conn.heartbeat.isZero() || conn.timeout.isZero()) {
                throw usage("--timeout and --heartbeat must be positive");
            }
        }

        @Override
        public final Integer call() throws InterruptedException {
            validate();
            ClientConfig config = ClientConfig.defaults()
                    .withUserId(conn.userId())
                    .withConnectTimeoutMs(conn.timeout.toMillis())
                    .withHeartbeatIntervalMs(conn.heartbeat.toMillis())
                    .withReconnectTries(conn.retries);
            client = new DanmakuClient(config, this);
            try {
                // The client enforces the connect timeout itself and names the cause; the margin lets it speak first.
                await(client.connect(conn.url), conn.timeout.plusMillis(500), "connecting to " + conn.url);
                if (conn.token != null) {
                    await(client.auth(conn.token), "authenticating");
                }
                return execute();
            } catch (Failure f) {
                // A node's ERROR already reads "error CODE NAME: reason"; local failures get the prefix.
                String m = f.getMessage();
                err.println(m.startsWith("error ") ? m : "error: " + m);
                return 1;
            } finally {
                client.close();
            }
        }

        ParameterException usage(String message) {
            return new ParameterException(spec.commandLine(), message);
        }

        /** Waits up to --timeout for an answer. */
        <T> T await(CompletableFuture<T> f, String what) throws Failure, InterruptedException {
            return await(f, conn.timeout, what);
        }

        <T> T await(CompletableFuture<T> f, Duration timeout, String what) throws Failure, InterruptedException {
            try {
                return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new Failure("no answer within " + format(timeout) + " " + what);
            } catch (ExecutionException e) {
                throw new Failure(message(e.getCause()));
            }
        }

        /** A REDIRECT/MOVED line was printed and its connection is not up yet (listener thread only). */
        private boolean following;

        @Override
        public void onReconnecting(URI uri, String cause, int attempt, int tries, long delayMs) {
            following = false;
            err.println("connection lost (" + cause + "); reconnecting to " + uri + " in " + delayMs + " ms (attempt "
                    + attempt + "/" + tries + ")");
        }

        @Override
        public void onConnected(URI uri, boolean reconnect) {
            if (reconnect && !following) {
                err.println("reconnected to " + uri);
            }
            following = false; // the redirect's one line already said where the client went
        }

        @Override
        public void onRedirect(Redirect r) {
            following = true;
            err.println((r.moved() ? "room " + Long.toUnsignedString(r.room()) + " moved to " : "redirected to ")
                    + r.address());
        }

        @Override
        public void onError(ServerError e) {
            err.println("node: error " + e.code() + " " + e.describe());
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a room (idempotent) and print its ROOM_INFO."})
    static final class Create extends Base {
        @Parameters(index = "0", paramLabel = "ROOM", converter = IdConverter.class, description = "room id")
        long room;

        @Override
        int execute() throws Failure, InterruptedException {
            RoomInfo info = await(client.createRoom(room), "to CREATE_ROOM");
            out.println("room " + Long.toUnsignedString(room) + (info.created() ? " created" : " already existed")
                    + ": " + describe(info));
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Print whether a room exists, its viewers, epoch and last seq.",
                    "Exits 1 with 'room N does not exist' for an unknown room."})
    static final class Check extends Base {
        @Parameters(index = "0", paramLabel = "ROOM", converter = IdConverter.class, description = "room id")
        long room;

        @Override
        int execute() throws Failure, InterruptedException {
            RoomInfo info = await(client.checkRoom(room), "to CHECK_ROOM");
            if (!info.exists()) {
                err.println("room " + Long.toUnsignedString(room) + " does not exist");
                return 1;
            }
            out.println("room " + Long.toUnsignedString(room) + " exists: " + describe(info));
            return 0;
        }
    }

    @Command(name = "send", mixinStandardHelpOptions = true,
            description = {"Send bullets: TEXT (--count times), or one bullet per line of stdin.",
                    "Prints one line per ACK ('bullet N: seq S epoch E') and per rejection on stderr",
                    "('bullet N: error CODE NAME: reason'); waits for every answer; exits 1 if any was rejected."})
    static final class Send extends Base {
        @Parameters(index = "0", paramLabel = "ROOM", converter = IdConverter.class, description = "room id")
        long room;

        @Parameters(index = "1", arity = "0..1", paramLabel = "TEXT",
                description = "the bullet's text; without it, read one bullet per line from stdin")
        String text;

        @Option(names = "--count", defaultValue = "1", paramLabel = "N",
                description = "send TEXT N times, numbered ' #i' when N > 1 (default: ${DEFAULT-VALUE})")
        int count;

        @Option(names = "--interval", defaultValue = "400ms", converter = DurationConverter.class,
                paramLabel = "DURATION", description = "pause between bullets (default: ${DEFAULT-VALUE})")
        Duration interval;

        @Option(names = "--name", defaultValue = "", paramLabel = "NAME", description = "display name (<= 64 bytes)")
        String name;

        @Option(names = "--color", defaultValue = "", paramLabel = "COLOR",
                description = "colour: red, white, blue, ... or #RRGGBB (<= 32 bytes)")
        String color;

        private final AtomicInteger rejected = new AtomicInteger();
        /** Set once the command has its verdict: answers after it (or closing the client) print nothing. */
        private volatile boolean over;

        @Override
        void validate() {
            super.validate();
            if (count < 1) {
                throw usage("--count must be >= 1");
            }
            if (count > 1 && text == null) {
                throw usage("--count needs TEXT (stdin sends one bullet per line)");
            }
            if (text != null && text.isEmpty()) {
                throw usage("TEXT must not be empty");
            }
            String problem = DanmakuClient.checkBullet(room, name, text != null ? text : "x", color);
            if (problem != null) {
                throw usage(problem);
            }
            if (text != null) {
                String numbered = count > 1 ? text + " #" + count : text;
                problem = DanmakuClient.checkBullet(room, name, numbered, color);
                if (problem != null) {
                    throw usage(problem);
                }
            }
        }

        @Override
        int execute() throws Failure, InterruptedException {
            List<CompletableFuture<Ack>> sent = new ArrayList<>();
            int n = 0;
            if (text != null) {
                for (int i = 1; i <= count; i++) {
                    pause(i);
                    send(sent, ++n, count > 1 ? text + " #" + i : text);
                }
            } else {
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                try {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        if (line.isBlank()) {
                            continue;
                        }
                        pause(n + 1);
                        send(sent, ++n, line);
                    }
                } catch (IOException e) {
                    throw new Failure("reading stdin: " + e.getMessage());
                }
                if (n == 0) {
                    throw new Failure("no bullet to send (give TEXT, or lines on stdin)");
                }
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0]));
            try {
                all.get(conn.timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                over = true;
                long waiting = sent.stream().filter(f -> !f.isDone()).count();
                throw new Failure("no answer within " + format(conn.timeout) + " for " + waiting + " of " + n
                        + " bullets");
            } catch (ExecutionException e) {
                // each failure was printed by its own callback
            }
            over = true;
            return rejected.get() == 0 ? 0 : 1;
        }

        private void pause(int next) throws InterruptedException {
            if (next > 1 && !interval.isZero()) {
                Thread.sleep(interval.toMillis());
            }
        }

        private void send(List<CompletableFuture<Ack>> sent, int index, String content) {
            String problem = DanmakuClient.checkBullet(room, name, content, color);
            if (problem != null) {
                rejected.incrementAndGet();
                err.println("bullet " + index + ": not sent: " + problem);
                return;
            }
            // Wait on the printing stage, not the ACK itself, so every line is out before the verdict.
            CompletableFuture<Ack> printed = client.sendBullet(room, name, content, color).whenComplete((ack, ex) -> {
                if (over) {
                    return;
                }
                if (ack != null) {
                    out.println("bullet " + index + ": seq " + ack.seq() + " epoch " + ack.epoch()
                            + (ack.retry() ? " (retry)" : ""));
                } else {
                    rejected.incrementAndGet();
                    Throwable cause = ex instanceof CompletionException && ex.getCause() != null ? ex.getCause() : ex;
                    if (cause instanceof DanmakuException d && d.error() != null) {
                        err.println("bullet " + index + ": error " + d.error().code() + " " + d.error().describe());
                    } else {
                        err.println("bullet " + index + ": not sent: " + message(cause));
                    }
                }
            });
            sent.add(printed);
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = {"Join a room and print its bullets.",
                    "One line each: '#SEQ USER/NAME: TEXT  (LATENCY ms)', the text in its colour on a terminal;",
                    "or one JSON object per line with --json. Gaps, NOT_RECOVERED resumes and epoch changes",
                    "are printed on stderr. Reconnects and resumes without loss or duplicates."})
    static final class Watch extends Base {
        @Parameters(index = "0", paramLabel = "ROOM", converter = IdConverter.class, description = "room id")
        long room;

        @Option(names = "--history", defaultValue = "0", paramLabel = "N",
                description = "first print the last N bullets (0-10000, default: ${DEFAULT-VALUE})")
        int history;

        @Option(names = "--count", paramLabel = "N", description = "stop after N bullets")
        Integer count;

        @Option(names = "--json", description = "one JSON object per bullet: room, epoch, seq, timestamp, user, name, "
                + "color, text, latencyMs")
        boolean json;

        @Option(names = "--no-color", description = "never colour the text (also off when stdout is not a terminal "
                + "or NO_COLOR is set)")
        boolean noColor;

        private final CompletableFuture<Integer> done = new CompletableFuture<>();
        private final AtomicInteger printed = new AtomicInteger();
        private boolean color;

        @Override
        void validate() {
            super.validate();
            if (history < 0 || history > Protocol.MAX_JOIN_HISTORY) {
                throw usage("--history must be 0.." + Protocol.MAX_JOIN_HISTORY);
            }
            if (count != null && count < 1) {
                throw usage("--count must be >= 1");
            }
        }

        @Override
        int execute() throws Failure, InterruptedException {
            color = !noColor && !json && System.console() != null && System.getenv("NO_COLOR") == null;
            await(client.join(room, history), "to JOIN");
            try {
                return done.get();
            } catch (ExecutionException e) {
                throw new Failure(message(e.getCause()));
            }
        }

        @Override
        public void onBullet(Bullet b) {
            if (done.isDone()) {
                return;
            }
            out.println(json ? BulletFormat.json(b) : BulletFormat.line(b, color));
            if (count != null && printed.incrementAndGet() >= count) {
                out.flush();
                done.complete(0);
            }
        }

        @Override
        public void onDiscontinuity(Discontinuity d) {
            err.println(d.describe());
        }

        @Override
        public void onJoined(Joined j) {
            if (j.resumed()) {
                err.println("room " + Long.toUnsignedString(j.room()) + ": resumed, " + j.status() + ", epoch "
                        + j.epoch() + ", next seq " + j.nextSeq());
            }
        }

        @Override
        public void onClosed(DanmakuException cause) {
            if (cause != null) {
                done.completeExceptionally(cause);
            }
        }
    }

    // ---------------------------------------------------------------- converters and helpers

    /** ws:// or wss:// URL with a host. */
    static final class UrlConverter implements ITypeConverter<URI> {
        @Override
        public URI convert(String value) {
            try {
                URI u = new URI(value);
                DanmakuClient.checkUri(u);
                return u;
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not a ws:// or wss:// URL with a host");
            }
        }
    }

    /** A u64 id != 0, as unsigned decimal. */
    static final class IdConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            long v;
            try {
                v = Long.parseUnsignedLong(value);
            } catch (NumberFormatException e) {
                v = 0;
            }
            if (v == 0) {
                throw new TypeConversionException("'" + value + "' is not an id in 1..18446744073709551615");
            }
            return v;
        }
    }

    /** {@code 250ms}, {@code 5s}, {@code 2m}: a unit is required so that 400 is never misread. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        private static final Pattern FORM = Pattern.compile("(\\d{1,9})(ms|s|m)");

        @Override
        public Duration convert(String value) {
            Matcher m = FORM.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new TypeConversionException("'" + value + "' is not a duration (use e.g. 400ms, 5s, 1m)");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
        }
    }

    static String describe(RoomInfo info) {
        return "viewers " + info.viewers() + ", epoch " + info.epoch() + ", last seq " + info.lastSeq()
                + (info.owner().isEmpty() ? "" : ", owner " + info.owner());
    }

    static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    static String message(Throwable t) {
        if (t instanceof DanmakuException d && d.error() != null) {
            return "error " + d.error().code() + " " + d.error().describe();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
