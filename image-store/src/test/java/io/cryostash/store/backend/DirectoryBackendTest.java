// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DirectoryBackendTest extends BackendContractTest {
    @TempDir
    Path dir;

    @Override
    protected Backend newBackend() throws Exception {
        return new DirectoryBackend(dir.resolve("store"));
    }

    @Test
    void putLeavesNoTemporaryFiles() throws Exception {
        backend.put("packs/x", new byte[100]);
        try (var s = Files.list(dir.resolve("store/.tmp"))) {
            assertThat(s).isEmpty();
        }
        assertThat(Files.readAllBytes(dir.resolve("store/packs/x"))).hasSize(100);
    }

    @Test
    void temporaryFilesAreNotListed() throws Exception {
        Files.write(dir.resolve("store/.tmp/left-over.part"), new byte[3]);
        assertThat(backend.list("")).isEmpty();
    }

    /**
     * A pack in a PackBuffer goes to the disk with O_DIRECT (whole blocks) and its last partial
     * block through the page cache (or all through the page cache where the file system refuses
     * O_DIRECT): every size around the block boundaries reads back whole, and long ranged reads
     * (with O_DIRECT too) give the very bytes at any alignment and at the end of the file.
     */
    @Test
    void packsInAlignedMemoryReadBackWholeAtEverySizeAroundABlock() throws Exception {
        java.util.Random random = new java.util.Random(7);
        int[] sizes = {1, 4095, 4096, 4097, 8191, 8192, 12_345, (4 << 20) + 17};
        for (int size : sizes) {
            io.cryostash.store.pack.PackBuffer buffer = new io.cryostash.store.pack.PackBuffer(1 << 16);
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            buffer.write(bytes, 0, size);
            backend.putDeferred("packs/p" + size, buffer.contents());
            assertThat(buffer.size()).as("the buffer is left as it was").isEqualTo(size);
        }
        backend.sync();
        random = new java.util.Random(7);
        for (int size : sizes) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            assertThat(backend.get("packs/p" + size)).as("pack of %d bytes", size).isEqualTo(bytes);
            // ranged reads long enough to go around the page cache, at every alignment, up to and past the end
            if (size > 300_000) {
                for (long offset : new long[] {0, 1, 4095, 4096, 5000, size - 300_000L}) {
                    for (int length : new int[] {256 << 10, 300_000, (int) (size - offset), (int) (size - offset) + 999}) {
                        int expected = (int) Math.min(length, size - offset);
                        assertThat(backend.getRange("packs/p" + size, offset, length)).as("%d+%d", offset, length)
                                .isEqualTo(java.util.Arrays.copyOfRange(bytes, (int) offset, (int) offset + expected));
                    }
                }
            }
        }
        try (var s = Files.list(dir.resolve("store/.tmp"))) {
            assertThat(s).isEmpty();
        }
    }
}
