// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.backend.DirectoryBackend;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.sign.HostKeys;
import io.cryostash.store.sign.TrustedKeys;

/**
 * Issue 12, item 17, with the retention merge's leases: a lock left by a process that died on
 * this host is taken over at once, not after the 30 minutes a lock of an unknown holder needs to
 * go stale; live holders and holders this host cannot judge still count.
 */
class StoreLockTest {
    private static final HostKeys KEYS = HostKeys.ephemeral();

    @TempDir
    Path tmp;

    private DirectoryBackend backend;
    private Repository repo;

    @BeforeEach
    void open() throws IOException {
        backend = new DirectoryBackend(tmp.resolve("store"));
        repo = Repository.open(backend, KEYS, TrustedKeys.of(KEYS.publicKey()), "host-a", null,
                ChunkStore.Options.defaults().withThreads(2));
    }

    @AfterEach
    void close() throws IOException {
        repo.close();
    }

    /** The owner record of a process that ran here and has exited (its pid is free or reused now). */
    private static LockOwner deadProcessHere() throws Exception {
        Process p = new ProcessBuilder("sleep", "60").start();
        long start = LockOwner.startTicks(Long.toString(p.pid()));
        assertThat(start).isPositive();
        LockOwner me = LockOwner.current("host-a");
        p.destroyForcibly().waitFor();
        return new LockOwner("host-a", me.machine(), me.boot(), me.pidNamespace(), p.pid(), start,
                Instant.now().minusSeconds(5));
    }

    private void leave(String kind, LockOwner owner) throws IOException {
        backend.put(StoreFormat.LOCKS + kind + "-left-behind", LockContent.of(owner, java.util.Set.of()).encode());
    }

    @Test
    void aLockOfACheckpointThatDiedHereIsTakenOverAtOnce() throws Exception {
        leave("capture", deadProcessHere());
        String orphan = packNoIndexNames(); // what the killed checkpoint had uploaded
        GarbageCollector.Report r = repo.collectGarbage(new GarbageCollector.Options(Duration.ofHours(6), 0.5));
        assertThat(r.manifests()).isZero();
        assertThat(backend.list(StoreFormat.LOCKS)).as("the dead holder's lease was removed").isEmpty();
        assertThat(r.deletedPacks()).as("no capture can still index it: gone at once, no grace").containsExactly(orphan);

        leave("capture", deadProcessHere());
        Repository.repairIndex(backend, "host-a"); // repair-index, which no capture may run beside, takes it over too
        assertThat(backend.list(StoreFormat.LOCKS)).isEmpty();
    }

