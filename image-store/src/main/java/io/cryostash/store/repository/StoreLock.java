// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * A lock object ({@code locks/<kind>-<uuid>}) that keeps garbage collection and captures apart.
 *
 * <p>Captures take shared locks, GC an exclusive one. Both write their lock first and list the
 * others second, so of two that start together at least one sees the other and backs off —
 * no compare-and-swap needed, which S3 does not offer. A capture skips chunks the index says
 * are stored; without the lock, a GC running meanwhile could delete exactly those. Locks not
 * refreshed for {@link #STALE} belong to dead processes and are ignored. Holders refresh their
 * lock (rewrite it) well within that time.
 */
public final class StoreLock implements AutoCloseable {
    /** A lock older than this is ignored: its holder died. */
    public static final Duration STALE = Duration.ofMinutes(30);
    /** Holders rewrite their lock this often. */
    public static final Duration REFRESH = Duration.ofMinutes(5);

    enum Kind { CAPTURE, GC }

    private final Backend backend;
    private final String name;
    private final byte[] content;
    private volatile boolean released;

    private StoreLock(Backend backend, String name, byte[] content) {
        this.backend = backend;
        this.name = name;
        this.content = content;
    }

    static StoreLock acquire(Backend backend, Kind kind, String host) throws IOException {
        String name = StoreFormat.LOCKS + kind.name().toLowerCase() + "-" + UUID.randomUUID();
        byte[] content = (host + " pid " + ProcessHandle.current().pid() + " since " + Instant.now() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        backend.put(name, content);
        StoreLock lock = new StoreLock(backend, name, content);
        Instant staleBefore = Instant.now().minus(STALE);
        for (ObjectInfo o : backend.list(StoreFormat.LOCKS)) {
            if (o.name().equals(name) || o.modified().isBefore(staleBefore)) {
                continue;
            }
            boolean otherIsGc = o.name().startsWith(StoreFormat.LOCKS + "gc-");
            if (kind == Kind.GC || otherIsGc) {
                String holder;
                try {
                    holder = new String(backend.get(o.name()), StandardCharsets.UTF_8).trim();
                } catch (IOException e) {
                    holder = "(gone)";
                }
                lock.close();
                throw new StoreLockedException(backend.location(), o.name(), holder);
            }
        }
        return lock;
    }

    /** Rewrites the lock so it does not become stale. */
    void refresh() throws IOException {
        if (!released) {
            backend.put(name, content);
        }
    }

    String name() {
        return name;
    }

    @Override
    public void close() throws IOException {
        if (!released) {
            released = true;
            backend.delete(name);
        }
    }
}
