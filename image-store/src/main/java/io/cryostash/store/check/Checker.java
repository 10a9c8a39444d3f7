// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.check;

import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.Hashing;
import io.cryostash.store.IntegrityException;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.index.IndexFiles;
import io.cryostash.store.index.PackSummary;
import io.cryostash.store.memory.AreaTableCodec;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.sign.ManifestCodec;
import io.cryostash.store.sign.TrustedKeys;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;
import io.cryostash.schema.store.SignedManifest;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Verifies a store without changing it (behind {@code cryostash verify}).
 *
 * <p>By default the cheap checks: every index object loads; every indexed pack exists with the
 * recorded size and its own trailing index agrees with the index objects (one ranged read per
 * pack); packs no index names are reported as orphaned; every manifest (or the one asked for)
 * verifies against the trusted keys, its chunk tables are intact, and it names — directly or
 * through its tables — only indexed chunks. {@link #readData} adds a
 * full read: each pack is downloaded, hashed against its name, and every chunk decompressed and
 * re-hashed against its key. Problems are collected, not thrown, each exception carrying the
 * pack, chunk and image ids involved; the checker never stops at the first. One image is
 * always checked down to its data ({@link #checkImage}).
 */
public final class Checker {
    private final Backend backend;
    private final TrustedKeys trusted;
    private final List<IntegrityException> errors = Collections.synchronizedList(new ArrayList<>());
    private final List<String> orphanedPacks = Collections.synchronizedList(new ArrayList<>());
    private ChunkIndex index;
    private Map<String, ObjectInfo> packObjects;
    private final Map<ChunkKey, List<ChunkKey>> tableEntries = new HashMap<>();
    private final Map<String, java.util.Set<ChunkKey>> namedByImage = new HashMap<>();
    /** Packs known only from their own trailing index, because an index object was damaged. */
    private final java.util.Set<String> fromOwnIndex = new java.util.HashSet<>();

    public Checker(Backend backend, TrustedKeys trusted) {
        this.backend = backend;
        this.trusted = trusted;
    }

    /** Everything found. {@code orphanedPacks} are hints (a running capture makes them), not errors. */
    public record Report(List<IntegrityException> errors, List<String> orphanedPacks, int packs, int chunks,
                         int manifests) {
        public boolean ok() {
            return errors.isEmpty();
        }
    }

    /** Runs the cheap checks over all images, plus {@link #readData} when asked. */
    public Report check(boolean readData) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()));
        try {
            loadIndex(pool);
            packs(pool, index.packs(), true);
            int manifests = images(null);
            if (readData) {
                readData(pool);
            }
            return new Report(List.copyOf(errors), List.copyOf(orphanedPacks), index.packs().size(), index.size(), manifests);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The checks for one image, always with its data: the manifest and signature, every chunk it
     * names present, and every pack holding one of them checked against its own trailing index,
     * downloaded, hashed against its name, with every chunk in it decompressed and re-hashed.
     * There is no cheap mode: "verify this image" means what restore checks, and more. The
     * report counts the image's packs and chunks, not the store's.
     */
    public Report checkImage(String imageId) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()));
        try {
            loadIndex(pool);
            int n = images(imageId);
            // empty when the manifest was rejected (reported): nothing trustworthy to read the data of
            java.util.Set<ChunkKey> named = namedByImage.getOrDefault(imageId, java.util.Set.of());
            java.util.Set<String> needed = new java.util.HashSet<>();
            for (ChunkKey k : named) {
                index.lookup(k).ifPresent(l -> needed.add(l.packId()));
            }
            List<PackSummary> packs = new ArrayList<>();
            for (String id : needed) {
                index.pack(id).ifPresent(packs::add);
            }
            packs(pool, packs, false);
            readPacks(pool, needed);
            return new Report(List.copyOf(errors), List.of(), needed.size(), named.size(), n);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Loads the index objects; a damaged one is an error, and then, as the store itself does
     * ({@link IndexFiles#loadOrFallBack}), the packs no intact index object names are read
     * through their own indexes, so that images whose chunks are safe in them are not reported
     * as missing chunks. Those packs stay listed as in no index.
     */
    private void loadIndex(ExecutorService pool) throws IOException {
        index = new ChunkIndex();
        boolean damaged = false;
        for (ObjectInfo o : backend.list(StoreFormat.INDEX)) {
            try {
                IndexFiles.decode(o.name(), backend.get(o.name())).forEach(index::addPack);
            } catch (IntegrityException e) {
                errors.add(e);
                damaged = true;
            } catch (ObjectNotFoundException ignored) {
                // removed meanwhile
            }
        }
        packObjects = new HashMap<>();
        for (ObjectInfo o : backend.list(StoreFormat.PACKS)) {
            packObjects.put(o.name().substring(StoreFormat.PACKS.length()), o);
        }
        if (damaged) {
            List<String> unreadable = new ArrayList<>();
            fromOwnIndex.addAll(IndexFiles.addUnindexedPacks(backend, pool, index, unreadable));
            for (String id : unreadable) {
                errors.add(new PackCheckException(id, PackCheckException.Kind.INDEX_MISMATCH,
                        "in no intact index object, and its own index cannot be read either"));
            }
        }
    }

    private void packs(ExecutorService pool, java.util.Collection<PackSummary> which, boolean findOrphans)
            throws IOException {
        List<Future<?>> fs = new ArrayList<>();
        for (PackSummary p : which) {
            ObjectInfo o = packObjects.get(p.id());
            if (o == null) {
                errors.add(new PackCheckException(p.id(), PackCheckException.Kind.MISSING, p.entries().size() + " chunks"));
                continue;
            }
            if (o.size() != p.size()) {
                errors.add(new PackCheckException(p.id(), PackCheckException.Kind.SIZE_MISMATCH,
                        "index says " + p.size() + ", stored " + o.size()));
                continue;
            }
            fs.add(pool.submit(() -> {
                try {
                    List<PackIndexEntry> own = PackReader.readIndex(backend, p.id(), o.size());
                    if (!new java.util.HashSet<>(own).equals(new java.util.HashSet<>(p.entries()))) {
                        errors.add(new PackCheckException(p.id(), PackCheckException.Kind.INDEX_MISMATCH,
                                "its trailing index differs from the index objects"));
                    }
                } catch (IntegrityException e) {
                    errors.add(new PackCheckException(p.id(), PackCheckException.Kind.INDEX_MISMATCH, e.getMessage()));
                }
                return null;
            }));
        }
        await(fs);
        if (!findOrphans) {
            return;
        }
        for (String id : packObjects.keySet()) {
            if (!index.hasPack(id) || fromOwnIndex.contains(id)) {
                orphanedPacks.add(id);
            }
        }
    }

    /** Checks one manifest or all; returns how many were checked. */
    private int images(String only) throws IOException {
        List<String> ids = new ArrayList<>();
        if (only != null) {
            ids.add(only);
        } else {
            for (ObjectInfo o : backend.list(StoreFormat.MANIFESTS)) {
                ids.add(o.name().substring(StoreFormat.MANIFESTS.length()));
            }
        }
        for (String id : ids) {
            byte[] data;
            try {
                data = backend.get(StoreFormat.MANIFESTS + id);
            } catch (ObjectNotFoundException e) {
                if (only != null) {
                    throw e;
                }
                continue;
            }
            try {
                SignedManifest m = ManifestCodec.verify(id, data, trusted);
                java.util.Set<ChunkKey> named = namedBy(id, m);
                if (only != null) {
                    namedByImage.put(id, named); // checkImage reads the data of these
                }
                for (ChunkKey k : named) {
                    if (!index.has(k)) {
                        errors.add(new ChunkMissingException(k, id, "not in any index"));
                    } else if (!packObjects.containsKey(index.lookup(k).orElseThrow().packId())) {
                        errors.add(new ChunkMissingException(k, id, "its pack " + index.lookup(k).orElseThrow().packId() + " is gone"));
                    }
                }
            } catch (IntegrityException e) {
                errors.add(e);
            }
        }
        return ids.size();
    }

    /**
     * Every chunk a manifest names: its chunks, its tables and what they list. A table that
     * cannot be read is reported (once, however many images share it) and contributes nothing.
     */
    private java.util.Set<ChunkKey> namedBy(String id, SignedManifest m) throws IOException {
        java.util.Set<ChunkKey> out = new java.util.LinkedHashSet<>(m.chunks());
        out.addAll(m.tables());
        for (ChunkKey t : m.tables()) {
            List<ChunkKey> entries = tableEntries.get(t);
            if (entries == null && !tableEntries.containsKey(t)) {
                entries = readTable(id, t);
                tableEntries.put(t, entries);
            }
            if (entries != null) {
                out.addAll(entries);
            }
        }
        return out;
    }

    private List<ChunkKey> readTable(String id, ChunkKey t) throws IOException {
        java.util.Optional<ChunkIndex.Location> loc = index.lookup(t);
        if (loc.isEmpty() || !packObjects.containsKey(loc.get().packId())) {
            return null; // reported as a missing chunk of the image
        }
        try {
            return AreaTableCodec.keys(t, PackReader.readChunk(backend, loc.get().packId(), loc.get().entry()));
        } catch (IntegrityException e) {
            errors.add(e);
            return null;
        } catch (ObjectNotFoundException e) {
            errors.add(new ChunkMissingException(t, id, "chunk table's pack " + loc.get().packId() + " is gone"));
            return null;
        }
    }

    private void readData(ExecutorService pool) throws IOException {
        java.util.Set<String> all = new java.util.HashSet<>();
        for (PackSummary p : index.packs()) {
            all.add(p.id());
        }
        readPacks(pool, all);
    }

    /** Downloads each pack, checks its name against its hash and every chunk against its key. */
    private void readPacks(ExecutorService pool, java.util.Set<String> packIds) throws IOException {
        List<Future<?>> fs = new ArrayList<>();
        for (String id : packIds) {
            if (!packObjects.containsKey(id)) {
                continue; // reported as missing already
            }
            fs.add(pool.submit(() -> {
                byte[] whole = backend.get(PackReader.objectName(id));
                if (!Hashing.hex(Hashing.sha256(whole)).equals(id)) {
                    errors.add(new PackCheckException(id, PackCheckException.Kind.HASH_MISMATCH, null));
                }
                for (PackIndexEntry e : index.pack(id).orElseThrow().entries()) {
                    try {
                        PackReader.readChunk(id, whole, e);
                    } catch (IntegrityException ex) {
                        errors.add(ex);
                    }
                }
                return null;
            }));
        }
        await(fs);
    }

    private static void await(List<Future<?>> fs) throws IOException {
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("checking");
            }
        }
    }
}
