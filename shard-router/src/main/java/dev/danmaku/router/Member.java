package dev.danmaku.router;

import java.net.URI;

/**
 * One node as the shard map records it. Immutable.
 *
 * @param id      the node's id ({@code node.id}); 1-64 characters of {@code [A-Za-z0-9._-]}
 * @param address the WebSocket URL clients are redirected to, e.g. {@code ws://10.0.0.5:7000/ws}
 * @param admin   the admin HTTP base URL ({@code http://HOST:PORT}), for the router's status and plans
 * @param weight  the node's share of the rooms relative to the others, &gt; 0 and &lt;= 1000
 * @param state   see {@link NodeState}
 */
public record Member(String id, String address, String admin, double weight, NodeState state) {
    /** Longest node id, characters. */
    public static final int MAX_ID_LENGTH = 64;
    /** Longest address (the protocol's REDIRECT limit), bytes. */
    public static final int MAX_ADDRESS_LENGTH = 256;
    public static final double MAX_WEIGHT = 1000;

    public Member {
        requireId(id);
        requireUrl(address, "ws", "wss", "address");
        requireUrl(admin, "http", "https", "admin");
        if (!(weight > 0 && weight <= MAX_WEIGHT)) {
            throw new IllegalArgumentException("weight of " + id + " must be in (0, " + (int) MAX_WEIGHT + "], got " + weight);
        }
        if (state == null) {
            throw new IllegalArgumentException("state of " + id + " missing");
        }
    }

    /** Checks a node id; throws {@link IllegalArgumentException} with a one-line reason. */
    public static String requireId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH || !id.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("node id must be 1-" + MAX_ID_LENGTH + " characters of A-Z a-z 0-9 . _ -, got '"
                    + id + "'");
        }
        return id;
    }

    private static void requireUrl(String url, String scheme, String secureScheme, String what) {
        if (url == null || url.isEmpty() || url.length() > MAX_ADDRESS_LENGTH) {
            throw new IllegalArgumentException(what + " must be a " + scheme + ":// URL of at most " + MAX_ADDRESS_LENGTH
                    + " bytes, got '" + url + "'");
        }
        try {
            URI u = new URI(url);
            if (!(scheme.equals(u.getScheme()) || secureScheme.equals(u.getScheme())) || u.getHost() == null || u.getPort() <= 0) {
                throw new IllegalArgumentException(what + " must be " + scheme + "://HOST:PORT..., got '" + url + "'");
            }
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(what + " is not a URL: '" + url + "'");
        }
    }

    public Member withState(NodeState s) {
        return new Member(id, address, admin, weight, s);
    }

    public Member withWeight(double w) {
        return new Member(id, address, admin, w, state);
    }
}
