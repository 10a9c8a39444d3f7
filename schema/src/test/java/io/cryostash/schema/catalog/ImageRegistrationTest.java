// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.time.Instant;
import java.util.Collections;
import java.util.List;

import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.MemoryArea;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ImageRegistrationTest {

    static ImageRegistration with(List<ThreadSummary> threads, List<AreaSummary> areas, List<FdSummary> fds) {
        return new ImageRegistration("img-1", "host-1", "job", null, Instant.EPOCH, null, 0, 0, "m", "s",
                new ProcessSummary(1, "/bin/x", List.of(), "x86_64", List.of(), "v", "6.18", 1, 1, 1, 0L), List.of(),
                threads, areas, fds);
    }

    @Test
    void listsAreOptional() {
        assertThat(with(null, null, null).problems()).isEmpty();
        assertThat(with(List.of(), List.of(), List.of()).problems()).isEmpty();
    }

    @Test
    void listsOverTheirBoundsAreRejectedWithoutReadingEachElement() {
        var area = new AreaSummary(0, 4096, "r--p", 0, null, MemoryArea.Kind.ANONYMOUS, 0, null);
        var fd = new FdSummary(0, FdEntry.Kind.CHARACTER_DEVICE, "/dev/null", 0, 0);
        assertThat(with(null, Collections.nCopies(ImageRegistration.MAX_AREAS, area), null).problems()).isEmpty();
        assertThat(with(null, Collections.nCopies(ImageRegistration.MAX_AREAS + 1, area),
                Collections.nCopies(ImageRegistration.MAX_FDS + 1, fd)).problems())
                .containsExactly("areas: at most 100000", "fds: at most 65536");
    }

    @Test
    void vsyscallAboveTwoToTheSixtyThirdIsAValidArea() {
        var vsyscall = new AreaSummary(0xffffffffff600000L, 0xffffffffff601000L, "--xp", 0, "[vsyscall]",
                MemoryArea.Kind.VDSO, 0, null);
        assertThat(vsyscall.problems("a")).isEmpty();
    }

    @Test
    void pathsMustBePlainAbsoluteAndShort() {
        assertThat(new FdSummary(1, FdEntry.Kind.REGULAR, "/" + "a".repeat(4094), 0, 0).problems("f")).isEmpty();
        assertThat(new FdSummary(1, FdEntry.Kind.REGULAR, "/" + "a".repeat(4095), 0, 0).problems("f")).hasSize(1);
        assertThat(new FdSummary(1, FdEntry.Kind.REGULAR, "/tmp/a\nb", 0, 0).problems("f")).hasSize(1);
        assertThat(new FdSummary(1, FdEntry.Kind.UNREOPENABLE, "socket:[12]", 0, 0).problems("f")).isEmpty();
        assertThat(new AreaSummary(0, 4096, "r--p", 0, "/a/../b", MemoryArea.Kind.FILE_PRIVATE, 0, null).problems("a"))
                .containsExactly("a.path: must not have . or .. components");
        assertThat(new AreaSummary(0, 4096, "r--p", 0, null, MemoryArea.Kind.FILE_SHARED, 0, null).problems("a")).hasSize(1);
        assertThat(new AreaSummary(0, 4096, "rw-p", 0, "[anon:jvm heap]", MemoryArea.Kind.ANONYMOUS, 1, 10L).problems("a"))
                .isEmpty();
    }

    @Test
    void nulInTextThatGoesIntoJsonbIsRefusedByName() {
        var r = new ImageRegistration("img-1", "host-1", "job", java.util.Map.of("team", "a\0b"), Instant.EPOCH, null, 0, 0,
                "m", "s", new ProcessSummary(1, "/bin/x", List.of("x", "-\0"), "x86_64", List.of(), "v", "6.18", 1, 1, 1, 0L),
                List.of(), List.of(new ThreadSummary(1, "wo\0rker", "S")), null, null);
        assertThat(r.problems()).anySatisfy(p -> assertThat(p).startsWith("jobLabels.team: must not contain NUL"))
                .anySatisfy(p -> assertThat(p).contains("argv: must not contain NUL"))
                .anySatisfy(p -> assertThat(p).startsWith("threads[0].name: must not contain NUL"));
    }

    @Test
    void sizesAreBoundedSoThatSumsOfThemStayFarFromOverflow() {
        var ok = with(null, null, null);
        var atBound = new ImageRegistration("img-1", "host-1", "job", null, Instant.EPOCH, null, ImageRegistration.MAX_BYTES,
                ImageRegistration.MAX_BYTES, "m", "s", ok.process(), List.of());
        assertThat(atBound.problems()).isEmpty();
        var over = new ImageRegistration("img-1", "host-1", "job", null, Instant.EPOCH, null, Long.MAX_VALUE, -1, "m", "s",
                ok.process(), List.of(new ChunkRef("a".repeat(64), 1, 1L, "p", ChunkRef.MAX_OFFSET + 1)));
        assertThat(over.problems()).containsExactly(
                "logicalBytes: must be between 0 and 144115188075855872 (is 9223372036854775807)",
                "storedBytes: must be between 0 and 144115188075855872 (is -1)",
                "chunks[0].offset: must be between 0 and 1099511627776 (is 1099511627777)");
    }

    @Test
    void anAreaCannotKeepMorePagesThanItHas() {
        assertThat(new AreaSummary(0, 8192, "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS, 2, null).problems("a")).isEmpty();
        assertThat(new AreaSummary(0, 8192, "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS, 3, null).problems("a"))
                .containsExactly("a.storedPages: must be between 0 and 2 (is 3)");
        // The whole 64-bit space, unsigned, without overflowing the count.
        assertThat(new AreaSummary(0, -1L, "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS, 1L << 52, null).problems("a")).isEmpty();
    }

    @Test
    void dotAndDotDotAreNoIdsAndTimesStayWithinYearsOneTo9999() {
        assertThat(ImageRegistration.isValidId(".")).isFalse();
        assertThat(ImageRegistration.isValidId("..")).isFalse();
        assertThat(ImageRegistration.isValidId("...")).isTrue();
        assertThat(ImageRegistration.isValidId("img.1")).isTrue();
        var late = new ImageRegistration("..", "host-1", "job", null, Instant.parse("+10000-01-01T00:00:00Z"), null, 0, 0,
                "m", "s", with(null, null, null).process(), List.of());
        assertThat(late.problems()).containsExactly("imageId: must not be . or ..",
                "capturedAt: must be between 0001-01-01 and 9999-12-31 (is +10000-01-01T00:00:00Z)");
    }
}
