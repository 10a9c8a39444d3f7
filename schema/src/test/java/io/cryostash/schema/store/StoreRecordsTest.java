// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreRecordsTest {
    private final ObjectMapper json = new ObjectMapper();

    private static ChunkKey key(int b) {
        byte[] d = new byte[32];
        Arrays.fill(d, (byte) b);
        return ChunkKey.of(d);
    }

    @Test
    void chunkKeyIsAHexStringInJson() throws Exception {
        ChunkKey k = key(0xab);
        assertThat(json.writeValueAsString(k)).isEqualTo("\"" + "ab".repeat(32) + "\"");
        assertThat(json.readValue(json.writeValueAsString(k), ChunkKey.class)).isEqualTo(k);
        assertThat(ChunkKey.parse(k.hex())).isEqualTo(k).hasSameHashCodeAs(k);
    }

    @Test
    void chunkKeysOrderAsUnsignedBytes() {
        assertThat(key(0x01).compareTo(key(0xff))).isNegative();
        assertThat(key(0x7f).compareTo(key(0x80))).isNegative();
    }

    @Test
    void malformedChunkKeysAreRejected() {
        assertThatThrownBy(() -> ChunkKey.parse("abc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChunkKey.parse("zz".repeat(32))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChunkKey.of(new byte[31])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void areaChunksRoundTripThroughJson() throws Exception {
        AreaChunks a = new AreaChunks(0x7f0000000000L, 40 * 4096, 4096, 16,
                List.of(new AreaChunk(0, 16, 0xffffL, key(1)), new AreaChunk(32, 8, 0b10100000L, key(2))));
        String s = json.writeValueAsString(a);
        assertThat(json.readValue(s, AreaChunks.class)).isEqualTo(a);
        assertThat(a.presentPages()).isEqualTo(18);
        assertThat(a.pageAddress(a.chunks().get(1), 5)).isEqualTo(0x7f0000000000L + 37 * 4096);
    }

    @Test
    void areaChunksRejectWhatWouldWriteOutsideTheArea() {
        List<AreaChunk> overlapping = List.of(new AreaChunk(0, 16, 1, key(1)), new AreaChunk(8, 16, 1, key(2)));
        assertThatThrownBy(() -> new AreaChunks(0, 64 * 4096, 4096, 16, overlapping)).hasMessageContaining("overlaps");
        List<AreaChunk> pastEnd = List.of(new AreaChunk(60, 16, 1, key(1)));
        assertThatThrownBy(() -> new AreaChunks(0, 64 * 4096, 4096, 16, pastEnd)).hasMessageContaining("past the end");
        assertThatThrownBy(() -> new AreaChunks(100, 4096, 4096, 16, List.of())).hasMessageContaining("page-aligned");
        assertThatThrownBy(() -> new AreaChunks(-4096L, 8192, 4096, 16, List.of())).hasMessageContaining("wraps");
    }

    @Test
    void patchesMustLieInsideOneChunkAndItsStoredPages() throws Exception {
        List<AreaChunk> chunks = List.of(new AreaChunk(0, 16, 0b1111_0000_1111_1111L, key(1)), new AreaChunk(16, 16, 0xffffL, key(2)));
        AreaChunks ok = new AreaChunks(0, 32 * 4096, 4096, 16, chunks, List.of(new AreaChunk(2, 5, 0b10001, key(3))));
        assertThat(json.readValue(json.writeValueAsString(ok), AreaChunks.class)).isEqualTo(ok);
        assertThatThrownBy(() -> new AreaChunks(0, 32 * 4096, 4096, 16, chunks, List.of(new AreaChunk(8, 1, 1, key(3)))))
                .hasMessageContaining("does not store");
        assertThatThrownBy(() -> new AreaChunks(0, 32 * 4096, 4096, 16, chunks, List.of(new AreaChunk(15, 2, 0b11, key(3)))))
                .hasMessageContaining("not inside one chunk");
        assertThatThrownBy(() -> new AreaChunks(0, 32 * 4096, 4096, 16, chunks,
                List.of(new AreaChunk(20, 1, 1, key(3)), new AreaChunk(17, 1, 1, key(4))))).hasMessageContaining("out of order");
        // interleaved patches of one chunk are fine as long as they cover different pages
        new AreaChunks(0, 32 * 4096, 4096, 16, chunks, List.of(new AreaChunk(16, 5, 0b10001, key(3)), new AreaChunk(18, 1, 1, key(4))));
        assertThatThrownBy(() -> new AreaChunks(0, 32 * 4096, 4096, 16, chunks,
                List.of(new AreaChunk(16, 5, 0b10001, key(3)), new AreaChunk(20, 1, 1, key(4))))).hasMessageContaining("overlaps");
        String noPatches = "{\"start\":0,\"length\":4096,\"pageSize\":4096,\"chunkPages\":16,\"chunks\":[]}";
        assertThat(json.readValue(noPatches, AreaChunks.class).patches()).isEmpty();
    }

    @Test
    void areaChunkRejectsImpossibleBitmaps() {
        assertThatThrownBy(() -> new AreaChunk(0, 4, 0, key(1))).hasMessageContaining("no present page");
        assertThatThrownBy(() -> new AreaChunk(0, 4, 0b10000, key(1))).hasMessageContaining("beyond");
        assertThatThrownBy(() -> new AreaChunk(0, 65, 1, key(1))).hasMessageContaining("1..64");
        assertThat(new AreaChunk(0, 64, -1L, key(1)).presentPages()).isEqualTo(64);
    }

    @Test
    void fileRefChecksItsChunkCount() throws Exception {
        List<ChunkKey> three = new ArrayList<>(List.of(key(1), key(2), key(3)));
        FileRef f = new FileRef("0".repeat(64), 2 * 1024 + 1, 1024, three);
        assertThat(json.readValue(json.writeValueAsString(f), FileRef.class)).isEqualTo(f);
        assertThatThrownBy(() -> new FileRef("0".repeat(64), 1024, 1024, three)).hasMessageContaining("needs 1 chunks");
        assertThatThrownBy(() -> new FileRef("XYZ", 0, 1024, List.of())).hasMessageContaining("hex");
    }

    @Test
    void readersAcceptNewerMinorVersionsOnly() {
        FormatVersion v1 = new FormatVersion(1, 0);
        assertThat(v1.canRead(new FormatVersion(1, 7))).isTrue();
        assertThat(v1.canRead(new FormatVersion(2, 0))).isFalse();
    }

    @Test
    void packIndexEntryRejectsImpossibleLengths() {
        assertThatThrownBy(() -> new PackIndexEntry(key(1), 0, 0, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PackIndexEntry(key(1), 1L << 32, 10, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PackIndexEntry(key(1), 0, 10, StoreFormat.MAX_CHUNK_SIZE + 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
