// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.store.repository.StoreSettings;

/**
 * {@link ImageStore#readParent}: a snapshot's parent that this store committed itself is taken as
 * committed (no download, no second signature check), but only while its manifest and every chunk
 * it names are still stored; restore's {@link ImageStore#read} always checks what the store holds.
 */
class ReadParentTest {
    @TempDir
    Path tmp;

    private ImageStore store;
    private ProcessImage committed;

    @BeforeEach
    void commitAnImage() throws IOException {
        store = ImageStore.open(StoreSettings.local(tmp.resolve("store"), tmp.resolve("state"), "host-a"));
        byte[] mem = new byte[64 * 4096];
        new Random(3).nextBytes(mem);
        Path exe = Files.write(tmp.resolve("prog"), new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 3, 4});
        try (ImageWriter w = store.newImage()) {
            io.cryostash.schema.store.FileRef code = w.putFile(exe);
            AreaChunks a = w.putArea(new AreaChunker(), 0x10000000L, mem.length, AreaChunker.PagePresence.all(),
                    (addr, dst) -> dst.put(mem, (int) (addr - 0x10000000L), dst.remaining()));
            AreaChunks b = w.putArea(new AreaChunker(), 0x20000000L, 16 * 4096, AreaChunker.PagePresence.all(),
                    (addr, dst) -> dst.put(mem, (int) (addr - 0x20000000L), dst.remaining()));
            committed = store.commit(w, PrefetchedPagesTest.image(exe.toString(), code, a, b));
        }
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Backend backend() {
        return store.repository().chunks().backend();
    }

    @Test
    void theParentThisStoreCommittedIsTakenAsCommittedWhileRestoreChecksTheStore() throws IOException {
        assertThat(store.readParent(committed.id())).isSameAs(committed);
        // a manifest damaged in the store afterwards: restore refuses it, the parent is what this host signed
        String name = StoreFormat.MANIFESTS + committed.id();
        byte[] m = backend().get(name);
        m[m.length / 2] ^= 0x20;
        backend().put(name, m);
        assertThatThrownBy(() -> store.read(committed.id())).isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining("rejected");
        assertThat(store.readParent(committed.id())).isSameAs(committed);
        // another store instance (another agent) never wrote it: it reads and verifies
        try (ImageStore other = ImageStore.open(StoreSettings.local(tmp.resolve("store"), tmp.resolve("state"), "host-a"))) {
            assertThatThrownBy(() -> other.readParent(committed.id())).isInstanceOf(ImageIntegrityException.class);
        }
    }

    @Test
    void aDeletedParentIsNotFound() throws IOException {
        store.repository().deleteImage(committed.id());
        assertThatThrownBy(() -> store.readParent(committed.id())).isInstanceOf(ImageNotFoundException.class);
    }

    @Test
    void aParentWhoseChunksAreGoneIsReadAgainAndRefused() throws IOException {
        var first = committed.areas().get(1).content().chunks().get(0).key();
        String pack = store.repository().chunks().index().lookup(first).orElseThrow().packId();
        backend().delete(PackReader.objectName(pack));
        // as after a repair-index that found the pack gone: the index no longer names it
        store.repository().chunks().index().removePacks(java.util.Set.of(pack));
        assertThatThrownBy(() -> store.readParent(committed.id())).isInstanceOf(ImageIntegrityException.class)
                .hasMessageContaining("is missing");
    }
}
