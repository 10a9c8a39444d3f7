// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.sign;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostKeysTest {
    @TempDir
    Path dir;

    @Test
    void firstUseCreatesAPrivateKeyReadableByOwnerOnly() throws IOException {
        HostKeys k = HostKeys.loadOrCreate(dir.resolve("keys"));
        Path priv = dir.resolve("keys").resolve(HostKeys.PRIVATE_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(priv))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys")))).isEqualTo("rwx------");
        assertThat(Files.readString(dir.resolve("keys").resolve(HostKeys.PUBLIC_FILE)).trim()).isNotEmpty();
        assertThat(HostKeys.loadOrCreate(dir.resolve("keys")).keyId()).isEqualTo(k.keyId());
    }

    @Test
    void privateKeyReadableByOthersIsRefused() throws IOException {
        HostKeys.loadOrCreate(dir);
        Files.setPosixFilePermissions(dir.resolve(HostKeys.PRIVATE_FILE), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> HostKeys.loadOrCreate(dir)).hasMessageContaining("chmod 600");
    }

    @Test
    void concurrentFirstUseEndsWithOneKey() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Callable<String> c = () -> HostKeys.loadOrCreate(dir.resolve("k")).keyId();
            List<Future<String>> fs = pool.invokeAll(List.of(c, c, c, c, c, c));
            String first = fs.get(0).get();
            for (Future<String> f : fs) {
                assertThat(f.get()).isEqualTo(first);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void trustedKeysLoadsPublicKeyFiles() throws IOException {
        HostKeys own = HostKeys.loadOrCreate(dir.resolve("own"));
        HostKeys other = HostKeys.loadOrCreate(dir.resolve("other"));
        Path trust = Files.createDirectories(dir.resolve("trusted"));
        Files.copy(dir.resolve("other").resolve(HostKeys.PUBLIC_FILE), trust.resolve("other.pub"));
        TrustedKeys t = TrustedKeys.load(own, trust);
        assertThat(t.keyIds()).containsExactlyInAnyOrder(own.keyId(), other.keyId());
        Files.writeString(trust.resolve("bad.pub"), "not a key");
        assertThatThrownBy(() -> TrustedKeys.load(own, trust)).hasMessageContaining("bad.pub");
    }
}
