// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A back end that runs a hook around each call, for tests that interleave what two hosts do
 * with one store at exactly the step a race needs. It does not own the back end it forwards to.
 */
final class HookedBackend implements Backend {
    enum Call { PUT, LIST, DELETE }

    /** Runs before ({@code done} false) and after ({@code done} true) each put, list and delete. */
    interface Hook {
        void at(Call call, String nameOrPrefix, boolean done) throws IOException;
    }

    private final Backend backend;
    private final Hook hook;

    HookedBackend(Backend backend, Hook hook) {
        this.backend = backend;
        this.hook = hook;
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        hook.at(Call.PUT, name, false);
        backend.put(name, data);
        hook.at(Call.PUT, name, true);
    }

    @Override
    public byte[] get(String name) throws IOException {
        return backend.get(name);
    }

    @Override
    public byte[] getRange(String name, long offset, int length) throws IOException {
        return backend.getRange(name, offset, length);
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        hook.at(Call.LIST, prefix, false);
        List<ObjectInfo> out = backend.list(prefix);
        hook.at(Call.LIST, prefix, true);
        return out;
    }

    @Override
    public void delete(String name) throws IOException {
        hook.at(Call.DELETE, name, false);
        backend.delete(name);
        hook.at(Call.DELETE, name, true);
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        return backend.stat(name);
    }

    @Override
    public String location() {
        return backend.location();
    }

    @Override
    public void close() {
    }
}
