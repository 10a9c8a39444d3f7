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
}
