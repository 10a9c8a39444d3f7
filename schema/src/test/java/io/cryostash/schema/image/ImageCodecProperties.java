// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.ChunkKey;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The process-image manifest codec: whatever valid image goes in comes out the same, and
 * whatever bytes come in either decode to a valid image or are refused with
 * {@link InvalidImageException} — never another exception a caller would not expect.
 */
class ImageCodecProperties {
    private final ImageCodec codec = new ImageCodec();

    /** Non-overlapping anonymous areas with chunks inside them, in address order. */
    @Provide
    Arbitrary<List<MemoryArea>> areas() {
        Arbitrary<long[]> gapAndPages = Combinators.combine(Arbitraries.longs().between(0, 1 << 20),
                Arbitraries.longs().between(1, 4096)).as((gap, pages) -> new long[] {gap, pages});
        Arbitrary<byte[]> keys = Arbitraries.bytes().array(byte[].class).ofSize(32);
        return Combinators.combine(gapAndPages.list().ofMinSize(1).ofMaxSize(30), keys.list().ofSize(30),
                Arbitraries.longs().between(1, Long.MAX_VALUE).list().ofSize(30)).as((shapes, ks, presences) -> {
                    List<MemoryArea> out = new ArrayList<>();
                    long at = 0x10000;
                    for (int i = 0; i < shapes.size(); i++) {
                        long start = at + shapes.get(i)[0] * 4096;
                        long pages = shapes.get(i)[1];
                        long end = start + pages * 4096;
                        int chunkPages = 16;
                        int first = (int) Math.min(pages, 16);
                        long presence = presences.get(i) & (first == 64 ? -1L : (1L << first) - 1);
                        AreaChunks content = presence == 0 ? null : new AreaChunks(start, end - start, 4096, chunkPages,
                                List.of(new AreaChunk(0, first, presence, ChunkKey.of(ks.get(i)))));
                        out.add(new MemoryArea(start, end, i % 2 == 0 ? "rw-p" : "r--p", 0, null,
                                MemoryArea.Kind.ANONYMOUS, content, java.util.Set.of()));
                        at = end;
                    }
                    return out;
                });
    }

    @Provide
    Arbitrary<String> plainPaths() {
        return Arbitraries.strings().withChars("abcxyz019_-.").ofMinLength(1).ofMaxLength(20)
                .filter(s -> !s.equals(".") && !s.equals("..")).list().ofMinSize(1).ofMaxSize(6)
                .map(parts -> "/" + String.join("/", parts));
    }

    @Property(tries = 300)
    void validImagesRoundTrip(@ForAll("areas") List<MemoryArea> areas, @ForAll("plainPaths") String cwd,
                              @ForAll("plainPaths") String file, @ForAll @IntRange(min = 0, max = 1 << 19) int fd,
                              @ForAll @Size(max = 40) String comm) {
        ProcessImage base = ImageCodecTest.sample(areas, ProcessImage.FORMAT_VERSION, cwd);
        ProcessImage img = new ProcessImage(base.formatVersion(), base.id(), base.parent(), base.tracking(),
                base.createdAt(), base.host(),
                new ProcessInfo(10, 1, 10, 10, comm, List.of(comm), file, 0),
                base.credentials(), base.mm(), withMapped(base.areas(), file), base.threads(), base.signalActions(),
                base.fs(), List.of(FdEntry.withoutRecord(fd, FdEntry.Kind.REGULAR, file, 0, fd)), base.rlimits(),
                file.equals("/usr/bin/prog") ? base.files()
                        : List.of(base.files().get(0), new FileFingerprint(file, 1, 2, 3, null)),
                base.timers(), base.sharedPendingSignals(), base.sysvIpc(), null);
        byte[] json = codec.encode(img);
        ProcessImage back = codec.decode(json);
        // records holding byte[] compare by identity, so compare what a reader sees: the encoding
        assertThat(codec.encode(back)).isEqualTo(json);
        assertThat(back.areas()).hasSize(areas.size() + 2); // sample adds the program's code, the test a data file
        assertThat(back.process().comm()).isEqualTo(comm);
    }

    /** The areas plus a shared mapping of {@code file} (every fingerprinted file is mapped). */
    private static List<MemoryArea> withMapped(List<MemoryArea> areas, String file) {
        List<MemoryArea> out = new ArrayList<>(areas);
        long at = ImageCodecTest.CODE + 0x100000;
        out.add(new MemoryArea(at, at + 0x1000, "rw-s", 0, file, MemoryArea.Kind.FILE_SHARED, null, java.util.Set.of()));
        return out;
    }

    @Property(tries = 500)
    void garbageIsRefusedWithInvalidImageException(@ForAll @Size(max = 2000) byte[] garbage) {
        assertThatThrownBy(() -> codec.decode(garbage)).isInstanceOf(InvalidImageException.class);
    }

    @Property(tries = 500)
    void damagedManifestDecodesValidOrIsRefused(@ForAll("areas") List<MemoryArea> areas,
                                                @ForAll @IntRange(min = 0, max = 1 << 30) int where,
                                                @ForAll byte with) {
        byte[] json = codec.encode(ImageCodecTest.sample(areas, ProcessImage.FORMAT_VERSION, "/tmp"));
        json[where % json.length] = with;
        try {
            ProcessImage img = codec.decode(json);
            ImageCodec.validate(img); // what decoded must be valid by the codec's own rules
        } catch (InvalidImageException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 200)
    void pathsWithTricksAreRefused(@ForAll("plainPaths") String path, @ForAll @IntRange(min = 0, max = 3) int trick) {
        String bad = switch (trick) {
            case 0 -> path.substring(1); // relative
            case 1 -> path + "/../etc/shadow";
            case 2 -> path + "/./x";
            default -> path + "\0";
        };
        byte[] json = codec.encode(ImageCodecTest.sample(List.of(ImageCodecTest.anon(0x10000, 0x20000)),
                ProcessImage.FORMAT_VERSION, bad));
        assertThatThrownBy(() -> codec.decode(json)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("path");
    }
}
