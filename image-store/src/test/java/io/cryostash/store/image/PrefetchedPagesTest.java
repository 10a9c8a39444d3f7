// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.schema.image.Credentials;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.FsState;
import io.cryostash.schema.image.HostInfo;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MmLayout;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ProcessInfo;
import io.cryostash.schema.image.ProcessTimers;
import io.cryostash.schema.image.ThreadState;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.store.CorruptChunkException;
import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.store.repository.StoreSettings;

/**
 * Restore's prefetched pages ({@link ImageStore#pages(ProcessImage)}): an image of a big area
 * (random pages, so its one pack is read in several ranged reads) and a small one that repeats
 * a chunk of the big one. What restore writes must be the saved pages, and fetching ahead must
 * not loosen a single check: a chunk damaged in the middle of the pack and a pack gone are both
 * refused by the area that needs them.
 */
class PrefetchedPagesTest {
    private static final int PAGE = 4096;
    private static final long BIG = 0x10000000L;
    private static final long SMALL = 0x20000000L;
    private static final int BIG_PAGES = 1536; // 6 MiB of random pages: one pack, three ranged reads

    @TempDir
    Path tmp;

    private ImageStore store;
    private ProcessImage image;
    private byte[] big;
    private byte[] small;

    @BeforeEach
    void writeAnImage() throws IOException {
        store = ImageStore.open(StoreSettings.local(tmp.resolve("store"), tmp.resolve("state"), "host-a"));
        big = new byte[BIG_PAGES * PAGE];
        new Random(7).nextBytes(big);
        small = java.util.Arrays.copyOfRange(big, 16 * PAGE, 32 * PAGE); // the big area's second chunk again
        Path exe = tmp.resolve("prog");
        java.nio.file.Files.write(exe, new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 3, 4});
        try (ImageWriter w = store.newImage()) {
            io.cryostash.schema.store.FileRef code = w.putFile(exe);
            AreaChunks b = w.putArea(new AreaChunker(), BIG, big.length, AreaChunker.PagePresence.all(), reader(big, BIG));
            AreaChunks s = w.putArea(new AreaChunker(), SMALL, small.length, AreaChunker.PagePresence.all(), reader(small, SMALL));
            image = store.commit(w, image(exe.toString(), code, b, s));
        }
        image = store.read(image.id());
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static AreaChunker.MemoryReader reader(byte[] mem, long base) {
        return (addr, dst) -> dst.put(mem, (int) (addr - base), dst.remaining());
    }

