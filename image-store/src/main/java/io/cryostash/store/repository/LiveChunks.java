// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.memory.AreaTableCodec;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.sign.ManifestCodec;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.SignedManifest;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The mark phase of garbage collection: every chunk a manifest names, directly or through its
 * chunk tables (each shared table read once). Manifests are parsed, not trust-checked: an image
 * from a host this one does not trust still keeps its chunks. A manifest or table that cannot be
 * read stops the collection: deleting on a guess is worse than keeping. {@link #markNew} adds the
 * manifests written since, for the second look a run takes before it deletes anything.
 */
final class LiveChunks {
    private final Backend backend;
    private final ExecutorService pool;
    private final Function<ChunkKey, Optional<ChunkIndex.Location>> locate;
    private final Set<String> manifests = new HashSet<>();
    private final Set<ChunkKey> live = new HashSet<>();
    private final Set<ChunkKey> tablesRead = new HashSet<>();

    private final Set<String> ignored;

    /**
     * @param locate  where a chunk table can be read from (the index, or a condemned pack that still exists)
     * @param ignored images whose manifests count as deleted (a dry run's assumption)
     */
    LiveChunks(Backend backend, ExecutorService pool, Function<ChunkKey, Optional<ChunkIndex.Location>> locate,
               Set<String> ignored) {
        this.backend = backend;
        this.pool = pool;
        this.locate = locate;
        this.ignored = ignored;
    }

    private final List<ObjectInfo> listed = new ArrayList<>();

    /** Lists the manifests (to be marked by {@link #markListed}, once the index is loaded). */
    void listManifests() throws IOException {
        listed.clear();
        listed.addAll(backend.list(StoreFormat.MANIFESTS));
    }

    /** Marks every manifest listed now that was not marked before; returns how many were new. */
    int markNew() throws IOException {
        listManifests();
        return markListed();
    }

    /** Marks the manifests {@link #listManifests} found that were not marked before; returns how many. */
    int markListed() throws IOException {
        Map<ChunkKey, String> tables = new HashMap<>();
        int added = 0;
        for (ObjectInfo o : listed) {
            String id = o.name().substring(StoreFormat.MANIFESTS.length());
            if (manifests.contains(id) || ignored.contains(id)) {
                continue;
            }
            byte[] data;
            try {
                data = backend.get(o.name());
            } catch (ObjectNotFoundException e) {
                continue; // deleted meanwhile
            }
            SignedManifest m = ManifestCodec.parse(id, data);
            live.addAll(m.chunks());
            live.addAll(m.tables());
            for (ChunkKey t : m.tables()) {
                if (!tablesRead.contains(t)) {
                    tables.putIfAbsent(t, id);
                }
            }
            manifests.add(id);
            added++;
        }
        markTableEntries(tables);
        return added;
    }

    private void markTableEntries(Map<ChunkKey, String> tables) throws IOException {
        List<Future<List<ChunkKey>>> fs = new ArrayList<>();
        for (Map.Entry<ChunkKey, String> t : tables.entrySet()) {
            ChunkIndex.Location loc = locate.apply(t.getKey()).orElseThrow(() -> new ChunkMissingException(t.getKey(),
                    t.getValue(), "chunk table not in any index; garbage collection stops rather than guess what is live"
                    + " (run `cryostash repair-index` if index objects were lost)"));
            fs.add(pool.submit(() -> AreaTableCodec.keys(t.getKey(), PackReader.readChunk(backend, loc.packId(), loc.entry()))));
        }
        for (Future<List<ChunkKey>> f : fs) {
            try {
                live.addAll(f.get());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException("reading chunk tables: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("reading chunk tables");
            }
        }
        tablesRead.addAll(tables.keySet());
    }

    boolean contains(ChunkKey k) {
        return live.contains(k);
    }

    Set<ChunkKey> keys() {
        return live;
    }

    int manifestCount() {
        return manifests.size();
    }
}
