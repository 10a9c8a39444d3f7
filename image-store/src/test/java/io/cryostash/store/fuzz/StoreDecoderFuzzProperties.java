// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;
import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.Hashing;
import io.cryostash.store.IntegrityException;
import io.cryostash.store.index.IndexFiles;
import io.cryostash.store.index.PackSummary;
import io.cryostash.store.pack.ChunkCodec;
import io.cryostash.store.pack.PackFormat;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.pack.PackWriter;
import io.cryostash.store.sign.HostKeys;
import io.cryostash.store.sign.ManifestCodec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Structure-aware fuzzing of the store's binary decoders (issue 12, fault suite): packs (trailer,
 * index, frames), index objects and signed manifest envelopes are built for real, then one to
 * four fields are overwritten, and the checksums that would stop the damage at the door (CRC32C
 * of pack index and trailer, SHA-256 of index objects) are recomputed most of the time so that
 * the damage reaches the parsers behind them. Each decoder must return or fail with an
 * {@link IntegrityException} carrying a message; no other exception, no hang, and allocation
 * bounded by the input (plus, for one chunk, the largest chunk the format allows).
 */
class StoreDecoderFuzzProperties {
    private static final long BASE = 8L << 20;
    private static final int PER_BYTE = 64;
    private static final HostKeys KEYS = HostKeys.ephemeral();

    record Edit(int where, int width, long value) {
    }

    @Provide
    Arbitrary<List<Edit>> edits() {
        return Combinators.combine(Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.of(1, 2, 4, 8), Arbitraries.oneOf(Arbitraries.longs(),
                        Arbitraries.of(0L, -1L, 1L, 0xffffffffL, 0x7fffffffL, (long) StoreFormat.MAX_CHUNK_SIZE,
                                (long) StoreFormat.MAX_CHUNK_SIZE + 1, 1L << 20, 48L, 28L)))
                .as(Edit::new).list().ofMinSize(1).ofMaxSize(4);
    }

    /** Overwrites {@code width} little-endian bytes at each edit's place inside {@code [from, to)}. */
    private static byte[] apply(byte[] data, int from, int to, List<Edit> edits) {
        byte[] out = data.clone();
        if (to - from < 8) {
            return out;
        }
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        for (Edit e : edits) {
            int at = from + e.where() % (to - from - 7);
            switch (e.width()) {
                case 1 -> b.put(at, (byte) e.value());
                case 2 -> b.putShort(at, (short) e.value());
                case 4 -> b.putInt(at, (int) e.value());
                default -> b.putLong(at, e.value());
            }
        }
        return out;
    }

    private static void assertFailsCleanlyOrWorks(AllocationMeter.Outcome o, long inputBytes, long extra, String what) {
        if (o.thrown() != null) {
            assertThat(o.thrown()).as(what + " threw").isInstanceOf(IntegrityException.class);
            assertThat(o.thrown().getMessage()).as(what + " message").isNotBlank();
        }
        assertThat(o.allocated()).as(what + ": bytes allocated for " + inputBytes + " bytes of input")
                .isLessThan(BASE + PER_BYTE * inputBytes + extra);
    }

    // ---- packs

