package io.cryostash.agent.store.repository;

import io.cryostash.agent.store.backend.Backend;
import io.cryostash.agent.store.backend.DirectoryBackend;

class DirectoryRepositoryTest extends RepositoryContractTest {
    @Override
    protected Backend newBackend() throws Exception {
        return new DirectoryBackend(tmp.resolve("store"));
    }
}
