// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.schema.store.StoreFormat;
import org.slf4j.LoggerFactory;

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
 * are stored; without the lock, a GC running meanwhile could delete exactly those. Holders
 * refresh their lock (rewrite it) well within {@link #STALE}.
 *
 * <p>A holder that died leaves its lock behind. Each lock names its owner ({@link LockOwner}):
 * when that owner provably is dead (it ran on this kernel and its pid is gone or reused, or on
 * this machine before a reboot), the lock is taken over at once — deleted — instead of blocking
 * for {@link #STALE}. A lock whose owner cannot be judged from here (another host, or an older
 * format) is ignored only once not refreshed for {@link #STALE}.
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
    private final boolean alone;
    private volatile boolean released;

    private StoreLock(Backend backend, String name, byte[] content, boolean alone) {
        this.backend = backend;
        this.name = name;
        this.content = content;
        this.alone = alone;
    }

    static StoreLock acquire(Backend backend, Kind kind, String host) throws IOException {
        String name = StoreFormat.LOCKS + kind.name().toLowerCase() + "-" + UUID.randomUUID();
        byte[] content = LockOwner.current(host).encode();
        backend.put(name, content);
        Instant staleBefore = Instant.now().minus(STALE);
        boolean alone = true;
        try {
            for (ObjectInfo o : backend.list(StoreFormat.LOCKS)) {
                if (o.name().equals(name)) {
                    continue;
                }
                boolean otherIsGc = o.name().startsWith(StoreFormat.LOCKS + "gc-");
                if (kind != Kind.GC && !otherIsGc) {
                    continue; // captures share the store
                }
                byte[] held;
                try {
                    held = backend.get(o.name());
                } catch (ObjectNotFoundException released) {
                    continue;
                }
                LockOwner owner = LockOwner.parse(held);
                if (owner != null && owner.provablyDead()) {
                    LoggerFactory.getLogger(StoreLock.class).info("taking over {} of {}: that process is gone",
                            o.name(), owner.describe());
                    backend.delete(o.name());
                    continue;
                }
                alone = false;
                if (o.modified().isBefore(staleBefore)) {
                    continue; // its holder stopped refreshing it long ago
                }
                String holder = owner != null ? owner.describe() : new String(held, StandardCharsets.UTF_8).trim();
                throw new StoreLockedException(backend.location(), o.name(), holder);
            }
        } catch (IOException | RuntimeException e) {
            try {
                backend.delete(name);
            } catch (IOException ignored) {
                // it goes stale
            }
            throw e;
        }
        return new StoreLock(backend, name, content, alone);
    }

    /**
     * For an exclusive lock: whether no other lock was left when it was taken (dead holders'
     * locks taken over), so no capture anywhere can be running or uploading. Garbage collection
     * then needs no grace period for packs that no index names: every capture that uploaded
     * them has ended without writing its index.
     */
    boolean alone() {
        return alone;
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
