// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.AreaTable;
import io.cryostash.schema.store.ChunkKey;

class ImageCodecTest {
    private final ImageCodec codec = new ImageCodec();

    /** Where {@link #sample} maps the program's code: above every area the tests generate. */
    static final long CODE = 0x7f0000000000L;

    /** A consistent image: {@code areas} plus the program's code area, which rip and the handler point into. */
    static ProcessImage sample(List<MemoryArea> areas, String version, String cwd) {
        long[] r = new long[CpuRegisters.COUNT];
        r[16] = CODE + 0x10; // rip
        CpuRegisters regs = CpuRegisters.fromArray(r);
        List<MemoryArea> all = new ArrayList<>(areas);
        all.add(new MemoryArea(CODE, CODE + 0x4000, "r-xp", 0, "/usr/bin/prog", MemoryArea.Kind.FILE_PRIVATE, null, java.util.Set.of()));
        return new ProcessImage(version, null, null, "full", Instant.parse("2026-11-28T00:00:00Z"),
                new HostInfo("h", "6.18", "amd64", "00", 2),
                new ProcessInfo(10, 1, 10, 10, "prog", List.of("prog", "-x"), "/usr/bin/prog", 0),
                new Credentials(1000, 1000, 1000, 1000, 100, 100, 100, 100, List.of(4)),
                new MmLayout(0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000, 0x8000, 0x9000, 0xa000, 0xb000,
                        AUXV, "/usr/bin/prog"),
                all, List.of(new ThreadState(10, regs, new byte[] {9, 9}, 0, null, null, 0, 0, 0, "prog", List.of(), false)),
                List.of(new SignalAction(2, CODE + 0x1000, 0x04000000, CODE + 0x2000, 0)), new FsState(cwd, "/", 022),
                List.of(FdEntry.withoutRecord(1, FdEntry.Kind.REGULAR, "/tmp/out", 02001, 27)),
                List.of(new Rlimit(7, "Max open files", 1024, 4096)),
                List.of(new FileFingerprint("/usr/bin/prog", 10, 20, 30, null)), ProcessTimers.NONE, List.of(), null, null);
    }

    /** AT_PAGESZ 4096, AT_NULL: whole (type, value) pairs. */
    static final byte[] AUXV = {6, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0};

    static MemoryArea anon(long start, long end) {
        ChunkKey key = ChunkKey.of(new byte[32]);
        return new MemoryArea(start, end, "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS,
                new AreaChunks(start, end - start, 4096, 16, List.of(new AreaChunk(0, 1, 1, key))), java.util.Set.of());
    }

    @Test
    void roundTripKeepsEveryField() {
        ProcessImage im = sample(List.of(anon(0x10000, 0x20000)), ProcessImage.FORMAT_VERSION, "/tmp");
        ProcessImage back = codec.decode(codec.encode(im));
        assertThat(back.mm().auxv()).containsExactly(AUXV);
        assertThat(back.threads().get(0).xstate()).containsExactly(9, 9);
        assertThat(back).usingRecursiveComparison().ignoringFieldsOfTypes(byte[].class).isEqualTo(im);
    }

    private static ChunkKey key(int b) {
        byte[] k = new byte[32];
        k[0] = (byte) b;
        return ChunkKey.of(k);
    }

    /** Writes each area's list as one "table" whose key is the area's first chunk key with byte 1 set. */
    private static final ImageCodec.TableWriter ONE_TABLE_PER_AREA = contents -> {
        java.util.Map<Long, AreaTable> out = new java.util.HashMap<>();
        contents.forEach((start, c) -> out.put(start, new AreaTable(c.start(), c.length(), c.pageSize(), c.chunkPages(),
                List.of(key(start.intValue() >>> 16)))));
        return out;
    };

    @Test
    void chunkListsGoToTablesAndComeBackThroughTheResolver() {
        ProcessImage im = sample(List.of(anon(0x10000, 0x20000), anon(0x30000, 0x50000)), ProcessImage.FORMAT_VERSION, "/tmp");
        byte[] json = codec.encode(im, ONE_TABLE_PER_AREA);
        String text = new String(json, StandardCharsets.UTF_8);
        assertThat(text).contains("\"table\"").doesNotContain("\"presence\"");
        java.util.Map<Long, AreaTable> asked = new java.util.HashMap<>();
        ProcessImage back = codec.decode(json, tables -> {
            asked.putAll(tables);
            java.util.Map<Long, AreaChunks> out = new java.util.HashMap<>();
            im.areas().forEach(a -> out.put(a.start(), a.content()));
            return out;
        });
        assertThat(asked.keySet()).containsExactlyInAnyOrder(0x10000L, 0x30000L);
        assertThat(asked.get(0x30000L).segments()).containsExactly(key(3));
        assertThat(back).usingRecursiveComparison().ignoringFieldsOfTypes(byte[].class).isEqualTo(im);
    }

