// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.schema.store.StoreFormat;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * A lock object ({@code locks/<kind>-<uuid>}).
 *
 * <ul>
 *   <li>CAPTURE: a lease, one per image being written. It never waits for and never stops a
 *       garbage collection; it tells GC which condemnation records the capture had seen when it
 *       started ({@code acks}), so that GC deletes a condemned pack only once no running capture
 *       can be counting on it ({@link Condemnations}).</li>
 *   <li>GC: one collection at a time (two would each think the other's new packs unindexed).</li>
 *   <li>REPAIR: {@code repair-index} rebuilds the index from the packs alone and must see no
 *       capture and no GC; captures refuse to start while one runs.</li>
 * </ul>
 *
 * Every taker writes its lock first and lists the others second, so of two that start together
 * at least one sees the other — no compare-and-swap needed, which S3 does not offer. Holders
 * refresh their lock (rewrite it) every {@link #REFRESH}.
 *
 * <p>A holder that died leaves its lock behind. Each lock names its owner ({@link LockContent},
 * {@link LockOwner}): when that owner provably is dead (it ran on this kernel and its pid is gone
 * or reused, or on this machine before a reboot), the lock is taken over at once — deleted — by
 * whoever meets it: a GC or REPAIR lock then no longer keeps the next one out, and a capture
 * lease neither holds back the settling of condemnation records nor keeps GC from condemning
 * unindexed packs at once. A lock whose owner cannot be judged from here (another host, or the
 * older format without owner) counts until it is not refreshed for {@link #STALE}.
 */
public final class StoreLock implements AutoCloseable {
    /** A lock older than this is ignored: its holder died. */
    public static final Duration STALE = Duration.ofMinutes(30);
    /** Holders rewrite their lock this often. */
    public static final Duration REFRESH = Duration.ofMinutes(5);
    /**
     * A capture whose lease was last rewritten longer ago than this does not commit: GC may have
     * taken it for dead (after {@link #STALE}) and deleted chunks it counts on.
     */
    public static final Duration COMMIT_WITHIN = Duration.ofMinutes(15);

    enum Kind { CAPTURE, GC, REPAIR }

    /**
     * A capture lease as GC sees it.
     *
     * @param stale not rewritten for {@link #STALE}: its capture will not commit
     *              ({@link #COMMIT_WITHIN}), but whether it still uploads cannot be told from here
     */
    record Lease(String name, Instant modified, Set<String> acks, boolean stale) {
    }

    private final Backend backend;
    private final String name;
    private volatile LockContent content;
    private volatile Instant written;
    private volatile boolean released;

    private StoreLock(Backend backend, String name, LockContent content, Instant written) {
        this.backend = backend;
        this.name = name;
        this.content = content;
        this.written = written;
    }

    static StoreLock acquire(Backend backend, Kind kind, String host) throws IOException {
        String name = StoreFormat.LOCKS + kind.name().toLowerCase() + "-" + UUID.randomUUID();
        LockContent content = LockContent.of(LockOwner.current(host), Set.of());
        Instant before = Instant.now();
        backend.put(name, content.encode());
        StoreLock lock = new StoreLock(backend, name, content, before);
        try {
            Instant staleBefore = Instant.now().minus(STALE);
            for (ObjectInfo o : backend.list(StoreFormat.LOCKS)) {
                if (o.name().equals(name)) {
                    continue;
                }
                Kind other = kindOf(o.name());
                boolean conflict = switch (kind) {
                    case CAPTURE -> other == Kind.REPAIR;
                    case GC -> other == Kind.GC || other == Kind.REPAIR;
                    case REPAIR -> other != null;
                };
                if (!conflict) {
                    continue;
                }
                LockContent held = read(backend, o.name(), host);
                if (held == null || o.modified().isBefore(staleBefore)) {
                    continue; // released, taken over, or its holder stopped refreshing it long ago
                }
                throw new StoreLockedException(backend.location(), o.name(), held.holder());
            }
        } catch (IOException | RuntimeException e) {
            try {
                lock.close();
            } catch (IOException ignored) {
                // it goes stale
            }
            throw e;
        }
        return lock;
    }

    /**
     * Reads another process's lock; deletes it and answers null when its holder provably is
     * dead, answers null when it is gone.
     */
    private static LockContent read(Backend backend, String objectName, String host) throws IOException {
        LockContent held;
        try {
            held = LockContent.parse(backend.get(objectName));
        } catch (ObjectNotFoundException released) {
            return null;
        }
        if (held.holderProvablyDead(host)) {
            LoggerFactory.getLogger(StoreLock.class).info("taking over {} of {}: that process is gone", objectName,
                    held.holder());
            backend.delete(objectName);
            return null;
        }
        return held;
    }

    private static Kind kindOf(String objectName) {
        String n = objectName.substring(StoreFormat.LOCKS.length());
        for (Kind k : Kind.values()) {
            if (n.startsWith(k.name().toLowerCase() + "-")) {
                return k;
            }
        }
        return null;
    }

    /**
     * Every capture lease whose holder may be alive, with the records each has seen; leases of
     * holders that provably died are deleted and left out. Stale leases are listed, marked.
     * {@code host}: this process's host name (see {@link LockOwner#provablyDead}).
     */
    static List<Lease> captureLeases(Backend backend, String host) throws IOException {
        List<Lease> out = new ArrayList<>();
        Instant staleBefore = Instant.now().minus(STALE);
        for (ObjectInfo o : backend.list(StoreFormat.LOCKS)) {
            if (kindOf(o.name()) != Kind.CAPTURE) {
                continue;
            }
            LockContent held = read(backend, o.name(), host);
            if (held != null) {
                out.add(new Lease(o.name(), o.modified(), held.acks(), o.modified().isBefore(staleBefore)));
            }
        }
        return out;
    }

    /** Rewrites a capture lease with the condemnation records its capture has seen. */
    void acknowledge(Set<String> recordIds) throws IOException {
        LockContent c = content.withAcks(recordIds);
        Instant before = Instant.now();
        backend.put(name, c.encode());
        content = c;
        written = before;
    }

    /** Rewrites the lock so it does not become stale. */
    void refresh() throws IOException {
        if (!released) {
            Instant before = Instant.now();
            backend.put(name, content.encode());
            written = before;
        }
    }

    /** When the lock was last (re)written, measured before the write started. */
    Instant lastWritten() {
        return written;
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
