package dev.danmaku.engine.ring;

import dev.danmaku.codec.ErrorCode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FusedStagesTest {
    private final List<String> calls = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    private Stage recording(String name, int throwOn) {
        return new Stage() {
            @Override
            public void prefetch(RingEvent[] events, int count) {
                for (int i = 0; i < count; i++) {
                    calls.add(name + ".prefetch" + events[i].userId);
                }
            }

            @Override
            public void onEvent(RingEvent e) {
                calls.add(name + ".event" + e.userId);
                if (e.userId == throwOn) {
                    throw new IllegalStateException("boom");
                }
            }

            @Override
            public void onEndOfBatch(RingEvent last) {
                calls.add(name + ".end" + last.userId);
            }
        };
    }

    private static RingEvent[] events(int n) {
        RingEvent[] events = new RingEvent[n];
        for (int i = 0; i < n; i++) {
            events[i] = new RingEvent();
            events[i].reset(RingEvent.KIND_FRAME, null, 0);
            events[i].userId = i + 1;
        }
        return events;
    }

    @Test
    void shouldRunTheBatchStageByStagePrefetchingFirstAndEndingEachStageAfterItsLastEvent() {
        FusedStages stages = new FusedStages(recording("d", -1), recording("a", -1), recording("j", -1),
                recording("f", -1), (stage, t) -> failures.add(t.getMessage()));
        stages.run(events(2), 2);
        assertThat(calls).containsExactly(
                "d.prefetch1", "d.prefetch2", "d.event1", "d.event2", "d.end2",
                "a.prefetch1", "a.prefetch2", "a.event1", "a.event2", "a.end2",
                "j.prefetch1", "j.prefetch2", "j.event1", "j.event2", "j.end2",
                "f.prefetch1", "f.prefetch2", "f.event1", "f.event2", "f.end2");
        assertThat(failures).isEmpty();
    }

    @Test
    void shouldAnswerAnEventWhoseStageThrowsInternalAndGoOnWithTheRest() {
        FusedStages stages = new FusedStages(recording("d", -1), recording("a", 1), recording("j", -1),
                recording("f", -1), (stage, t) -> failures.add(t.getMessage()));
        RingEvent[] batch = events(2);
        stages.run(batch, 2);
        assertThat(failures).containsExactly("boom");
        assertThat(batch[0].status).isEqualTo(ErrorCode.INTERNAL.code());
        assertThat(batch[1].status).isZero();
        assertThat(calls).contains("a.event2", "j.event1", "j.event2", "f.end2");
    }
}
