// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.memory;

import io.cryostash.store.Hashing;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.ChunkKey;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class AreaChunkerProperties {
    private static final int PAGE = 4096;
    private static final long BASE = 0x7f00_0000_0000L;

    /** A fake process memory: {@code pages} pages at BASE, random content with some repeats. */
    private static byte[] memory(int pages, long seed) {
        Random r = new Random(seed);
        byte[] m = new byte[pages * PAGE];
        for (int p = 0; p < pages; p++) {
            int kind = r.nextInt(4);
            if (kind == 0) {
                continue; // zero page
            }
            for (int i = 0; i < PAGE; i += 8) {
                m[p * PAGE + i] = (byte) (kind == 1 ? 7 : r.nextInt());
            }
        }
        return m;
    }

    private static BitSet presence(int pages, long seed, int density) {
        Random r = new Random(seed ^ 0x5555);
        BitSet b = new BitSet(pages);
        for (int p = 0; p < pages; p++) {
            if (r.nextInt(100) < density) {
                b.set(p);
            }
        }
        return b;
    }

    @Property(tries = 150)
    void restoreWritesBackExactlyThePresentPages(@ForAll @IntRange(min = 0, max = 700) int pages,
                                                 @ForAll @IntRange(min = 1, max = 64) int chunkPages,
                                                 @ForAll @IntRange(min = 0, max = 100) int density,
                                                 @ForAll long seed) throws Exception {
        byte[] mem = memory(pages, seed);
        BitSet present = presence(pages, seed, density);
        Map<ChunkKey, byte[]> store = new HashMap<>();
        AtomicInteger reads = new AtomicInteger();
        AreaChunker chunker = new AreaChunker(PAGE, chunkPages);

        AreaChunks area = chunker.capture(BASE, (long) pages * PAGE, AreaChunker.PagePresence.of(present),
                (addr, dst) -> {
                    reads.incrementAndGet();
                    int off = (int) (addr - BASE);
                    assertThat(off % PAGE).isZero();
                    for (int i = 0; i < dst.remaining() / PAGE; i++) {
                        assertThat(present.get(off / PAGE + i)).as("read of an absent page").isTrue();
                    }
                    dst.put(mem, off, dst.remaining());
                },
                bufs -> {
                    List<ChunkKey> ks = new ArrayList<>();
                    for (ByteBuffer b : bufs) {
                        byte[] copy = new byte[b.remaining()];
                        b.duplicate().get(copy);
                        ChunkKey k = Hashing.key(copy);
                        store.put(k, copy);
                        ks.add(k);
                    }
                    return ks;
                });

        // shape: chunk-aligned, never empty, present pages counted exactly
        assertThat(area.presentPages()).isEqualTo(present.cardinality());
        for (AreaChunk c : area.chunks()) {
            assertThat(c.firstPage() % chunkPages).isZero();
            assertThat(store.get(c.key())).hasSize(c.presentPages() * PAGE);
        }
        // one read per run of present pages at most per ~1 MiB batch
        assertThat(reads.get()).isLessThanOrEqualTo(runs(present, pages) + pages * PAGE / (1 << 20) + 1);

        byte[] restored = new byte[pages * PAGE];
        Arrays.fill(restored, (byte) 0xEE);
        AreaChunker.restore(area, (keys, sink) -> {
            for (ChunkKey k : keys) {
                sink.accept(k, store.get(k));
            }
        }, (addr, src) -> src.get(restored, (int) (addr - BASE), src.remaining()));

        for (int p = 0; p < pages; p++) {
            byte[] got = Arrays.copyOfRange(restored, p * PAGE, (p + 1) * PAGE);
            if (present.get(p)) {
                assertThat(got).as("page %d", p).isEqualTo(Arrays.copyOfRange(mem, p * PAGE, (p + 1) * PAGE));
            } else {
                byte[] untouched = new byte[PAGE];
                Arrays.fill(untouched, (byte) 0xEE);
                assertThat(got).as("absent page %d must not be written", p).isEqualTo(untouched);
            }
        }
    }

    private static int runs(BitSet b, int pages) {
        int n = 0;
        for (int p = 0; p < pages; p++) {
            if (b.get(p) && (p == 0 || !b.get(p - 1))) {
                n++;
            }
        }
        return n;
    }

    @Property(tries = 50)
    void unchangedMemoryGivesTheSameKeys(@ForAll @IntRange(min = 1, max = 300) int pages, @ForAll long seed) throws Exception {
        byte[] mem = memory(pages, seed);
        AreaChunker chunker = new AreaChunker();
        AreaChunker.ChunkPut put = bufs -> bufs.stream().map(Hashing::key).toList();
        AreaChunker.MemoryReader reader = (addr, dst) -> dst.put(mem, (int) (addr - BASE), dst.remaining());
        AreaChunks a = chunker.capture(BASE, (long) pages * PAGE, AreaChunker.PagePresence.all(), reader, put);
        // one page changes: exactly one chunk key changes
        mem[(pages / 2) * PAGE + 17] ^= 1;
        AreaChunks b = chunker.capture(BASE, (long) pages * PAGE, AreaChunker.PagePresence.all(), reader, put);
        int differing = 0;
        for (int i = 0; i < a.chunks().size(); i++) {
            if (!a.chunks().get(i).key().equals(b.chunks().get(i).key())) {
                differing++;
            }
        }
        assertThat(differing).isEqualTo(1);
    }

    /** Restores {@code area} from {@code store} into a fresh 0xEE-filled buffer, both ways, checking they agree. */
    private static byte[] restoreBoth(AreaChunks area, Map<ChunkKey, byte[]> store) throws Exception {
        int len = (int) area.length();
        byte[] viaRestore = new byte[len];
        Arrays.fill(viaRestore, (byte) 0xEE);
        AreaChunker.ChunkSource source = (keys, sink) -> {
            for (ChunkKey k : new java.util.HashSet<>(keys)) {
                sink.accept(k, store.get(k));
            }
        };
        AreaChunker.restore(area, source, (addr, src) -> src.get(viaRestore, (int) (addr - BASE), src.remaining()));
        byte[] viaRuns = new byte[len];
        Arrays.fill(viaRuns, (byte) 0xEE);
        long[] next = {0};
        AreaChunker.forEachRun(area, source, (first, buf) -> {
            assertThat(first).isGreaterThanOrEqualTo(next[0]);
            next[0] = first + buf.remaining() / PAGE;
            buf.get(viaRuns, (int) first * PAGE, buf.remaining());
        });
        assertThat(viaRuns).isEqualTo(viaRestore);
        return viaRestore;
    }

    private static AreaChunker.ChunkPut storing(Map<ChunkKey, byte[]> store) {
        return bufs -> {
            List<ChunkKey> ks = new ArrayList<>();
            for (ByteBuffer b : bufs) {
                byte[] c = new byte[b.remaining()];
                b.duplicate().get(c);
                store.put(Hashing.key(c), c);
                ks.add(Hashing.key(c));
            }
            return ks;
        };
    }

    @Example
    void aPatchEndingOnTheLastPageOfASixtyFourPageChunkIsRead() throws Exception {
        // regression: with bit 63 set the page walk shifted by 64 (a shift by 0 in Java) and never ended
        int pages = 128;
        byte[] mem = memory(pages, 64);
        BitSet all = new BitSet();
        all.set(0, pages);
        AreaChunker chunker = new AreaChunker(PAGE, 64);
        Map<ChunkKey, byte[]> store = new HashMap<>();
        AreaChunker.MemoryReader reader = (addr, dst) -> dst.put(mem, (int) (addr - BASE), dst.remaining());
        AreaChunks parent = chunker.capture(BASE, (long) pages * PAGE, AreaChunker.PagePresence.of(all), reader, storing(store));
        BitSet dirty = new BitSet();
        for (int p : new int[] {0, 63, 127}) {
            mem[p * PAGE + 5] ^= 0x42;
            dirty.set(p);
        }
        AreaChunks inc = chunker.captureIncremental(parent, BASE, (long) pages * PAGE, AreaChunker.PagePresence.of(all),
                AreaChunker.PagePresence.of(dirty), reader, storing(store));
        AreaChunks full = chunker.capture(BASE, (long) pages * PAGE, AreaChunker.PagePresence.of(all), reader, storing(store));
        assertThat(inc.patches()).isNotEmpty();
        assertThat(restoreBoth(inc, store)).isEqualTo(restoreBoth(full, store));
    }

    @Property(tries = 50)
    void incrementalCapturesRestoreLikeFullOnesAndReadOnlyChangedChunks(
            @ForAll @IntRange(min = 1, max = 400) int pages, @ForAll @IntRange(min = 1, max = 64) int chunkPages,
            @ForAll @IntRange(min = 1, max = 5) int generations, @ForAll @IntRange(min = 0, max = 20) int writes,
            @ForAll @IntRange(min = 0, max = 4) int drops, @ForAll long seed) throws Exception {
        byte[] mem = memory(pages, seed);
        BitSet present = presence(pages, seed, 80);
        AreaChunker chunker = new AreaChunker(PAGE, chunkPages);
        Map<ChunkKey, byte[]> store = new HashMap<>();
        java.util.Set<Long> readPages = new java.util.HashSet<>();
        AreaChunker.MemoryReader reader = (addr, dst) -> {
            for (int i = 0; i < dst.remaining() / PAGE; i++) {
                readPages.add((addr - BASE) / PAGE + i);
            }
            dst.put(mem, (int) (addr - BASE), dst.remaining());
        };
        long len = (long) pages * PAGE;
        AreaChunks parent = chunker.capture(BASE, len, AreaChunker.PagePresence.of(present), reader, storing(store));
        Random r = new Random(seed);
        for (int g = 0; g < generations; g++) {
            BitSet dirty = new BitSet();
            BitSet presenceChanged = new BitSet();
            for (int i = 0; i < writes; i++) {
                int p = r.nextInt(pages);
                mem[p * PAGE + r.nextInt(PAGE)] ^= (byte) (1 + r.nextInt(255));
                if (!present.get(p)) {
                    presenceChanged.set(p);
                }
                present.set(p);
                dirty.set(p);
            }
            for (int i = 0; i < drops; i++) { // MADV_DONTNEED: gone without a write
                int p = r.nextInt(pages);
                if (present.get(p)) {
                    presenceChanged.set(p);
                }
                present.clear(p);
                dirty.clear(p);
                Arrays.fill(mem, p * PAGE, (p + 1) * PAGE, (byte) 0);
            }
            readPages.clear();
            AreaChunks inc = chunker.captureIncremental(parent, BASE, len, AreaChunker.PagePresence.of(present),
                    AreaChunker.PagePresence.of(dirty), reader, storing(store));
            for (long p : readPages) {
                long c0 = p / chunkPages * chunkPages;
                boolean changed = false;
                for (long q = c0; q < Math.min(pages, c0 + chunkPages); q++) {
                    changed |= dirty.get((int) q) || presenceChanged.get((int) q);
                }
                assertThat(changed).as("page %d read although its chunk did not change", p).isTrue();
            }
            AreaChunks full = chunker.capture(BASE, len, AreaChunker.PagePresence.of(present), reader, storing(store));
            assertThat(restoreBoth(inc, store)).isEqualTo(restoreBoth(full, store));
            assertThat(inc.presentPages()).isEqualTo(present.cardinality());
            parent = inc;
        }
    }

    @Example
    void aFewRewrittenPagesCostAPatchNotAChunk() throws Exception {
        int pages = 1024;
        byte[] mem = memory(pages, 7);
        Map<ChunkKey, byte[]> store = new HashMap<>();
        AreaChunker chunker = new AreaChunker();
        AreaChunker.MemoryReader reader = (addr, dst) -> dst.put(mem, (int) (addr - BASE), dst.remaining());
        BitSet all = new BitSet();
        all.set(0, pages);
        AreaChunks parent = chunker.capture(BASE, (long) pages * PAGE, AreaChunker.PagePresence.of(all), reader, storing(store));
        BitSet dirty = new BitSet();
        for (int p = 5; p < pages; p += 100) { // 11 scattered pages in 11 different chunks
            mem[p * PAGE] ^= 1;
            dirty.set(p);
        }
        int[] storedPages = {0};
        AreaChunker.ChunkPut counting = bufs -> {
            bufs.forEach(b -> storedPages[0] += b.remaining() / PAGE);
            return storing(store).putAll(bufs);
        };
        AreaChunks inc = chunker.captureIncremental(parent, BASE, (long) pages * PAGE, AreaChunker.PagePresence.of(all),
                AreaChunker.PagePresence.of(dirty), reader, counting);
        assertThat(storedPages[0]).isEqualTo(11);
        assertThat(inc.patches()).hasSize(11);
        assertThat(inc.chunks()).isEqualTo(parent.chunks());
        // the same pages again in the next snapshot: each patch is replaced, not stacked
        for (int p = 5; p < pages; p += 100) {
            mem[p * PAGE] ^= 2;
        }
        storedPages[0] = 0;
        AreaChunks inc2 = chunker.captureIncremental(inc, BASE, (long) pages * PAGE, AreaChunker.PagePresence.of(all),
                AreaChunker.PagePresence.of(dirty), reader, counting);
        assertThat(storedPages[0]).isEqualTo(11);
        assertThat(inc2.patches()).hasSize(11);
        byte[] restored = restoreBoth(inc2, store);
        assertThat(restored).isEqualTo(mem);
    }

    @Property(tries = 60)
    void forEachRunStreamsPresentPagesInAddressOrder(@ForAll @IntRange(min = 0, max = 3000) int pages,
                                                   @ForAll @IntRange(min = 1, max = 64) int chunkPages,
                                                   @ForAll long seed) throws Exception {
        byte[] mem = memory(pages, seed);
        BitSet present = presence(pages, seed, 60);
        Map<ChunkKey, byte[]> store = new HashMap<>();
        AreaChunks area = new AreaChunker(PAGE, chunkPages).capture(BASE, (long) pages * PAGE,
                AreaChunker.PagePresence.of(present), (addr, dst) -> dst.put(mem, (int) (addr - BASE), dst.remaining()),
                bufs -> {
                    List<ChunkKey> ks = new ArrayList<>();
                    for (ByteBuffer b : bufs) {
                        byte[] c = new byte[b.remaining()];
                        b.duplicate().get(c);
                        store.put(Hashing.key(c), c);
                        ks.add(Hashing.key(c));
                    }
                    return ks;
                });
        long[] next = {0};
        BitSet seen = new BitSet();
        AreaChunker.forEachRun(area, (keys, sink) -> {
            for (ChunkKey k : new java.util.HashSet<>(keys)) {
                sink.accept(k, store.get(k));
            }
        }, (first, buf) -> {
            assertThat(first).isGreaterThanOrEqualTo(next[0]);
            int n = buf.remaining() / PAGE;
            byte[] got = new byte[buf.remaining()];
            buf.get(got);
            assertThat(got).isEqualTo(Arrays.copyOfRange(mem, (int) first * PAGE, (int) (first + n) * PAGE));
            seen.set((int) first, (int) first + n);
            next[0] = first + n;
        });
        assertThat(seen).isEqualTo(present);
    }

    @Example
    void bitmapPresenceMatchesPagemapLayout() {
        AreaChunker.PagePresence p = AreaChunker.PagePresence.bitmap(new long[] {0b101L, 1L << 63});
        assertThat(p.isPresent(0)).isTrue();
        assertThat(p.isPresent(1)).isFalse();
        assertThat(p.isPresent(2)).isTrue();
        assertThat(p.isPresent(127)).isTrue();
        assertThat(p.isPresent(128)).isFalse();
    }
}