    /** A process image as ForgedManifestTest makes one, with a big and a small area of stored pages. */
    static ProcessImage image(String exe, io.cryostash.schema.store.FileRef code, AreaChunks big, AreaChunks small) {
        long[] r = new long[CpuRegisters.COUNT];
        r[16] = 0x400010; // rip, in the code area
        return new ProcessImage(ProcessImage.FORMAT_VERSION, null, null, "full", Instant.parse("2026-01-01T00:00:00Z"),
                new HostInfo("host-a", "6.18", "amd64", null, 2),
                new ProcessInfo(10, 1, 10, 10, "prog", List.of("prog"), exe, 0),
                new Credentials(1000, 1000, 1000, 1000, 100, 100, 100, 100, List.of()),
                new MmLayout(0x400000, 0x401000, 0, 0, 0x600000, 0x600000, 0x7ff000, 0, 0, 0, 0, new byte[16], exe),
                List.of(new MemoryArea(0x400000, 0x401000, "r-xp", 0, exe, MemoryArea.Kind.FILE_PRIVATE, null, java.util.Set.of()),
                        new MemoryArea(BIG, BIG + big.length(), "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS, big, java.util.Set.of()),
                        new MemoryArea(SMALL, SMALL + small.length(), "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS, small, java.util.Set.of())),
                List.of(new ThreadState(10, CpuRegisters.fromArray(r), new byte[2], 0, null, null, 0, 0, 0, "prog",
                        List.of(), false)),
                List.of(new io.cryostash.schema.image.SignalAction(15, 0x400100, 0, 0, 0)), new FsState("/", "/", 022),
                List.of(io.cryostash.schema.image.FdEntry.withoutRecord(3, io.cryostash.schema.image.FdEntry.Kind.REGULAR, exe, 0, 0)),
                List.of(new io.cryostash.schema.image.Rlimit(7, "nofile", 1024, 4096)),
                List.of(new io.cryostash.schema.image.FileFingerprint(exe, 8, 1, 2, code)), ProcessTimers.NONE, List.of(), null, null);
    }

    /** Every area's pages as a source delivers them, written into copies of the areas. */
    private static byte[][] written(PageSource pages, ProcessImage image) {
        byte[][] out = new byte[image.areas().size()][];
        for (int i = 0; i < out.length; i++) {
            MemoryArea a = image.areas().get(i);
            byte[] mem = new byte[a.content() == null ? 0 : (int) a.length()];
            pages.forEachRun(a, (first, buf) -> {
                synchronized (mem) {
                    buf.get(mem, (int) (first * PAGE), buf.remaining());
                }
            });
            out[i] = mem;
        }
        return out;
    }

    private ChunkIndex.Location locate(ChunkKey k) {
        return store.repository().chunks().index().lookup(k).orElseThrow();
    }

    @Test
    void prefetchedPagesAreTheSavedPages() {
        byte[][] got;
        try (PageSource pages = store.pages(image)) {
            got = written(pages, image);
        }
        assertThat(got[1]).isEqualTo(big);
        assertThat(got[2]).isEqualTo(small);
        try (PageSource plain = store.pages()) {
            assertThat(written(plain, image)).isDeepEqualTo(got);
        }
    }

    @Test
    void aDirectoryStoreLendsEachChunkFromItsOwnDirectMemoryCheckedAgainstItsKey() throws IOException {
        List<ChunkKey> keys = image.areas().get(1).content().chunks().stream().map(c -> c.key()).distinct().toList();
        java.util.Set<ChunkKey> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        store.repository().chunks().readChunkBuffers(keys, (k, buf) -> {
            // read with O_DIRECT and decompressed into the reading thread's buffer: no array per chunk
            assertThat(buf.isDirect()).isTrue();
            assertThat(io.cryostash.store.Hashing.key(buf)).isEqualTo(k);
            seen.add(k);
        });
        assertThat(seen).containsExactlyInAnyOrderElementsOf(keys);
    }

    @Test
    void anAreaIsHandedItsChunksInTheOrderTheyAreFetched() {
        // fetched in area order, so the writes can follow the fetch: an area handed its chunks in
        // another order (its chunk set's) waited for each at random and wrote only once nearly
        // all of it was in
        List<Long> firsts = new java.util.ArrayList<>();
        try (PageSource pages = store.pages(image)) {
            pages.forEachRun(image.areas().get(1), (first, buf) -> firsts.add(first));
        }
        assertThat(firsts).hasSize(BIG_PAGES / 16).isSorted();
    }

    @Test
    void aChunkDamagedInTheMiddleOfThePackIsRefusedByItsArea() throws IOException {
        AreaChunks content = image.areas().get(1).content();
        ChunkKey victim = content.chunks().get(content.chunks().size() / 2).key();
        ChunkIndex.Location loc = locate(victim);
        assertThat(loc.entry().offset()).as("a chunk past the first ranged read").isGreaterThan(2L << 20);
        Backend backend = store.repository().chunks().backend();
        byte[] pack = backend.get(PackReader.objectName(loc.packId()));
        pack[(int) loc.entry().offset() + 10] ^= 1;
        backend.put(PackReader.objectName(loc.packId()), pack);

        try (PageSource pages = store.pages(image)) {
            assertThatThrownBy(() -> written(pages, image)).isInstanceOf(ImageIntegrityException.class)
                    .hasCauseInstanceOf(CorruptChunkException.class).hasMessageContaining(victim.hex());
        }
    }

    @Test
    void aPackGoneAfterTheImageWasReadIsRefusedByTheAreaThatNeedsIt() throws IOException {
        ChunkKey first = image.areas().get(1).content().chunks().get(0).key();
        store.repository().chunks().backend().delete(PackReader.objectName(locate(first).packId()));

        try (PageSource pages = store.pages(image)) {
            assertThatThrownBy(() -> pages.forEachRun(image.areas().get(1), (p, b) -> { }))
                    .isInstanceOf(ImageIntegrityException.class).hasCauseInstanceOf(ChunkMissingException.class)
                    .hasMessageContaining(locate(first).packId());
        }
    }

    @Test
    void closingBeforeTheAreasAreWrittenStopsTheFetch() throws Exception {
        PageSource pages = store.pages(image);
        pages.close();
        // nothing is left waiting: a restore that failed early leaves no thread behind
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("cryostash-prefetch"))) {
            assertThat(System.nanoTime()).as("the prefetch thread ends").isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
