package io.cryostash.agent.store.repository;

import io.cryostash.agent.store.backend.Backend;
import io.cryostash.agent.store.backend.S3ProxyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;

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

    @Override
    protected Backend newBackend() throws Exception {
        return s3.freshBackend();
    }
}
