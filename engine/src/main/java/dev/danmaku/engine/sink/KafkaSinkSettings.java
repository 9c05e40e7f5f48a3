package dev.danmaku.engine.sink;

import dev.danmaku.engine.config.NodeConfig;

/**
 * The Kafka sink's settings (the {@code kafka.*} keys of {@link NodeConfig}). Immutable.
 *
 * @param bootstrapServers  HOST:PORT[,HOST:PORT]; empty = the sink is off
 * @param topic             the topic bullets go to
 * @param partitions        partitions of a topic the sink creates
 * @param replicationFactor replication factor of a created topic; 0 = min(3, brokers)
 * @param compression       producer compression.type
 * @param lingerMs          producer linger.ms
 * @param batchBytes        producer batch.size, bytes
 * @param batchRecords      journal records per write (one transaction)
 * @param timeoutMs         bound on every blocking Kafka call, ms
 * @param transactionalId   the producer's transactional.id (one per journal)
 * @param nodeId            this node's id (the danmaku.node header)
 * @param degradedAfterMs   /health is degraded past this age of the oldest unwritten bullet, ms
 * @param recoveryScan      records read back per partition to find this node's last record
 */
public record KafkaSinkSettings(String bootstrapServers, String topic, int partitions, int replicationFactor,
                                String compression, int lingerMs, int batchBytes, int batchRecords, long timeoutMs,
                                String transactionalId, String nodeId, long degradedAfterMs, int recoveryScan) {

    public static KafkaSinkSettings from(NodeConfig c) {
        String nodeId = c.get(NodeConfig.NODE_ID);
        String txId = c.get(NodeConfig.KAFKA_TRANSACTIONAL_ID);
        return new KafkaSinkSettings(c.get(NodeConfig.KAFKA_BOOTSTRAP).trim(), c.get(NodeConfig.KAFKA_TOPIC),
                c.get(NodeConfig.KAFKA_PARTITIONS), c.get(NodeConfig.KAFKA_REPLICATION),
                c.get(NodeConfig.KAFKA_COMPRESSION), c.get(NodeConfig.KAFKA_LINGER_MS),
                c.get(NodeConfig.KAFKA_BATCH_BYTES), c.get(NodeConfig.KAFKA_BATCH_RECORDS),
                c.get(NodeConfig.KAFKA_TIMEOUT_MS), txId.isBlank() ? "danmaku-sink-" + nodeId : txId.trim(), nodeId,
                c.get(NodeConfig.KAFKA_DEGRADED_AFTER_MS), c.get(NodeConfig.KAFKA_RECOVERY_SCAN));
    }

    /** True if the sink is configured. */
    public boolean enabled() {
        return !bootstrapServers.isEmpty();
    }
}
