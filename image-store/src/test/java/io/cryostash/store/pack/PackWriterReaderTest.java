// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.pack;

import io.cryostash.store.CorruptChunkException;
import io.cryostash.store.Hashing;
import io.cryostash.store.InvalidPackException;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackWriterReaderTest {
    private final ChunkCodec codec = new ChunkCodec(1);

    private static List<byte[]> chunks(int n, int size, long seed) {
        Random r = new Random(seed);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[size];
            // half random, half zeros: compressible like real memory
            for (int j = 0; j < size / 2; j++) {
                b[j] = (byte) r.nextInt();
            }
            out.add(b);
        }
        return out;
    }

    private record Built(byte[] bytes, PackWriter.Finished finished, List<byte[]> data) {
    }

    private Built build(List<byte[]> data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PackWriter w = new PackWriter(out);
        for (byte[] d : data) {
            w.add(Hashing.key(d), codec.compress(d, 0, d.length), d.length);
        }
        assertThat(w.count()).isEqualTo(data.size());
        long predicted = w.size();
        PackWriter.Finished f = w.finish();
        assertThat(f.size()).isEqualTo(predicted).isEqualTo(out.size());
        return new Built(out.toByteArray(), f, data);
    }

    @Test
    void packRoundTripsEveryChunk() throws IOException {
        Built b = build(chunks(20, 65536, 1));
        assertThat(b.finished().id()).isEqualTo(Hashing.hex(Hashing.sha256(b.bytes())));
        List<PackIndexEntry> entries = PackReader.readIndex(b.finished().id(), b.bytes());
        assertThat(entries).isEqualTo(b.finished().entries());
        for (int i = 0; i < entries.size(); i++) {
            assertThat(PackReader.readChunk(b.finished().id(), b.bytes(), entries.get(i))).isEqualTo(b.data().get(i));
        }
    }

    @Test
    void emptyPackIsValid() throws IOException {
        Built b = build(List.of());
        assertThat(b.bytes()).hasSize(PackFormat.TRAILER_SIZE);
        assertThat(PackReader.readIndex("p", b.bytes())).isEmpty();
    }

    @Test
    void flippedChunkByteIsDetected() throws IOException {
        Built b = build(chunks(3, 4096, 2));
        PackIndexEntry e = b.finished().entries().get(1);
        byte[] damaged = b.bytes().clone();
        damaged[(int) e.offset() + 5] ^= 1;
        assertThatThrownBy(() -> PackReader.readChunk("p", damaged, e))
                .isInstanceOf(CorruptChunkException.class)
                .hasMessageContaining(e.key().hex());
    }

    @Test
    void flippedIndexByteIsDetected() throws IOException {
        Built b = build(chunks(3, 4096, 3));
        byte[] damaged = b.bytes().clone();
        damaged[damaged.length - PackFormat.TRAILER_SIZE - 10] ^= 1;
        assertThatThrownBy(() -> PackReader.readIndex("p", damaged))
                .isInstanceOf(InvalidPackException.class).hasMessageContaining("index checksum");
    }

    @Test
    void everyTrailerByteIsProtected() throws IOException {
        Built b = build(chunks(2, 4096, 4));
        for (int i = 1; i <= PackFormat.TRAILER_SIZE; i++) {
            byte[] damaged = b.bytes().clone();
            damaged[damaged.length - i] ^= 0x10;
            assertThatThrownBy(() -> PackReader.readIndex("p", damaged)).as("byte -%d", i)
                    .isInstanceOf(InvalidPackException.class);
        }
    }

    @Test
    void truncatedPackIsRejected() throws IOException {
        Built b = build(chunks(2, 4096, 5));
        byte[] cut = java.util.Arrays.copyOf(b.bytes(), b.bytes().length - 1);
        assertThatThrownBy(() -> PackReader.readIndex("p", cut)).isInstanceOf(InvalidPackException.class);
    }

    @Test
    void unknownMajorVersionIsRejectedByName() throws IOException {
        Built b = build(chunks(1, 4096, 6));
        byte[] t = b.bytes().clone();
        int at = t.length - PackFormat.TRAILER_SIZE;
        ByteBuffer bb = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        bb.putShort(at + 8, (short) 2);
        bb.putInt(t.length - 4, PackFormat.crc(t, at, PackFormat.TRAILER_SIZE - 4));
        assertThatThrownBy(() -> PackReader.readIndex("p", t)).hasMessageContaining("unsupported pack format 2.0");
    }

    @Test
    void chunkThatDecompressesToOtherBytesIsDetected() throws IOException {
        byte[] data = new byte[4096];
        byte[] other = new byte[4096];
        other[0] = 1;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PackWriter w = new PackWriter(out);
        ChunkKey lie = Hashing.key(data);
        w.add(lie, codec.compress(other, 0, other.length), other.length);
        PackWriter.Finished f = w.finish();
        assertThatThrownBy(() -> PackReader.readChunk(f.id(), out.toByteArray(), f.entries().get(0)))
                .isInstanceOf(CorruptChunkException.class).hasMessageContaining("hash");
    }

    @Test
    void writerIsUnusableAfterAFailedWrite() throws IOException {
        OutputStream failing = new OutputStream() {
            int n;

            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk full");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (++n > 1) {
                    throw new IOException("disk full");
                }
            }
        };
        PackWriter w = new PackWriter(failing);
        byte[] d = new byte[100];
        w.add(Hashing.key(d), codec.compress(d, 0, 100), 100);
        assertThatThrownBy(() -> w.add(Hashing.key(d), codec.compress(d, 0, 100), 100)).hasMessage("disk full");
        assertThat(w.isBroken()).isTrue();
        assertThatThrownBy(() -> w.add(Hashing.key(d), codec.compress(d, 0, 100), 100)).isInstanceOf(PackBrokenException.class);
        assertThatThrownBy(w::finish).isInstanceOf(PackBrokenException.class);
    }

    @Test
    void codecRejectsAFrameOfTheWrongLength() {
        byte[] d = new byte[1000];
        byte[] frame = codec.compress(d, 0, d.length);
        assertThatThrownBy(() -> ChunkCodec.decompress(frame, 999)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChunkCodec.decompress(frame, 1001)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ChunkCodec.decompress(frame, 1000)).isEqualTo(d);
    }
}
