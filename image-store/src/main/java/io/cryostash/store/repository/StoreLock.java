// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
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
 * at least one sees the other — no compare-and-swap needed, which S3 does not offer. Locks not
 * refreshed for {@link #STALE} belong to dead processes and are ignored. Holders refresh their
 * lock (rewrite it) every {@link #REFRESH}.
 *
 * <p>Lock content, UTF-8 lines: {@code <host> pid <pid> since <instant>}, then for a capture
 * {@code acks <record id> <record id> …} (absent: none seen).
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

    /** A capture lease as GC sees it. */
    record Lease(String name, Instant modified, Set<String> acks) {
    }

    private final Backend backend;
    private final String name;
    private final String header;
    private volatile byte[] content;
    private volatile Instant written;
    private volatile boolean released;

    private StoreLock(Backend backend, String name, String header, byte[] content, Instant written) {
        this.backend = backend;
        this.name = name;
        this.header = header;
        this.content = content;
        this.written = written;
    }

    static StoreLock acquire(Backend backend, Kind kind, String host) throws IOException {
        String name = StoreFormat.LOCKS + kind.name().toLowerCase() + "-" + UUID.randomUUID();
        String header = host + " pid " + ProcessHandle.current().pid() + " since " + Instant.now() + "\n";
        byte[] content = header.getBytes(StandardCharsets.UTF_8);
        Instant before = Instant.now();
        backend.put(name, content);
        StoreLock lock = new StoreLock(backend, name, header, content, before);
        Instant staleBefore = Instant.now().minus(STALE);
        for (ObjectInfo o : backend.list(StoreFormat.LOCKS)) {
            if (o.name().equals(name) || o.modified().isBefore(staleBefore)) {
                continue;
            }
            Kind other = kindOf(o.name());
            boolean conflict = switch (kind) {
                case CAPTURE -> other == Kind.REPAIR;
                case GC -> other == Kind.GC || other == Kind.REPAIR;
                case REPAIR -> other != null;
            };
            if (conflict) {
                String holder;
                try {
                    holder = new String(backend.get(o.name()), StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
                } catch (IOException e) {
                    holder = "(gone)";
                }
                lock.close();
                throw new StoreLockedException(backend.location(), o.name(), holder);
            }
        }
        return lock;
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

    /** Every capture lease refreshed within {@link #STALE}, with the records each has seen. */
    static List<Lease> captureLeases(Backend backend) throws IOException {
        List<Lease> out = new ArrayList<>();
        Instant staleBefore = Instant.now().minus(STALE);
        for (ObjectInfo o : backend.list(StoreFormat.LOCKS)) {
            if (kindOf(o.name()) != Kind.CAPTURE || o.modified().isBefore(staleBefore)) {
                continue;
            }
            String text;
            try {
                text = new String(backend.get(o.name()), StandardCharsets.UTF_8);
            } catch (ObjectNotFoundException released) {
                continue;
            }
            Set<String> acks = new LinkedHashSet<>();
            text.lines().filter(l -> l.startsWith("acks ")).findFirst()
                    .ifPresent(l -> acks.addAll(Arrays.asList(l.substring(5).trim().split(" +"))));
            acks.remove("");
            out.add(new Lease(o.name(), o.modified(), Set.copyOf(acks)));
        }
        return out;
    }

    /** Rewrites a capture lease with the condemnation records its capture has seen. */
    void acknowledge(Set<String> recordIds) throws IOException {
        byte[] c = (header + (recordIds.isEmpty() ? "" : "acks " + String.join(" ", recordIds) + "\n"))
                .getBytes(StandardCharsets.UTF_8);
        Instant before = Instant.now();
        backend.put(name, c);
        content = c;
        written = before;
    }

    /** Rewrites the lock so it does not become stale. */
    void refresh() throws IOException {
        if (!released) {
            Instant before = Instant.now();
            backend.put(name, content);
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
