package dev.danmaku.engine.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.SplittableRandom;

/**
 * A WebSocket client over a plain socket, written by hand (RFC 6455): it can send frames no
 * well-behaved client would (text, oversized, any opcode), reconnects in about a millisecond, and,
 * unlike the JDK client, really stops reading when asked to ({@code drain = false}: the kernel
 * buffers fill and the node sees the viewer as not writable).
 *
 * <p>One thread sends; with {@code drain = true} a daemon thread reads and discards everything
 * until the node closes the connection ({@link #closedByPeer()}).
 */
public final class RawWsClient implements AutoCloseable {
    public static final int OP_TEXT = 0x1;
    public static final int OP_BINARY = 0x2;

    private final Socket socket;
    private final OutputStream out;
    private final SplittableRandom random;
    private volatile boolean closedByPeer;

    private RawWsClient(Socket socket, SplittableRandom random) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.random = random;
    }

    /** Connects and upgrades; {@code receiveBuffer} > 0 sets SO_RCVBUF (before connecting). */
    public static RawWsClient connect(int port, boolean drain, int receiveBuffer, SplittableRandom random)
            throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(5_000);
        RawWsClient c = new RawWsClient(s, random);
        byte[] key = new byte[16];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) random.nextInt(256);
        }
        String req = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        c.out.write(req.getBytes(StandardCharsets.US_ASCII));
        c.out.flush();
        String head = readHead(s.getInputStream());
        if (!head.startsWith("HTTP/1.1 101")) {
            s.close();
            throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(""));
        }
        s.setSoTimeout(0);
        if (drain) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[16 * 1024];
                try {
                    InputStream in = s.getInputStream();
                    while (in.read(buf) >= 0) {
                        // discard
                    }
                } catch (IOException ignored) {
                    // reset by the node: closed as well
                }
                c.closedByPeer = true;
            }, "raw-ws-drain");
            t.setDaemon(true);
            t.start();
        }
        return c;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int x = in.read();
            if (x < 0) {
                throw new IOException("closed during the upgrade");
            }
            b.write(x);
            state = (x == '\r' && (state == 0 || state == 2)) || (x == '\n' && (state == 1 || state == 3)) ? state + 1
                    : 0;
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Sends one final, masked frame with {@code opcode} and {@code payload}. */
    public void send(int opcode, byte[] payload) throws IOException {
        int n = payload.length;
        byte[] frame = new byte[14 + n];
        int p = 0;
        frame[p++] = (byte) (0x80 | opcode);
        if (n < 126) {
            frame[p++] = (byte) (0x80 | n);
        } else if (n < 65536) {
            frame[p++] = (byte) (0x80 | 126);
            frame[p++] = (byte) (n >>> 8);
            frame[p++] = (byte) n;
        } else {
            frame[p++] = (byte) (0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                frame[p++] = (byte) ((long) n >>> (8 * i));
            }
        }
        byte[] mask = new byte[4];
        for (int i = 0; i < 4; i++) {
            mask[i] = (byte) random.nextInt(256);
            frame[p++] = mask[i];
        }
        for (int i = 0; i < n; i++) {
            frame[p++] = (byte) (payload[i] ^ mask[i & 3]);
        }
        out.write(frame, 0, p);
        out.flush();
    }

    /** True once the node closed or reset the connection (only tracked with {@code drain = true}). */
    public boolean closedByPeer() {
        return closedByPeer;
    }

    /**
     * Reads and discards until the node closes the connection (EOF or reset); false if it is still
     * open after {@code timeoutMs}. For a client created with {@code drain = false}.
     */
    public boolean drainToEof(long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        byte[] buf = new byte[64 * 1024];
        try {
            InputStream in = socket.getInputStream();
            while (System.currentTimeMillis() < deadline) {
                socket.setSoTimeout((int) Math.max(1, deadline - System.currentTimeMillis()));
                if (in.read(buf) < 0) {
                    return true;
                }
            }
            return false;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    public boolean isClosed() {
        return socket.isClosed();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
