package dev.danmaku.engine.sink;

import dev.danmaku.engine.journal.JournalLayout;
import dev.danmaku.engine.journal.JournalRecord;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeProducersResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes journal bullets to Kafka exactly once per journal record (so once per room + epoch +
 * sequence), in order per room, with a transactional producer. Record format:
 * {@link KafkaRecordFormat}.
 *
 * <p>Exactly once across crashes:
 * <ul>
 *   <li>Every {@link #write} is one Kafka transaction, committed before {@code write} returns, so the
 *       tailer advances its position only past records Kafka has committed; a failure anywhere
 *       (send, commit, timeout) throws and the tailer retries from its last position.</li>
 *   <li>{@link #recoverPosition} (before the first write and after every failure) closes the old
 *       producer and calls {@code initTransactions} on a new one with the same
 *       {@code transactional.id}. That fences any earlier incarnation (a zombie, or this node before
 *       a kill -9) and finishes its open transaction: aborted if it had not begun to commit,
 *       otherwise waited for. From then on what Kafka holds for this node cannot change behind our
 *       back.</li>
 *   <li>It then reads (read_committed) the last record of this node in every partition and returns
 *       the greatest journal position found. Transactions are written one after the other and each
 *       is all-or-nothing, so every journal bullet at or before that position is committed and none
 *       after it is: resuming after it writes each missing bullet once and no bullet twice.</li>
 *   <li>A bullet whose position is not after its partition's last position is skipped. A second
 *       guard normally; the one that counts when recovery had to abort a hanging transaction (see
 *       {@link #resumePosition}), and resumes earlier than the greatest position.</li>
 * </ul>
 * An idempotent producer alone is not enough: its sequence numbers die with the process, and with
 * records of one write in flight to several partitions a crash can leave a later position
 * committed in one partition and an earlier one missing in another.
 *
 * <p>Owned by the sink's tailer thread, apart from {@link #producerRetries()} (any thread).
 */
public final class KafkaSinkWriter implements SinkWriter {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSinkWriter.class);

    private final KafkaSinkSettings settings;
    private final byte[] node;
    private final KafkaRecordFormat format = new KafkaRecordFormat();
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
    private final Callback callback = (metadata, exception) -> {
        if (exception != null) {
            sendFailure.compareAndSet(null, exception);
        }
    };
    private volatile KafkaProducer<byte[], byte[]> producer;
    /** Retries of closed producers (the live one's are added on read). */
    private volatile long retriesOfClosedProducers;
    private int partitions = -1;
    /** Per partition: whether the current recovery aborted a hanging transaction there. */
    private boolean[] abortedInRecovery = new boolean[0];
    /** Per partition: journal position of this node's last committed record there. */
    private long[] lastWritten = new long[0];
    private long[] pending = new long[0];

    public KafkaSinkWriter(KafkaSinkSettings settings) {
        this.settings = settings;
        this.node = settings.nodeId().getBytes(StandardCharsets.UTF_8);
    }

    /** Partitions of the topic (after the first recovery), else -1. */
    public int partitions() {
        return partitions;
    }

    @Override
    public long recoverPosition() throws Exception {
        closeProducer();
        partitions = ensureTopic();
        KafkaProducer<byte[], byte[]> p = newProducer();
        try {
            p.initTransactions();
        } catch (RuntimeException e) {
            p.close(Duration.ZERO);
            throw e;
        }
        producer = p;
        abortedInRecovery = new boolean[partitions];
        lastWritten = scanLastPositions();
        pending = new long[partitions];
        return resumePosition(lastWritten, abortedInRecovery);
    }

    /**
     * Where the tailer resumes, from each partition's last committed position: the greatest, because
     * a transaction is all-or-nothing, so every record at or before it is in Kafka. Except after this
     * recovery aborted a hanging transaction: that transaction may have been committed on other
     * partitions (the coordinator said so in KafkaOutageIT) while its records on the aborted ones are
     * now invisible, so the greatest position can be past records Kafka no longer shows. Then it is
     * the least of the aborted partitions' positions: everything after is sent again, and the
     * per-partition guard in {@link #write} skips what each partition already holds.
     */
    static long resumePosition(long[] lastWritten, boolean[] aborted) {
        long max = Position.NONE;
        long minAborted = Long.MAX_VALUE;
        for (int p = 0; p < lastWritten.length; p++) {
            max = Math.max(max, lastWritten[p]);
            if (aborted[p]) {
                minAborted = Math.min(minAborted, lastWritten[p]);
            }
        }
        return minAborted == Long.MAX_VALUE ? max : minAborted;
    }

    @Override
    public void write(RecordBatch batch) throws Exception {
        KafkaProducer<byte[], byte[]> p = producer;
        if (p == null) {
            throw new IllegalStateException("write before recoverPosition");
        }
        boolean open = false;
        try {
            System.arraycopy(lastWritten, 0, pending, 0, partitions);
            sendFailure.set(null);
            for (int i = 0; i < batch.size(); i++) {
                JournalRecord r = batch.record(i);
                if (r.kind() != JournalLayout.KIND_BULLET) {
                    continue; // ROOM and EPOCH records are not sent (see KafkaRecordFormat)
                }
                int partition = KafkaRecordFormat.partition(r.roomId(), partitions);
                long position = batch.position(i);
                if (position <= pending[partition]) {
                    continue; // already committed (second guard; see the class comment)
                }
                if (!open) {
                    p.beginTransaction();
                    open = true;
                }
                ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(settings.topic(), partition,
                        r.acceptTimeMs(), KafkaRecordFormat.key(r.roomId()), format.value(r));
                KafkaRecordFormat.headers(rec.headers(), r, node, position);
                p.send(rec, callback);
                pending[partition] = position;
            }
            if (open) {
                // Flushes every send; throws if any failed, or on timeout (max.block.ms).
                p.commitTransaction();
                Exception failed = sendFailure.get();
                if (failed != null) {
                    throw failed;
                }
                long[] t = lastWritten;
                lastWritten = pending;
                pending = t;
            }
        } catch (Exception e) {
            // The transaction's outcome is now unknown; a new producer's initTransactions settles it.
            closeProducer();
            throw e;
        }
    }

    /** Creates the topic if it is missing; returns its partition count. */
    private int ensureTopic() throws Exception {
        long timeout = settings.timeoutMs();
        try (Admin admin = newAdmin()) {
            try {
                return describe(admin, timeout).partitions().size();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            short rf = (short) settings.replicationFactor();
            if (rf == 0) {
                rf = (short) Math.min(3, admin.describeCluster().nodes().get(timeout, TimeUnit.MILLISECONDS).size());
            }
            try {
                admin.createTopics(List.of(new NewTopic(settings.topic(), settings.partitions(), rf)))
                        .all().get(timeout, TimeUnit.MILLISECONDS);
                LOG.info("kafka sink: created topic {} ({} partitions, replication factor {})", settings.topic(),
                        settings.partitions(), rf);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            // Metadata of a new topic may take a moment to reach every broker.
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout);
            while (true) {
                try {
                    return describe(admin, timeout).partitions().size();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() - deadline > 0) {
                        throw e;
                    }
                    Thread.sleep(100);
                }
            }
        }
    }

    private Admin newAdmin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(settings.timeoutMs(), 30_000));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) settings.timeoutMs());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "danmaku-sink-admin-" + settings.nodeId());
        return Admin.create(props);
    }

    private TopicDescription describe(Admin admin, long timeoutMs) throws Exception {
        return admin.describeTopics(List.of(settings.topic())).allTopicNames().get(timeoutMs, TimeUnit.MILLISECONDS)
                .get(settings.topic());
    }

    private KafkaProducer<byte[], byte[]> newProducer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, settings.transactionalId());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.transactionalId());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, settings.compression());
        props.put(ProducerConfig.LINGER_MS_CONFIG, settings.lingerMs());
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, settings.batchBytes());
        int requestTimeout = (int) Math.min(settings.timeoutMs(), 30_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, requestTimeout);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) settings.timeoutMs() + settings.lingerMs() + 5_000);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, settings.timeoutMs());
        // A transaction left open by an outage must not hold the partitions' stable offset (and so
        // this sink's recovery) for Kafka's default 60 s: the coordinator aborts it after this long.
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) settings.timeoutMs() + settings.lingerMs() + 10_000);
        props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        props.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 1_000);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Per partition, the position in the danmaku.position header of this node's last committed record,
     * reading backwards from the end in growing windows, at most {@code recoveryScan} records per
     * partition ({@link Position#NONE} if none is found).
     */
    private long[] scanLastPositions() throws Exception {
        // Resolved first: see settledEndOffsets.
        long[] last = new long[partitions];
        Arrays.fill(last, Position.NONE);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "danmaku-sink-recovery-" + settings.nodeId());
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(settings.timeoutMs(), 30_000));
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) settings.timeoutMs());
        Duration timeout = Duration.ofMillis(settings.timeoutMs());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>(partitions);
            for (int i = 0; i < partitions; i++) {
                parts.add(new TopicPartition(settings.topic(), i));
            }
            Map<TopicPartition, Long> begin = c.beginningOffsets(parts, timeout);
            Map<TopicPartition, Long> end = settledEndOffsets(c, parts, props, timeout);
            for (TopicPartition tp : parts) {
                last[tp.partition()] = scanPartition(c, tp, begin.get(tp), end.get(tp));
            }
        }
        return last;
    }

    /**
     * The last stable offsets (read_committed end), once every transaction that was open when this
     * is called has finished: waits until they reach the high watermarks (read_uncommitted end)
     * taken first. A transaction whose commit was in flight when Kafka went away can still complete
     * after the next producer's initTransactions returns (seen in KafkaOutageIT: its records became
     * visible after the scan and were written again); reading only once it is settled, one way or
     * the other, closes that window. Other nodes' transactions are short, so this waits briefly.
     */
    private Map<TopicPartition, Long> settledEndOffsets(KafkaConsumer<byte[], byte[]> committed,
                                                        List<TopicPartition> parts, Properties props,
                                                        Duration timeout) throws Exception {
        Properties uncommitted = new Properties();
        uncommitted.putAll(props);
        uncommitted.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        Map<TopicPartition, Long> high;
        try (KafkaConsumer<byte[], byte[]> u = new KafkaConsumer<>(uncommitted, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            high = u.endOffsets(parts, timeout);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<TopicPartition, Long> stable = committed.endOffsets(parts, timeout);
            boolean settled = true;
            for (TopicPartition tp : parts) {
                settled &= stable.get(tp) >= high.get(tp);
            }
            if (settled) {
                return stable;
            }
            if (System.nanoTime() - deadline > 0) {
                if (abortHangingTransactions(parts) > 0) {
                    deadline = System.nanoTime() + timeout.toNanos();
                    continue;
                }
                throw new TimeoutException("kafka sink recovery: open transactions on " + settings.topic()
                        + " did not finish within " + timeout.toMillis() + " ms");
            }
            Thread.sleep(50);
        }
    }

    /**
     * Aborts this sink's own hanging transactions: data of its producer id still open on a partition
     * while the coordinator has no transaction in progress for its transactional id, so nothing will
     * ever write the marker and the partition's stable offset never moves. Seen in KafkaOutageIT when
     * the broker stopped in the middle of a commit: the coordinator's log says the commit completed,
     * the partitions have no marker, and recovery waited forever. Aborting hides those records from
     * read_committed readers; the scan then finds the last position before them, and
     * {@link #resumePosition} resumes at or before it, so the journal sends them again: nothing lost,
     * nothing twice. Other producers' transactions are never touched.
     *
     * @return how many partitions got an abort marker
     */
    private int abortHangingTransactions(List<TopicPartition> parts) throws Exception {
        long timeout = settings.timeoutMs();
        try (Admin admin = newAdmin()) {
            TransactionDescription mine = admin.describeTransactions(List.of(settings.transactionalId()))
                    .description(settings.transactionalId()).get(timeout, TimeUnit.MILLISECONDS);
            TransactionState state = mine.state();
            if (state == TransactionState.ONGOING || state == TransactionState.PREPARE_COMMIT
                    || state == TransactionState.PREPARE_ABORT) {
                return 0; // the coordinator will finish it
            }
            int aborted = 0;
            Map<TopicPartition, DescribeProducersResult.PartitionProducerState> producers =
                    admin.describeProducers(parts).all().get(timeout, TimeUnit.MILLISECONDS);
            for (Map.Entry<TopicPartition, DescribeProducersResult.PartitionProducerState> e : producers.entrySet()) {
                for (ProducerState p : e.getValue().activeProducers()) {
                    if (p.producerId() != mine.producerId() || p.currentTransactionStartOffset().isEmpty()) {
                        continue;
                    }
                    admin.abortTransaction(new AbortTransactionSpec(e.getKey(), p.producerId(),
                            (short) p.producerEpoch(), p.coordinatorEpoch().orElse(-1)))
                            .all().get(timeout, TimeUnit.MILLISECONDS);
                    abortedInRecovery[e.getKey().partition()] = true;
                    LOG.warn("kafka sink: aborted this sink's hanging transaction on {} (producer {} epoch {}, "
                            + "open since offset {}; the coordinator had none in progress)", e.getKey(),
                            p.producerId(), p.producerEpoch(), p.currentTransactionStartOffset().getAsLong());
                    aborted++;
                }
            }
            return aborted;
        }
    }

    private long scanPartition(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long begin, long end)
            throws TimeoutException {
        c.assign(List.of(tp));
        long upTo = end;
        long window = 64;
        long scanned = 0;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.timeoutMs());
        while (upTo > begin && scanned < settings.recoveryScan()) {
            long from = Math.max(begin, upTo - window);
            c.seek(tp, from);
            long found = Position.NONE;
            // Read [from, upTo): control records and aborted records are skipped but still move the position.
            while (c.position(tp) < upTo) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                    if (r.offset() < upTo && KafkaRecordFormat.fromNode(r.headers(), node)) {
                        found = Math.max(found, KafkaRecordFormat.longHeader(r.headers(), KafkaRecordFormat.POSITION,
                                Position.NONE));
                    }
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new TimeoutException("kafka sink recovery: reading " + tp + " timed out");
                }
            }
            if (found != Position.NONE) {
                return found;
            }
            scanned += upTo - from;
            upTo = from;
            window = Math.min(window * 4, 100_000);
        }
        if (upTo > begin) {
            LOG.warn("kafka sink recovery: no record of node {} in the last {} records of {}; relying on the saved "
                    + "position for that partition", settings.nodeId(), scanned, tp);
        }
        return Position.NONE;
    }

    /** Record retries of this sink's producers (Kafka's record-retry-total), for metrics. Any thread. */
    public long producerRetries() {
        return retriesOfClosedProducers + retries(producer);
    }

    private static long retries(KafkaProducer<byte[], byte[]> p) {
        if (p == null) {
            return 0;
        }
        try {
            for (Map.Entry<MetricName, ? extends Metric> e : p.metrics().entrySet()) {
                if (e.getKey().name().equals("record-retry-total") && e.getKey().group().equals("producer-metrics")) {
                    return (long) ((Number) e.getValue().metricValue()).doubleValue();
                }
            }
        } catch (RuntimeException e) {
            // closed concurrently: counted in retriesOfClosedProducers
        }
        return 0;
    }

    private void closeProducer() {
        KafkaProducer<byte[], byte[]> p = producer;
        if (p != null) {
            retriesOfClosedProducers += retries(p);
            producer = null;
            try {
                // No wait: an open transaction is settled by the next producer's initTransactions.
                p.close(Duration.ZERO);
            } catch (RuntimeException e) {
                LOG.debug("kafka sink: closing the producer: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        closeProducer();
    }
}