    @Test
    void aManifestNamingTablesIsRefusedWithoutTheStore() {
        byte[] json = codec.encode(sample(List.of(anon(0x10000, 0x20000)), ProcessImage.FORMAT_VERSION, "/tmp"),
                ONE_TABLE_PER_AREA);
        assertThatThrownBy(() -> codec.decode(json)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("chunk tables").hasMessageContaining("image store");
    }

    @Test
    void aResolvedListThatDoesNotFitItsAreaIsRefused() {
        ProcessImage im = sample(List.of(anon(0x10000, 0x20000)), ProcessImage.FORMAT_VERSION, "/tmp");
        byte[] json = codec.encode(im, ONE_TABLE_PER_AREA);
        AreaChunks elsewhere = new AreaChunks(0x90000, 0x10000, 4096, 16, List.of(new AreaChunk(0, 1, 1, key(7))));
        assertThatThrownBy(() -> codec.decode(json, t -> java.util.Map.of(0x10000L, elsewhere)))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("outside their area");
        assertThatThrownBy(() -> codec.decode(json, t -> java.util.Map.of()))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("not resolved");
    }

    @Test
    void newerMajorVersionIsRefusedAsNewer() {
        byte[] json = codec.encode(sample(List.of(anon(0x10000, 0x20000)), "7.0", "/tmp"));
        assertThatThrownBy(() -> codec.decode(json)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("version 7.0 is newer").hasMessageContaining("3.x to 6.0");
    }

    @Test
    void tooOldOrMalformedVersionIsRefused() {
        for (String v : new String[] {"2.9", "4", "four", "4.0-beta"}) {
            byte[] json = codec.encode(sample(List.of(anon(0x10000, 0x20000)), v, "/tmp"));
            assertThatThrownBy(() -> codec.decode(json)).isInstanceOf(InvalidImageException.class)
                    .hasMessageContaining("version " + v + " is not supported");
        }
    }

    @Test
    void imagesOfEarlierThreeXAndFourXFormatsStillRead() {
        for (String v : new String[] {"3.0", "3.1", "4.0"}) {
            ProcessImage im = sample(List.of(anon(0x10000, 0x20000)), v, "/tmp");
            assertThat(codec.decode(codec.encode(im)).formatVersion()).isEqualTo(v);
        }
    }

    @Test
    void imagesWrittenNowAreRefusedByThreeXAndFourXReaders() {
        // what every reader before 5.0 checked: a major number no newer than its own (3 or 4)
        String written = codec.decode(codec.encode(sample(List.of(anon(0x10000, 0x20000)),
                ProcessImage.FORMAT_VERSION, "/tmp"))).formatVersion();
        assertThat(Integer.parseInt(written.split("\\.")[0])).isGreaterThan(4);
    }

    @Test
    void overlappingAreasAreRefused() {
        byte[] json = codec.encode(sample(List.of(anon(0x10000, 0x30000), anon(0x20000, 0x40000)),
                ProcessImage.FORMAT_VERSION, "/tmp"));
        assertThatThrownBy(() -> codec.decode(json)).hasMessageContaining("overlap");
    }

    @Test
    void areaSettingsRoundTripAndAnAreaWithoutThemWritesNone() {
        MemoryArea plain = anon(0x10000, 0x20000);
        MemoryArea advised = new MemoryArea(0x30000, 0x40000, "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS, null,
                java.util.Set.of(MemoryArea.Setting.HUGEPAGE, MemoryArea.Setting.LOCKED, MemoryArea.Setting.WIPEONFORK));
        byte[] json = codec.encode(sample(List.of(plain, advised), ProcessImage.FORMAT_VERSION, "/tmp"));
        ProcessImage back = codec.decode(json);
        assertThat(back.areas().get(1).settings()).containsExactlyInAnyOrder(MemoryArea.Setting.HUGEPAGE,
                MemoryArea.Setting.LOCKED, MemoryArea.Setting.WIPEONFORK);
        assertThat(back.areas().get(0).settings()).isEmpty();
        String text = new String(json, StandardCharsets.UTF_8);
        assertThat(text.split("\"settings\"", -1)).as("written once: for the advised area only").hasSize(2);
        assertThat(back.areas().get(1).withContent(null).settings()).as("copies keep them").hasSize(3);
    }

    @Test
    void settingsNoKernelCouldShowTogetherAreRefused() {
        for (java.util.Set<MemoryArea.Setting> bad : List.of(
                java.util.Set.of(MemoryArea.Setting.HUGEPAGE, MemoryArea.Setting.NOHUGEPAGE),
                java.util.Set.of(MemoryArea.Setting.RANDOM, MemoryArea.Setting.SEQUENTIAL),
                java.util.Set.of(MemoryArea.Setting.LOCKED, MemoryArea.Setting.LOCKED_ON_FAULT))) {
            MemoryArea a = new MemoryArea(0x30000, 0x40000, "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS, null, bad);
            byte[] json = codec.encode(sample(List.of(a), ProcessImage.FORMAT_VERSION, "/tmp"));
            assertThatThrownBy(() -> codec.decode(json)).isInstanceOf(InvalidImageException.class)
                    .hasMessageContaining("at 30000");
        }
        MemoryArea wipedFile = new MemoryArea(0x30000, 0x40000, "rw-p", 0, "/srv/data", MemoryArea.Kind.FILE_PRIVATE,
                null, java.util.Set.of(MemoryArea.Setting.WIPEONFORK));
        byte[] json = codec.encode(sample(List.of(wipedFile), ProcessImage.FORMAT_VERSION, "/tmp"));
        assertThatThrownBy(() -> codec.decode(json)).hasMessageContaining("wipe-on-fork");
    }

    @Test
    void storedPagesOutsideTheirAreaAreRefused() {
        ChunkKey key = ChunkKey.of(new byte[32]);
        MemoryArea bad = new MemoryArea(0x10000, 0x11000, "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS,
                new AreaChunks(0x10000, 0x2000, 4096, 16, List.of(new AreaChunk(1, 1, 1, key))), java.util.Set.of());
        byte[] json = codec.encode(sample(List.of(bad), ProcessImage.FORMAT_VERSION, "/tmp"));
        assertThatThrownBy(() -> codec.decode(json)).hasMessageContaining("outside their area");
    }

    @Test
    void chunkRunningPastItsAreaIsRefusedOnDecode() {
        ChunkKey key = ChunkKey.of(new byte[32]);
        MemoryArea ok = new MemoryArea(0x10000, 0x12000, "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS,
                new AreaChunks(0x10000, 0x2000, 4096, 16, List.of(new AreaChunk(1, 1, 1, key))), java.util.Set.of());
        String json = new String(codec.encode(sample(List.of(ok), ProcessImage.FORMAT_VERSION, "/tmp")),
                StandardCharsets.UTF_8).replace("\"firstPage\" : 1", "\"firstPage\" : 5");
        assertThatThrownBy(() -> codec.decode(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("past the end");
    }

    @Test
    void pathsWithDotDotOrRelativeAreRefused() {
        for (String cwd : List.of("../etc", "/tmp/../etc", "tmp", "/a/./b")) {
            byte[] json = codec.encode(sample(List.of(anon(0x10000, 0x20000)), ProcessImage.FORMAT_VERSION, cwd));
            assertThatThrownBy(() -> codec.decode(json)).as(cwd).hasMessageContaining("path");
        }
    }

    @Test
    void fileFingerprintPathsMustBePlain() {
        ProcessImage good = sample(List.of(anon(0x10000, 0x20000)), ProcessImage.FORMAT_VERSION, "/tmp");
        for (String path : List.of("lib/libc.so.6", "/usr/lib/../../etc/shadow", "")) {
            ProcessImage bad = new ProcessImage(good.formatVersion(), good.id(), good.parent(), good.tracking(),
                    good.createdAt(), good.host(), good.process(), good.credentials(), good.mm(), good.areas(),
                    good.threads(), good.signalActions(), good.fs(), good.fds(), good.rlimits(),
                    List.of(new FileFingerprint(path, 10, 20, 30, null)), good.timers(), good.sharedPendingSignals(),
                    good.sysvIpc(), null);
            byte[] json = codec.encode(bad);
            assertThatThrownBy(() -> codec.decode(json)).as(path).isInstanceOf(InvalidImageException.class)
                    .hasMessageContaining("path");
        }
    }

    @Test
    void garbageAndOversizedInputAreRefusedWithAMessage() {
        assertThatThrownBy(() -> codec.decode("{not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> codec.decode(new byte[ImageCodec.MAX_MANIFEST_BYTES + 1]))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("limit");
        assertThatThrownBy(() -> codec.decode("null".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidImageException.class);
    }

    @Test
    void areaBeyondUserSpaceIsRefused() {
        List<MemoryArea> areas = new ArrayList<>();
        areas.add(new MemoryArea(0xffffffffff600000L, 0xffffffffff601000L, "r-xp", 0, null,
                MemoryArea.Kind.ANONYMOUS, null, java.util.Set.of()));
        byte[] json = codec.encode(sample(areas, ProcessImage.FORMAT_VERSION, "/tmp"));
        assertThatThrownBy(() -> codec.decode(json)).hasMessageContaining("impossible area");
    }
}
