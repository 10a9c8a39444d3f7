// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.gc;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.store.CatalogStore;
import io.cryostash.catalog.store.ManifestStore;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.store.repository.GarbageCollector;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.repository.Repository;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Expiry reaches the store here: the manifests of expired and deleted images are deleted
 * ({@link ManifestDeletion}), then the store's garbage collection frees the chunks no remaining
 * image names (safe beside captures on any host: docs/store-format.md) and the catalog's chunk and
 * pack rows follow ({@link ChunkLocations}). The catalog runs it because it decides what expires,
 * can open the store (it needs no ptrace or agent), and runs whether or not any agent is up; one
 * run at a time per catalog, and the store's GC lock keeps several catalogs apart. Every run is a
 * {@code gc_runs} row and an audit entry ({@code gc.run}, or {@code gc.failed}).
 */
@Service
public class GcService {

    private static final Logger log = LoggerFactory.getLogger(GcService.class);

    private final CatalogStore store;
    private final ManifestStore reader;
    private final ManifestDeletion manifests;
    private final ChunkLocations locations;
    private final GcRunRepository runs;
    private final GcSettings settings;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final MeterRegistry meters;
    private final Object oneAtATime = new Object();

    public GcService(CatalogStore store, ManifestStore reader, ManifestDeletion manifests, ChunkLocations locations, GcRunRepository runs,
                     GcSettings settings, AuditLog audit, PlatformTransactionManager txManager, MeterRegistry meters) {
        this.store = store;
        this.reader = reader;
        this.manifests = manifests;
        this.locations = locations;
        this.runs = runs;
        this.settings = settings;
        this.audit = audit;
        this.tx = new TransactionTemplate(txManager);
        this.meters = meters;
    }

    /** Runs now. {@code dryRun}: deletes nothing, and says what a run would condemn and free. */
    public GcRun run(boolean dryRun, Actor actor) {
        Backend backend = store.backend().orElseThrow(() -> new ConflictException(
                "no store is configured (cryostash.catalog.store): the catalog cannot collect garbage"));
        synchronized (oneAtATime) {
            long id = runs.start(actor.name(), dryRun);
            int deleted = 0;
            try {
                GarbageCollector.Options options = new GarbageCollector.Options(settings.grace(), settings.repackThreshold(), dryRun);
                if (dryRun) {
                    // what a real run would free: it deletes the expired images' manifests first
                    options = options.assuming(manifests.pendingImageIds());
                } else {
                    deleted = manifests.run(backend);
                }
                GarbageCollector.Report r = Repository.collectGarbage(backend, CatalogStore.HOST, options);
                Map<String, Object> report = summary(r);
                if (!dryRun) {
                    ChunkLocations.Changes c = locations.apply(r);
                    report.put("catalogChunksMoved", c.moved());
                    report.put("catalogChunksRemoved", c.removed());
                    refreshReader();
                }
                int manifestsDeleted = deleted;
                tx.executeWithoutResult(s -> {
                    runs.finish(id, manifestsDeleted, r.bytesFreed(), report);
                    Map<String, Object> d = new LinkedHashMap<>(report);
                    d.put("dryRun", dryRun);
                    d.put("manifestsDeleted", manifestsDeleted);
                    audit.recordAs(actor, "gc.run", "gc-run", String.valueOf(id), d);
                });
                if (!dryRun) meters.counter("cryostash.catalog.gc.bytes.freed").increment(r.bytesFreed());
            } catch (IOException | RuntimeException e) {
                String error = e.getMessage() == null ? e.toString() : e.getMessage();
                int manifestsDeleted = deleted;
                tx.executeWithoutResult(s -> {
                    runs.fail(id, manifestsDeleted, error);
                    audit.recordAs(actor, "gc.failed", "gc-run", String.valueOf(id), Map.of("error", error));
                });
                meters.counter("cryostash.catalog.gc.failures").increment();
            }
            return runs.find(id).orElseThrow();
        }
    }

    /** The manifest reader's index named the packs this run deleted or rewrote. */
    private void refreshReader() {
        try {
            reader.indexChanged();
        } catch (IOException e) {
            // not the run's failure: the reader reloads its index when it meets a pack that is gone
            log.warn("Garbage collection done, but the manifest reader could not reload the store's index: {}", e.getMessage());
        }
    }

    static Map<String, Object> summary(GarbageCollector.Report r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("images", r.manifests());
        m.put("liveChunks", r.liveChunks());
        m.put("packsKept", r.packsKept());
        m.put("packsCondemned", r.packsCondemned());
        m.put("packsRepacked", r.packsRepacked());
        m.put("unindexedPacksCondemned", r.unindexedPacksCondemned());
        m.put("unindexedPacksKept", r.unindexedPacksKept());
        m.put("packsDeleted", r.packsDeleted());
        m.put("packsResurrected", r.packsResurrected());
        m.put("recordsSettled", r.recordsSettled());
        m.put("recordsPending", r.recordsPending());
        m.put("bytesFreed", r.bytesFreed());
        m.put("bytesCondemned", r.bytesCondemned());
        return m;
    }

    public List<GcRun> recent(int n) {
        return runs.recent(n);
    }

    public long pendingManifests() {
        return manifests.pending();
    }
}
