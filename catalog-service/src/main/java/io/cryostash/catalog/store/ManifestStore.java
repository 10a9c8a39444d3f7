// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.store;

import java.io.IOException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.cryostash.catalog.event.EventRefusedException;
import io.cryostash.schema.image.ImageCodec;
import io.cryostash.schema.image.InvalidImageException;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.AreaTable;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.SignedManifest;
import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.IntegrityException;
import io.cryostash.store.ManifestRejectedException;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.memory.AreaTableCodec;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.store.sign.ManifestCodec;
import io.cryostash.store.sign.TrustedKeys;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The image store as the catalog reads it: manifests and chunk tables, verified, and the store's
 * index for where each chunk is. It never writes. The index of the whole store is held in memory
 * (about 150 bytes per chunk, see {@link ChunkIndex}) and refreshed when an image names a chunk it
 * does not know yet (one LIST of the index objects, then only the new ones are read).
 *
 * <p>Trust is per image, not per store: a manifest must be signed by the key its host enrolled, so
 * it is verified with exactly that key ({@link TrustedKeys#of}), never with a directory of keys.
 * The store is {@link CatalogStore}'s back end; the index is loaded on first use, so a catalog whose
 * store is briefly away still starts.
 */
@Component
public class ManifestStore implements DisposableBean {

    private final CatalogStore store;
    private final ImageCodec codec = new ImageCodec();
    private ChunkStore chunks;

    public ManifestStore(CatalogStore store) {
        this.store = store;
    }

    private synchronized ChunkStore open() throws IOException {
        if (chunks == null) {
            // Two threads: the catalog reads a manifest's few chunk tables, not images' memory.
            chunks = ChunkStore.open(store.require("read manifests from"), ChunkStore.Options.defaults().withThreads(2));
        }
        return chunks;
    }

    /**
     * Garbage collection changed the store's index (packs deleted or rewritten): picks that up now,
     * so that the chunk locations later registrations record are the new ones.
     */
    public void indexChanged() throws IOException {
        ChunkStore open;
        synchronized (this) {
            open = chunks;
        }
        if (open != null) open.refreshIndex();
    }

    /**
     * Reads image {@code imageId} and verifies it with {@code hostKey}.
     *
     * @throws EventRefusedException the image does not verify (another signer, a bad signature,
     *                               content not matching its id, damaged tables, an invalid manifest)
     * @throws IOException           the store cannot be read now, or lacks the manifest or a chunk it names
     */
    public VerifiedImage read(String imageId, PublicKey hostKey) throws IOException {
        ChunkStore store = open();
        byte[] data;
        try {
            data = store.backend().get(StoreFormat.MANIFESTS + imageId);
        } catch (ObjectNotFoundException e) {
            throw new IOException("image " + imageId + " has no manifest in " + store.backend().location(), e);
        }
        SignedManifest m;
        try {
            SignedManifest unverified = ManifestCodec.parse(imageId, data);
            if (!Arrays.equals(unverified.signerKey(), hostKey.getEncoded())) {
                throw new EventRefusedException("manifest of image " + imageId + " is signed by key "
                        + KeyFingerprint.of(unverified.signerKey()) + ", not by the key its host enrolled ("
                        + KeyFingerprint.of(hostKey.getEncoded()) + ")");
            }
            m = ManifestCodec.verify(imageId, data, TrustedKeys.of(hostKey));
        } catch (ManifestRejectedException e) {
            throw new EventRefusedException("manifest of image " + imageId + " refused: " + e.reason(), e);
        }
        Set<ChunkKey> named = new LinkedHashSet<>(m.chunks());
        named.addAll(m.tables());
        ensureIndexed(store, new java.util.HashSet<>(m.tables()), imageId); // read next; the rest is checked once, below
        Map<ChunkKey, byte[]> tables = new ConcurrentHashMap<>();
        store.readChunks(m.tables(), (k, bytes) -> tables.put(k, bytes.clone()));
        try {
            for (ChunkKey t : m.tables()) named.addAll(AreaTableCodec.keys(t, tables.get(t)));
        } catch (IntegrityException e) {
            throw new EventRefusedException("image " + imageId + " has a damaged chunk table: " + e.getMessage(), e);
        }
        ProcessImage image;
        try {
            image = codec.decode(m.payload(), areas -> resolve(imageId, areas, tables));
        } catch (InvalidImageException e) {
            throw new EventRefusedException("image " + imageId + " has an invalid manifest: " + e.getMessage(), e);
        }
        return new VerifiedImage(imageId, m, image, locate(store, named, imageId));
    }

    /**
     * Where each named chunk is, in one look-up per chunk (an image names tens of thousands); the
     * index is refreshed once if some are not in it yet (stored since it was loaded).
     */
    private static Map<ChunkKey, ChunkIndex.Location> locate(ChunkStore store, Set<ChunkKey> named, String imageId)
            throws IOException {
        Map<ChunkKey, ChunkIndex.Location> where = new LinkedHashMap<>(named.size() * 4 / 3 + 1);
        List<ChunkKey> unknown = new ArrayList<>();
        for (ChunkKey k : named) {
            var l = store.index().lookup(k);
            where.put(k, l.orElse(null));
            if (l.isEmpty()) unknown.add(k);
        }
        if (unknown.isEmpty()) return where;
        store.refreshIndex();
        int missing = 0;
        ChunkKey example = null;
        for (ChunkKey k : unknown) {
            var l = store.index().lookup(k);
            if (l.isPresent()) {
                where.put(k, l.get());
            } else if (missing++ == 0) {
                example = k;
            }
        }
        if (missing > 0) throw notIndexed(imageId, missing, example);
        return where;
    }

    private static void ensureIndexed(ChunkStore store, Set<ChunkKey> keys, String imageId) throws IOException {
        if (store.missing(keys).isEmpty()) return;
        // Another host stored these since the index was loaded.
        store.refreshIndex();
        Set<ChunkKey> missing = store.missing(keys);
        if (!missing.isEmpty()) throw notIndexed(imageId, missing.size(), missing.iterator().next());
    }

    private static IOException notIndexed(String imageId, int count, ChunkKey example) {
        return new IOException("image " + imageId + " names " + count + " chunk(s) the store's index does not have, e.g. "
                + example.hex());
    }

    /** The chunk lists the image's areas name through tables its envelope lists (and only those). */
    private static Map<Long, AreaChunks> resolve(String imageId, Map<Long, AreaTable> areas, Map<ChunkKey, byte[]> tables) {
        Map<Long, AreaChunks> out = new HashMap<>();
        for (Map.Entry<Long, AreaTable> e : areas.entrySet()) {
            List<byte[]> bytes = new ArrayList<>();
            for (ChunkKey k : e.getValue().segments()) {
                byte[] b = tables.get(k);
                if (b == null) {
                    throw new InvalidImageException("the area at " + Long.toHexString(e.getKey()) + " names chunk table "
                            + k.hex() + ", which the signed envelope of image " + imageId + " does not list");
                }
                bytes.add(b);
            }
            try {
                out.put(e.getKey(), AreaTableCodec.decode(e.getValue(), e.getValue().segments(), bytes));
            } catch (IntegrityException ex) {
                throw new InvalidImageException(ex.getMessage());
            }
        }
        return out;
    }

    /** Stops the index's reader threads; the back end is {@link CatalogStore}'s to close. */
    @Override
    public synchronized void destroy() {
        if (chunks != null) chunks.close();
    }
}
