// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link Backend} must do, run once per implementation (like restic's backend test
 * suite and Okio's AbstractFileSystemTest). Subclasses only say how to make an empty back end.
 */
public abstract class BackendContractTest {
    protected Backend backend;

    /** A new back end with no objects. */
    protected abstract Backend newBackend() throws Exception;

    @BeforeEach
    void open() throws Exception {
        backend = newBackend();
    }

    @AfterEach
    void closeBackend() throws Exception {
        backend.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void putThenGetReturnsTheSameBytes() throws IOException {
        byte[] data = new byte[3 << 20];
        new Random(1).nextBytes(data);
        backend.put("packs/abc", data);
        assertThat(backend.get("packs/abc")).isEqualTo(data);
    }

    @Test
    void emptyObjectsRoundTrip() throws IOException {
        backend.put("x/empty", new byte[0]);
        assertThat(backend.get("x/empty")).isEmpty();
        assertThat(backend.stat("x/empty")).get().extracting(ObjectInfo::size).isEqualTo(0L);
    }

    @Test
    void putReplacesAnExistingObject() throws IOException {
        backend.put("a", bytes("one"));
        backend.put("a", bytes("two!"));
        assertThat(backend.get("a")).isEqualTo(bytes("two!"));
    }

    @Test
    void getOfMissingObjectThrowsNotFound() {
        assertThatThrownBy(() -> backend.get("packs/none")).isInstanceOf(ObjectNotFoundException.class);
        assertThatThrownBy(() -> backend.getRange("packs/none", 0, 10)).isInstanceOf(ObjectNotFoundException.class);
    }

    @Test
    void getRangeReturnsTheRequestedSlice() throws IOException {
        byte[] data = new byte[10_000];
        new Random(2).nextBytes(data);
        backend.put("r", data);
        assertThat(backend.getRange("r", 100, 50)).isEqualTo(java.util.Arrays.copyOfRange(data, 100, 150));
        assertThat(backend.getRange("r", 0, 10_000)).isEqualTo(data);
        assertThat(backend.getRange("r", 9_990, 10)).isEqualTo(java.util.Arrays.copyOfRange(data, 9_990, 10_000));
    }

    @Test
    void getRangePastTheEndReturnsWhatThereIs() throws IOException {
        backend.put("r", bytes("0123456789"));
        assertThat(backend.getRange("r", 8, 10)).isEqualTo(bytes("89"));
        assertThat(backend.getRange("r", 10, 5)).isEmpty();
    }

    @Test
    void listReturnsObjectsUnderPrefixSorted() throws IOException {
        backend.put("packs/b", bytes("b"));
        backend.put("packs/a", bytes("aa"));
        backend.put("index/c", bytes("c"));
        backend.put("packsx", bytes("d"));
        List<ObjectInfo> l = backend.list("packs/");
        assertThat(l).extracting(ObjectInfo::name).containsExactly("packs/a", "packs/b");
        assertThat(l).extracting(ObjectInfo::size).containsExactly(2L, 1L);
        assertThat(backend.list("")).extracting(ObjectInfo::name)
                .containsExactly("index/c", "packs/a", "packs/b", "packsx");
        assertThat(backend.list("nothing/")).isEmpty();
    }

    @Test
    void listIncludesNestedNames() throws IOException {
        backend.put("cache/ab/abcdef", bytes("x"));
        assertThat(backend.list("cache/")).extracting(ObjectInfo::name).containsExactly("cache/ab/abcdef");
    }

    @Test
    void deleteRemovesAndIsIdempotent() throws IOException {
        backend.put("d", bytes("x"));
        backend.delete("d");
        backend.delete("d");
        assertThat(backend.exists("d")).isFalse();
        assertThat(backend.list("")).isEmpty();
    }

    @Test
    void statReportsSizeAndRecentModificationTime() throws IOException {
        Instant before = Instant.now().minusSeconds(60);
        backend.put("s", new byte[1234]);
        ObjectInfo i = backend.stat("s").orElseThrow();
        assertThat(i.size()).isEqualTo(1234);
        assertThat(i.modified()).isAfter(before).isBefore(Instant.now().plusSeconds(60));
        assertThat(backend.stat("missing")).isEmpty();
        assertThat(backend.exists("s")).isTrue();
    }

    @Test
    void namesThatEscapeTheStoreAreRejected() {
        for (String bad : new String[] {"../x", "/abs", "a//b", "a/./b", "", "a b"}) {
            assertThatThrownBy(() -> backend.put(bad, new byte[1])).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void concurrentPutsOfTheSameNameLeaveOneWholeObject() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            byte[][] versions = new byte[8][];
            for (int i = 0; i < versions.length; i++) {
                versions[i] = new byte[200_000];
                java.util.Arrays.fill(versions[i], (byte) i);
                byte[] v = versions[i];
                fs.add(pool.submit(() -> {
                    backend.put("same", v);
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            byte[] got = backend.get("same");
            assertThat(got).hasSize(200_000);
            assertThat(got).containsOnly(got[0]);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void retryingBackendRecoversFromTransientPutFailures() throws IOException {
        FaultyBackend faulty = new FaultyBackend(backend).arm(FaultyBackend.Fault.FAIL_ON_PUT, 2);
        Backend b = new RetryingBackend(faulty, 3, java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(5));
        b.put("p", bytes("ok"));
        assertThat(faulty.triggered()).isEqualTo(2);
        assertThat(backend.get("p")).isEqualTo(bytes("ok"));
    }

    @Test
    void retryingBackendGivesUpAfterItsAttempts() {
        FaultyBackend faulty = new FaultyBackend(backend).arm(FaultyBackend.Fault.FAIL_ON_GET, 10);
        Backend b = new RetryingBackend(faulty, 3, java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(5));
        assertThatThrownBy(() -> b.get("x")).isInstanceOf(IOException.class).hasMessageContaining("after 3 attempts");
        assertThat(faulty.triggered()).isEqualTo(3);
    }

    @Test
    void retryingBackendDoesNotRetryMissingObjects() {
        FaultyBackend faulty = new FaultyBackend(backend);
        Backend b = new RetryingBackend(faulty, 3, java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(5));
        assertThatThrownBy(() -> b.get("missing")).isInstanceOf(ObjectNotFoundException.class);
    }
}