    private static byte[] pack(long seed, int chunks) throws Exception {
        Random r = new Random(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PackWriter w = new PackWriter(out);
        ChunkCodec codec = new ChunkCodec(1);
        for (int i = 0; i < chunks; i++) {
            byte[] d = new byte[1 + r.nextInt(20_000)];
            for (int j = 0; j < d.length / 3; j++) {
                d[j] = (byte) r.nextInt();
            }
            w.add(Hashing.key(d), codec.compress(d, 0, d.length), d.length);
        }
        w.finish();
        return out.toByteArray();
    }

    /** Recomputes the index and trailer CRC32Cs where the (damaged) trailer says they are. */
    private static void fixPackChecksums(byte[] p) {
        int t = p.length - PackFormat.TRAILER_SIZE;
        if (t < 0) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
        long count = Integer.toUnsignedLong(b.getInt(t + 12));
        long indexOffset = Integer.toUnsignedLong(b.getInt(t + 16));
        if (indexOffset + count * PackFormat.ENTRY_SIZE == t) {
            b.putInt(t + 20, PackFormat.crc(p, (int) indexOffset, (int) (count * PackFormat.ENTRY_SIZE)));
        }
        b.putInt(t + 24, PackFormat.crc(p, t, PackFormat.TRAILER_SIZE - 4));
    }

    @Property(tries = 600)
    void damagedPacksAreReadOrRefused(@ForAll("edits") List<Edit> edits, @ForAll long seed, @ForAll boolean fix,
                                      @ForAll boolean tailOnly) throws Exception {
        byte[] good = pack(seed, 1 + (int) Math.floorMod(seed, 6));
        int from = tailOnly ? Math.max(0, good.length - PackFormat.TRAILER_SIZE - 6 * PackFormat.ENTRY_SIZE) : 0;
        byte[] bad = apply(good, from, good.length, edits);
        if (fix) {
            fixPackChecksums(bad);
        }
        String id = Hashing.hex(Hashing.sha256(bad));
        AllocationMeter.Outcome index = AllocationMeter.run(() -> PackReader.readIndex(id, bad));
        assertFailsCleanlyOrWorks(index, bad.length, 0, "pack index");
        if (index.result() instanceof List<?> entries) {
            for (Object e : entries) {
                AllocationMeter.Outcome chunk = AllocationMeter.run(() -> PackReader.readChunk(id, bad, (PackIndexEntry) e));
                assertFailsCleanlyOrWorks(chunk, bad.length, StoreFormat.MAX_CHUNK_SIZE, "chunk");
            }
        }
    }

    // ---- index objects

    private static List<PackSummary> summaries(long seed) {
        Random r = new Random(seed);
        List<PackSummary> out = new ArrayList<>();
        for (int p = 0; p < 1 + r.nextInt(4); p++) {
            List<PackIndexEntry> entries = new ArrayList<>();
            long off = 0;
            for (int i = 0; i < r.nextInt(6); i++) {
                byte[] k = new byte[32];
                r.nextBytes(k);
                int len = 1 + r.nextInt(5000);
                entries.add(new PackIndexEntry(ChunkKey.of(k), off, len, len * 3, r.nextInt()));
                off += len;
            }
            byte[] id = new byte[32];
            r.nextBytes(id);
            out.add(new PackSummary(Hashing.hex(id), off + 28 + 48L * entries.size(), entries));
        }
        return out;
    }

    @Property(tries = 600)
    void damagedIndexObjectsAreReadOrRefused(@ForAll("edits") List<Edit> edits, @ForAll long seed, @ForAll boolean fix) {
        byte[] good = IndexFiles.encode(summaries(seed));
        byte[] bad = apply(good, 0, good.length - 32, edits);
        if (fix) { // the content hash at the end, recomputed so the parser sees the damage
            System.arraycopy(Hashing.sha256(bad, 0, bad.length - 32), 0, bad, bad.length - 32, 32);
        }
        assertFailsCleanlyOrWorks(AllocationMeter.run(() -> IndexFiles.decode(null, bad)), bad.length, 0, "index object");
    }

    // ---- signed manifest envelopes

    @Property(tries = 600)
    void damagedManifestEnvelopesAreParsedOrRefused(@ForAll("edits") List<Edit> edits, @ForAll long seed) {
        Random r = new Random(seed);
        List<ChunkKey> keys = new ArrayList<>();
        for (int i = 0; i < r.nextInt(20); i++) {
            byte[] k = new byte[32];
            r.nextBytes(k);
            keys.add(ChunkKey.of(k));
        }
        byte[] payload = new byte[r.nextInt(3000)];
        r.nextBytes(payload);
        byte[] good = ManifestCodec.sign(KEYS, Instant.ofEpochSecond(1_700_000_000L), "host-" + seed, keys,
                keys.subList(0, keys.size() / 3), payload);
        byte[] bad = apply(good, 0, good.length, edits);
        assertFailsCleanlyOrWorks(AllocationMeter.run(() -> ManifestCodec.parse(null, bad)), bad.length, 0,
                "manifest envelope");
    }
}
