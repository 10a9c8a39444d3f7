// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.cryostash.schema.image.Credentials;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.FileFingerprint;
import io.cryostash.schema.image.FsState;
import io.cryostash.schema.image.HostInfo;
import io.cryostash.schema.image.ImageCodec;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MmLayout;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ProcessInfo;
import io.cryostash.schema.image.ProcessTimers;
import io.cryostash.schema.image.Rlimit;
import io.cryostash.schema.image.SignalAction;
import io.cryostash.schema.image.ThreadState;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.FileRef;
import io.cryostash.schema.store.SignedManifest;
import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.store.repository.StoreSettings;
import io.cryostash.store.sign.HostKeys;
import io.cryostash.store.sign.ManifestCodec;

/**
 * Manifests signed with the host's own key (a buggy or compromised signer) whose payload does
 * not agree with its envelope or with itself: reading the image refuses them, naming the
 * problem, before restore could build anything (issue 12, item 18).
 */
class ForgedManifestTest {
    private static final long HEAP = 0x600000;
    private static final long CODE = 0x400000;

    @TempDir
    Path tmp;

    private ImageStore store;
    private HostKeys keys;
    private String id;

    @BeforeEach
    void writeAnImage() throws IOException {
        Path state = tmp.resolve("state");
        store = ImageStore.open(StoreSettings.local(tmp.resolve("store"), state, "host-a"));
        keys = HostKeys.loadOrCreate(state.resolve("keys"));
        Path exe = tmp.resolve("prog");
        Files.write(exe, new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 3, 4});
        try (ImageWriter w = store.newImage()) {
            byte[] page = new byte[4 * 4096];
            page[100] = 42;
            ChunkKey k = w.put(page);
            w.reuse(List.of(k));
            FileRef code = w.putFile(exe);
            AreaChunks heap = new AreaChunks(HEAP, 4 * 4096, 4096, 16, List.of(new AreaChunk(0, 4, 0b1111, k)));
            id = store.commit(w, image(exe.toString(), heap, code)).id();
        }
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static ProcessImage image(String exe, AreaChunks heap, FileRef code) {
        long[] r = new long[CpuRegisters.COUNT];
        r[16] = CODE + 0x10;
        return new ProcessImage(ProcessImage.FORMAT_VERSION, null, null, "full", Instant.parse("2026-01-01T00:00:00Z"),
                new HostInfo("host-a", "6.18", "amd64", null, 2),
                new ProcessInfo(10, 1, 10, 10, "prog", List.of("prog"), exe, 0),
                new Credentials(1000, 1000, 1000, 1000, 100, 100, 100, 100, List.of()),
                new MmLayout(CODE, CODE + 0x1000, 0, 0, HEAP, HEAP, 0x7ff000, 0, 0, 0, 0, new byte[16], exe),
                List.of(new MemoryArea(CODE, CODE + 0x1000, "r-xp", 0, exe, MemoryArea.Kind.FILE_PRIVATE, null, java.util.Set.of()),
                        new MemoryArea(HEAP, HEAP + 4 * 4096, "rw-p", 0, "[heap]", MemoryArea.Kind.ANONYMOUS, heap, java.util.Set.of())),
                List.of(new ThreadState(10, CpuRegisters.fromArray(r), new byte[2], 0, null, null, 0, 0, 0, "prog",
                        List.of(), false)),
                List.of(new SignalAction(15, CODE + 0x100, 0, 0, 0)), new FsState("/", "/", 022),
                List.of(FdEntry.withoutRecord(3, FdEntry.Kind.REGULAR, exe, 0, 0)), List.of(new Rlimit(7, "nofile", 1024, 4096)),
                List.of(new FileFingerprint(exe, 8, 1, 2, code)), ProcessTimers.NONE, List.of(), null, null);
    }

    /** Re-signs the image's envelope lists around an edited payload, as the host's key would. */
    private String forged(Consumer<ObjectNode> edit) throws IOException {
        byte[] data = store.repository().chunks().backend().get(StoreFormat.MANIFESTS + id);
        SignedManifest m = ManifestCodec.parse(id, data);
        ImageCodec codec = new ImageCodec();
        ObjectNode tree = (ObjectNode) codec.mapper().readTree(m.payload());
        edit.accept(tree);
        byte[] signed = ManifestCodec.sign(keys, m.created(), m.host(), m.chunks(), m.tables(),
                codec.mapper().writeValueAsBytes(tree));
        String forgedId = ManifestCodec.imageId(signed);
        store.repository().chunks().backend().put(StoreFormat.MANIFESTS + forgedId, signed);
        return forgedId;
    }

    private static ObjectNode heapArea(ObjectNode tree) {
        for (var a : tree.withArray("areas")) {
            if (a.get("start").asLong() == HEAP) {
                return (ObjectNode) a;
            }
        }
        throw new AssertionError("no heap area");
    }

    @Test
    void theHonestImageReadsBackWithItsPages() {
        ProcessImage back = store.read(id);
        assertThat(back.areas().get(1).storedPages()).isEqualTo(4);
    }

    @Test
    void aChunkTableTheEnvelopeListsButTheManifestDropsIsRefused() throws IOException {
        String forgedId = forged(t -> heapArea(t).remove("table"));
        assertThatThrownBy(() -> store.read(forgedId)).isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining(forgedId).hasMessageContaining("chunk table")
                .hasMessageContaining("no memory area");
    }

    @Test
    void aStoredFileTheManifestDropsIsRefused() throws IOException {
        String forgedId = forged(t -> ((ObjectNode) t.withArray("files").get(0)).putNull("content"));
        assertThatThrownBy(() -> store.read(forgedId)).isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining("uses it nowhere");
    }

    @Test
    void aNullFilesSectionIsRefusedNotANullPointerException() throws IOException {
        String forgedId = forged(t -> t.putNull("files"));
        assertThatThrownBy(() -> store.read(forgedId)).isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining(forgedId).hasMessageContaining("files section missing");
    }

    @Test
    void aFileAreaRelabelledAnonymousIsRefused() throws IOException {
        String forgedId = forged(t -> ((ObjectNode) t.withArray("areas").get(0)).put("kind", "ANONYMOUS"));
        assertThatThrownBy(() -> store.read(forgedId)).isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining("anonymous");
    }

    @Test
    void negativeRlimitsAndASigkillHandlerAreRefused() throws IOException {
        String limits = forged(t -> ((ObjectNode) t.withArray("rlimits").get(0)).put("soft", -7));
        assertThatThrownBy(() -> store.read(limits)).isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining("negative");
        String kill = forged(t -> ((ObjectNode) t.withArray("signalActions").get(0)).put("signal", 9));
        assertThatThrownBy(() -> store.read(kill)).isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining("signal 9");
        String stop = forged(t -> ((ArrayNode) t.withArray("signalActions")).addObject().put("signal", 19)
                .put("handler", CODE + 0x200).put("flags", 0).put("restorer", 0).put("mask", 0));
        assertThatThrownBy(() -> store.read(stop)).isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining("signal 19");
    }
}
