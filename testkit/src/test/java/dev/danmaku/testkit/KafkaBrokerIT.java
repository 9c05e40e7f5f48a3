package dev.danmaku.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The test broker is a real Kafka: it serves, stops, restarts on the same port with its data, and dies with its owner. */
@Timeout(120)
class KafkaBrokerIT {
    @TempDir
    Path dir;

    @Test
    void shouldServeRecordsAcrossARestartOnTheSamePort() throws Exception {
        try (KafkaBroker broker = KafkaBroker.start(dir)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("t", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            produce(broker, "one");
            broker.stop();
            assertThat(broker.running()).isFalse();
            broker.start();
            produce(broker, "two");
            assertThat(broker.readAll("t")).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("one", "two");
        }
    }

    private static void produce(KafkaBroker broker, String value) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("t", 0, null, value.getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
    }
}
