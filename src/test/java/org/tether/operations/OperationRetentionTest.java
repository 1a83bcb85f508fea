package org.tether.operations;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tether.operations.OperationRecord.Delivery;
import org.tether.operations.OperationRecord.DeliveryState;
import org.tether.operations.OperationRecord.State;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/** Which operation records the retention pass deletes, on a real store directory. */
class OperationRetentionTest {
    private static final Instant NOW = Instant.parse("2026-11-22T06:00:00Z");

    @TempDir
    Path dir;

    private static OperationRecord op(String id, State state, Instant finished, DeliveryState delivery) {
        Delivery d = delivery == null ? null : new Delivery("http://controller/cb", "d-" + id, delivery, 1,
                NOW, NOW, null);
        return new OperationRecord(id, "key-" + id, "PUT", "/v1/volumes/x/exports/y", state, 200, "{}", "token:ab",
                d, finished == null ? NOW.minus(Duration.ofDays(30)) : finished.minusSeconds(5), finished);
    }

    @Test
    void onlyOldFinishedOperationsWithNothingLeftToDeliverAreDeleted() {
        OperationStore store = new OperationStore(dir);
        Instant old = NOW.minus(Duration.ofDays(8));
        store.put(op("old-no-callback", State.SUCCEEDED, old, null));
        store.put(op("old-delivered", State.FAILED, old, DeliveryState.DELIVERED));
        store.put(op("old-gave-up", State.SUCCEEDED, old, DeliveryState.GAVE_UP));
        store.put(op("old-pending", State.SUCCEEDED, old, DeliveryState.PENDING));
        store.put(op("recent", State.SUCCEEDED, NOW.minus(Duration.ofDays(6)), null));
        store.put(op("running", State.RUNNING, null, null));

        int deleted = new OperationRetention(store, Duration.ofDays(7), Clock.fixed(NOW, ZoneOffset.UTC)).purge();

        assertThat(deleted).isEqualTo(3);
        assertThat(new OperationStore(dir).all()).extracting(OperationRecord::id)
                .as("what is left is also what a restart reads back")
                .containsExactlyInAnyOrder("old-pending", "recent", "running");
        assertThat(store.byKey("token:ab", "key-old-delivered")).as("the idempotency key went with its record").isEmpty();
    }
}
