// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MemoryArea.Setting;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.ChunkKey;

class FreshFillTest {
    private static final long START = 0x7f0000000000L;

    /** An area of {@code chunks} full 64 KiB chunks. */
    private static MemoryArea area(String perms, MemoryArea.Kind kind, int chunks, Set<Setting> settings) {
        List<AreaChunk> list = new java.util.ArrayList<>();
        for (int i = 0; i < chunks; i++) {
            list.add(new AreaChunk(i * 16L, 16, -1L >>> 48, ChunkKey.of(new byte[32])));
        }
        long length = 64L << 20;
        return new MemoryArea(START, START + length, perms, 0, kind == MemoryArea.Kind.ANONYMOUS ? null : "/srv/f",
                kind, new AreaChunks(START, length, 4096, 16, list), settings);
    }

    @Test
    void largePrivateAnonymousMemoryGoesThroughUserfaultfdUnlessTheKernelWouldHaveGivenItHugePages() {
        MemoryArea plain = area("rw-p", MemoryArea.Kind.ANONYMOUS, 32, Set.of());
        MemoryArea advised = area("rw-p", MemoryArea.Kind.ANONYMOUS, 32, Set.of(Setting.HUGEPAGE));
        MemoryArea refusing = area("rw-p", MemoryArea.Kind.ANONYMOUS, 32, Set.of(Setting.NOHUGEPAGE));
        assertThat(FreshFill.eligible(plain, "madvise")).isTrue();
        assertThat(FreshFill.eligible(advised, "madvise")).as("huge pages wanted and given").isFalse();
        assertThat(FreshFill.eligible(plain, "always")).as("huge pages given unasked").isFalse();
        assertThat(FreshFill.eligible(refusing, "always")).isTrue();
        assertThat(FreshFill.eligible(advised, "never")).isTrue();
    }

    @Test
    void smallFileBackedAndInaccessibleAreasGoTheUsualWay() {
        assertThat(FreshFill.eligible(area("rw-p", MemoryArea.Kind.ANONYMOUS, 15, Set.of()), "never"))
                .as("under 1 MiB saved: not worth a registration").isFalse();
        assertThat(FreshFill.eligible(area("rw-p", MemoryArea.Kind.ANONYMOUS, 16, Set.of()), "never")).isTrue();
        assertThat(FreshFill.eligible(area("rw-p", MemoryArea.Kind.FILE_PRIVATE, 32, Set.of()), "never")).isFalse();
        assertThat(FreshFill.eligible(area("---p", MemoryArea.Kind.ANONYMOUS, 32, Set.of()), "never")).isFalse();
        MemoryArea whole = area("rw-p", MemoryArea.Kind.ANONYMOUS, 32, Set.of());
        AreaChunks c = whole.content();
        MemoryArea patched = whole.withContent(new AreaChunks(c.start(), c.length(), c.pageSize(), c.chunkPages(),
                c.chunks(), List.of(new AreaChunk(0, 1, 1, ChunkKey.of(new byte[32])))));
        assertThat(FreshFill.eligible(patched, "never")).as("a patch writes over its chunk's pages").isFalse();
    }

    @Test
    void thePolicyIsTheBracketedWordOfThisKernel() {
        assertThat(FreshFill.thpPolicy()).isIn("always", "madvise", "never");
    }
}