    /**
     * Since the retention merge a capture never waits for GC; a dead GC lock still must not keep
     * the next GC out, nor a dead repair lock the captures.
     */
    @Test
    void deadGcAndRepairLocksDoNotBlockTheNextRun() throws Exception {
        leave("gc", deadProcessHere());
        repo.collectGarbage(GarbageCollector.Options.defaults());
        assertThat(backend.list(StoreFormat.LOCKS)).isEmpty();
        leave("repair", deadProcessHere());
        try (ImageWriter w = repo.newImage()) {
            w.put(new byte[4096]);
            w.commit("{}".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(backend.list(StoreFormat.LOCKS)).isEmpty();
    }

    @Test
    void aPidReusedByAnotherProcessDoesNotKeepTheLock() throws Exception {
        LockOwner me = LockOwner.current("host-a");
        leave("repair", new LockOwner("host-a", me.machine(), me.boot(), me.pidNamespace(), me.pid(),
                me.startTicks() - 1, Instant.now()));
        repo.collectGarbage(GarbageCollector.Options.defaults());
        assertThat(backend.list(StoreFormat.LOCKS)).isEmpty();
    }

    @Test
    void aLiveHolderStillKeepsItsLockAndIsNamed() throws Exception {
        LockOwner me = LockOwner.current("host-a");
        leave("gc", me);
        assertThatThrownBy(() -> repo.collectGarbage(GarbageCollector.Options.defaults()))
                .isInstanceOf(StoreLockedException.class).hasMessageContaining("host host-a pid " + me.pid());
        backend.delete(StoreFormat.LOCKS + "gc-left-behind");

        // a live capture's lease: GC runs beside it, leaves it and gives unindexed packs their grace;
        // repair-index waits
        leave("capture", me);
        String fresh = packNoIndexNames();
        GarbageCollector.Report r = repo.collectGarbage(GarbageCollector.Options.defaults());
        assertThat(r.unindexedPacksKept()).isEqualTo(1);
        assertThat(backend.exists(PackReader.objectName(fresh))).isTrue();
        assertThat(backend.exists(StoreFormat.LOCKS + "capture-left-behind")).isTrue();
        assertThatThrownBy(() -> Repository.repairIndex(backend, "host-a"))
                .isInstanceOf(StoreLockedException.class).hasMessageContaining("host host-a pid " + me.pid());
    }

    @Test
    void aHolderOnAnotherHostCountsUntilStaleAndThenUnindexedPacksStillGetTheirGrace() throws Exception {
        LockOwner elsewhere = new LockOwner("host-b", "other-machine", "other-boot", "pid:[1]", 4242, 77, Instant.now());
        leave("capture", elsewhere);
        assertThatThrownBy(() -> Repository.repairIndex(backend, "host-a"))
                .isInstanceOf(StoreLockedException.class).hasMessageContaining("host host-b");

        // stale: its holder stopped refreshing it; it will not commit, but may still be a capture
        // that uploads, slowly, and then indexes its packs
        Files.setLastModifiedTime(backend.root().resolve(StoreFormat.LOCKS + "capture-left-behind"),
                FileTime.from(Instant.now().minus(StoreLock.STALE).minusSeconds(60)));
        String fresh = packNoIndexNames();
        GarbageCollector.Report r = repo.collectGarbage(new GarbageCollector.Options(Duration.ofHours(6), 0.5));
        assertThat(r.unindexedPacksKept()).isEqualTo(1);
        assertThat(backend.exists(PackReader.objectName(fresh))).isTrue();
    }

    @Test
    void aLockInTheOldFormatIsJudgedOnlyByItsAge() throws Exception {
        backend.put(StoreFormat.LOCKS + "gc-old", "host-a pid 1 since 2026-01-01T00:00:00Z\n"
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> repo.collectGarbage(GarbageCollector.Options.defaults()))
                .isInstanceOf(StoreLockedException.class).hasMessageContaining("host host-a pid 1");
    }

    /**
     * A condemnation record waits for every live capture lease to list it; a lease whose holder
     * died here is no capture that could commit, and is not waited for.
     */
    @Test
    void aDeadCapturesLeaseDoesNotHoldBackACondemnation() throws Exception {
        try (ImageWriter w = repo.newImage()) {
            w.put(new byte[4096]); // an image, deleted below: its pack is then dead
            repo.deleteImage(w.commit("{}".getBytes(StandardCharsets.UTF_8)));
        }
        LockOwner me = LockOwner.current("host-a");
        leave("capture", me); // a live lease that has seen no record
        GarbageCollector.Report first = repo.collectGarbage(GarbageCollector.Options.defaults());
        assertThat(first.packsCondemned()).isEqualTo(1);
        assertThat(first.recordsPending()).isEqualTo(1);
        assertThat(first.packsDeleted()).isZero();

        backend.delete(StoreFormat.LOCKS + "capture-left-behind");
        leave("capture", deadProcessHere());
        GarbageCollector.Report second = repo.collectGarbage(GarbageCollector.Options.defaults());
        assertThat(second.recordsSettled()).isEqualTo(1);
        assertThat(second.packsDeleted()).isEqualTo(1);
        assertThat(backend.list(StoreFormat.LOCKS)).isEmpty();
        assertThat(backend.list(StoreFormat.CONDEMNED)).isEmpty();
    }

    @Test
    void theLockContentKeepsItsFirstLineAndAcksReadableAndParsesBack() {
        LockOwner me = LockOwner.current("host-a");
        LockContent c = LockContent.of(me, java.util.Set.of("0000000000002-bb", "0000000000001-aa"));
        String text = new String(c.encode(), StandardCharsets.UTF_8);
        assertThat(text).startsWith("host-a pid " + me.pid() + " since ")
                .contains("\nacks 0000000000001-aa 0000000000002-bb\n").contains("\nboot " + me.boot() + "\n");
        LockContent back = LockContent.parse(c.encode());
        assertThat(back.owner()).isEqualTo(me);
        assertThat(back.acks()).containsExactlyInAnyOrder("0000000000001-aa", "0000000000002-bb");
        assertThat(back.holderProvablyDead("host-a")).isFalse();
        // what a lease written before owners were recorded says: acks read, owner unknown
        LockContent old = LockContent.parse("h pid 7 since 2026-01-01T00:00:00Z\nacks x y\n"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(old.owner()).isNull();
        assertThat(old.acks()).containsExactlyInAnyOrder("x", "y");
        assertThat(old.holder()).isEqualTo("host h pid 7 since 2026-01-01T00:00:00Z");
    }

    private String packNoIndexNames() throws IOException {
        byte[] data = new byte[4096];
        data[7] = 7;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        io.cryostash.store.pack.PackWriter w = new io.cryostash.store.pack.PackWriter(out);
        w.add(io.cryostash.store.Hashing.key(data), new io.cryostash.store.pack.ChunkCodec(1).compress(data, 0, 4096),
                4096);
        String id = w.finish().id();
        backend.put(PackReader.objectName(id), out.toByteArray());
        return id;
    }
}
