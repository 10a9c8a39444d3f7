// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.RetryingBackend;
import io.cryostash.store.backend.S3ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.time.Duration;

class S3RepositoryTest extends RepositoryContractTest {
    static S3ProxyFixture s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = new S3ProxyFixture(Files.createTempDirectory("s3proxy-repo"));
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    /**
     * Wrapped in retries as in production ({@code Backends.open}): S3Proxy's filesystem provider
     * answers 500 when it lists an object another request is still writing, a transient error
     * that the retries exist for.
     */
    @Override
    protected Backend newBackend() throws Exception {
        return new RetryingBackend(s3.freshBackend(), 5, Duration.ofMillis(20), Duration.ofMillis(200));
    }
}
