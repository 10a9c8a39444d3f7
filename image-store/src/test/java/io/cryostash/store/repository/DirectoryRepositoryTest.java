// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.DirectoryBackend;
import io.cryostash.store.sign.HostKeys;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class DirectoryRepositoryTest extends RepositoryContractTest {
    @Override
    protected Backend newBackend() throws Exception {
        return new DirectoryBackend(tmp.resolve("store"));
    }

    @Test
    void openingFromSettingsCreatesTheHostKeyAndTrustsIt() throws Exception {
        StoreSettings s = StoreSettings.local(tmp.resolve("local-store"), tmp.resolve("state"), "host-1");
        String id;
        try (Repository repo = Repository.open(s); ImageWriter w = repo.newImage()) {
            w.put(new byte[4096]);
            id = w.commit("{}".getBytes());
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                tmp.resolve("state/keys").resolve(HostKeys.PRIVATE_FILE)))).isEqualTo("rw-------");
        try (Repository again = Repository.open(s)) {
            assertThat(again.readImage(id).manifest().host()).isEqualTo("host-1");
        }
    }
}
