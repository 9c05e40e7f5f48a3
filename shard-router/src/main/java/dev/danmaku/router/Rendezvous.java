package dev.danmaku.router;

/**
 * Weighted rendezvous (highest random weight) hashing of 64-bit room ids to nodes.
 *
 * <p>Each (room, node) pair gets a pseudo-random draw {@code u} in (0, 1) from a 64-bit mix of the
 * room id and the node's seed; the node's score is {@code weight / -ln(u)} and the highest score
 * wins. That score is exponentially distributed with rate 1/weight, so a node's expected share is
 * its weight over the sum of weights; and because a pair's score never depends on the other nodes,
 * adding, removing or re-weighting one node moves rooms only to or from that node, never between
 * two others (the property the planner relies on; tested over 1,000,000 ids).
 *
 * <p>Stateless and thread-safe. A lookup costs one mix and one logarithm per candidate node.
 */
public final class Rendezvous {
    private Rendezvous() {
    }

    /** The seed of a node id: a 64-bit FNV-1a hash of its UTF-16 chars, finalized. */
    public static long seed(String nodeId) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < nodeId.length(); i++) {
            h ^= nodeId.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** murmur3's 64-bit finalizer: every input bit affects every output bit. */
    public static long mix(long z) {
        z ^= z >>> 33;
        z *= 0xff51afd7ed558ccdL;
        z ^= z >>> 33;
        z *= 0xc4ceb9fe1a85ec53L;
        z ^= z >>> 33;
        return z;
    }

    /** The score of {@code room} on the node with {@code seed} and {@code weight}; higher wins. */
    public static double score(long room, long seed, double weight) {
        long h = mix(mix(room) ^ seed);
        // 53 random bits as a double in (0, 1): never 0, so the logarithm is finite and negative.
        double u = ((h >>> 11) + 0.5) * 0x1.0p-53;
        return weight / -Math.log(u);
    }

    /**
     * The index of the winning node, or -1 if there are none.
     *
     * @param seeds   the candidates' {@link #seed}s
     * @param weights their weights (&gt; 0), same length
     * @param count   how many of the arrays' entries are candidates
     */
    public static int pick(long room, long[] seeds, double[] weights, int count) {
        int best = -1;
        double bestScore = -1;
        for (int i = 0; i < count; i++) {
            double s = score(room, seeds[i], weights[i]);
            if (s > bestScore) {
                bestScore = s;
                best = i;
            }
        }
        return best;
    }
}
