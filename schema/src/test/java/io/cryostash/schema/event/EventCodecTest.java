// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class EventCodecTest {

    private final EventCodec codec = new EventCodec();
    private final Instant now = Instant.parse("2026-12-06T10:15:30.123456Z");

    @Test
    void everyEventRoundTrips() {
        UUID id = UUID.randomUUID();
        List<Event> events = List.of(
                new SnapshotRequested(1, id, "host-a", 7, "sim", 1234, 99L, "abc123", false, 3L, "schedule:3", now),
                new CheckpointCompleted(1, id, "host-a", "sim", Map.of("team", "physics"), "abc123", "manifests/abc123", null, now, 1 << 30, 12345, 17L),
                new CheckpointFailed(1, id, "host-a", 7, "no process 1234", true, now),
                new RestoreRequested(1, id, "abc123", "manifests/abc123", "host-b", "alice", now),
                new RestoreCancelled(1, id, "host-b", now),
                new RestoreStatus(1, id, "host-b", "COMPLETED", 4321, null, now));
        for (Event e : events) {
            assertThat(codec.decode(codec.encode(e), e.getClass())).isEqualTo(e);
        }
    }

    @Test
    void timesAreIsoStringsSoTheCatalogsJacksonReadsThem() {
        String json = new String(codec.encode(new RestoreCancelled(1, UUID.randomUUID(), "h", now)), StandardCharsets.UTF_8);
        assertThat(json).contains("\"cancelledAt\":\"2026-12-06T10:15:30.123456Z\"");
    }

    @Test
    void aNewerMajorVersionIsRefusedByName() {
        String json = "{\"version\":2,\"restoreRequestId\":\"" + UUID.randomUUID() + "\",\"targetHostId\":\"h\",\"cancelledAt\":\"2026-12-06T10:15:30Z\"}";
        assertThatThrownBy(() -> codec.decode(json, RestoreCancelled.class))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("version: 2");
    }

    @Test
    void unknownFieldsAreIgnoredButMissingOnesAreNot() {
        String ok = "{\"version\":1,\"restoreRequestId\":\"" + UUID.randomUUID() + "\",\"targetHostId\":\"h\",\"cancelledAt\":\"2026-12-06T10:15:30Z\",\"newField\":1}";
        assertThat(codec.decode(ok, RestoreCancelled.class).targetHostId()).isEqualTo("h");
        String noVersion = "{\"restoreRequestId\":\"" + UUID.randomUUID() + "\",\"targetHostId\":\"h\",\"cancelledAt\":\"2026-12-06T10:15:30Z\"}";
        assertThatThrownBy(() -> codec.decode(noVersion, RestoreCancelled.class)).isInstanceOf(InvalidEventException.class);
    }

    @Test
    void badFieldsAreNamed() {
        var bad = new RestoreStatus(1, UUID.randomUUID(), "host/../b", "COMPLETED", null, null, now);
        assertThatThrownBy(() -> codec.decode(codec.encode(bad), RestoreStatus.class))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("hostId: must match")
                .hasMessageContaining("pid: is required when COMPLETED");
        var huge = new CheckpointCompleted(1, null, "h", "j", null, "i", "k", null, now, Long.MAX_VALUE, 0, null);
        assertThatThrownBy(() -> codec.decode(codec.encode(huge), CheckpointCompleted.class)).hasMessageContaining("logicalBytes");
    }

    @Test
    void dotAndDotDotAreNoIdsInAnyEvent() {
        for (String dots : List.of(".", "..")) {
            var image = new CheckpointCompleted(1, null, "h", "j", null, dots, "manifests/" + dots, dots, now, 1, 0, null);
            assertThatThrownBy(() -> codec.decode(codec.encode(image), CheckpointCompleted.class))
                    .isInstanceOf(InvalidEventException.class)
                    .hasMessageContaining("imageId: must not be . or ..")
                    .hasMessageContaining("parentId: must not be . or ..");
            var host = new RestoreRequested(1, UUID.randomUUID(), "abc123", "manifests/abc123", dots, "alice", now);
            assertThatThrownBy(() -> codec.decode(codec.encode(host), RestoreRequested.class))
                    .hasMessageContaining("targetHostId: must not be . or ..");
            var snapshot = new SnapshotRequested(1, UUID.randomUUID(), dots, 7, "sim", 1234, null, dots, false, null, "x", now);
            assertThatThrownBy(() -> codec.decode(codec.encode(snapshot), SnapshotRequested.class))
                    .hasMessageContaining("hostId: must not be . or ..")
                    .hasMessageContaining("parentImageId: must not be . or ..");
        }
        // Dots inside an id are fine (host names have them).
        var dotted = new RestoreCancelled(1, UUID.randomUUID(), "node-1.example.org", now);
        assertThat(codec.decode(codec.encode(dotted), RestoreCancelled.class)).isEqualTo(dotted);
    }

    @Test
    void garbageAndOversizedMessagesAreRefused() {
        assertThatThrownBy(() -> codec.decode("not json", RestoreStatus.class)).isInstanceOf(InvalidEventException.class);
        assertThatThrownBy(() -> codec.decode("null", RestoreStatus.class)).isInstanceOf(InvalidEventException.class);
        assertThatThrownBy(() -> codec.decode(new byte[EventCodec.MAX_BYTES + 1], RestoreStatus.class))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("bytes");
    }
}
