// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.index;

import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where every chunk is: key → (pack, offset, lengths, checksum), for all packs of a store.
 *
 * <p>Memory: one {@code ChunkKey} (≈ 64 bytes with its array), one {@link Location} (≈ 40) and
 * a hash-map node (≈ 40) per chunk — ≈ 150 bytes. A 1 GiB image in 64 KiB chunks is 16 384
 * chunks, ≈ 2.4 MiB; a store of 10 000 such images with 90 % shared pages stays well under a
 * GiB. When that stops being true, the index objects are already sorted and could be searched
 * on disk instead. A chunk stored in several packs (two hosts that captured it at the same
 * time) resolves to the first pack registered; all copies stay listed per pack so GC and the
 * checker see them. Thread-safe.
 */
public final class ChunkIndex {

    /** Where one chunk is stored. */
    public record Location(String packId, PackIndexEntry entry) {
    }

    private final Map<ChunkKey, Location> chunks = new ConcurrentHashMap<>();
    private final Map<String, PackSummary> packs = new ConcurrentHashMap<>();

    /** Registers a pack and all its chunks; registering the same pack twice is harmless. */
    public void addPack(PackSummary pack) {
        if (packs.putIfAbsent(pack.id(), pack) != null) {
            return;
        }
        for (PackIndexEntry e : pack.entries()) {
            chunks.putIfAbsent(e.key(), new Location(pack.id(), e));
        }
    }

    /** Adds every pack of {@code other}. */
    public void merge(ChunkIndex other) {
        for (PackSummary p : other.packs.values()) {
            addPack(p);
        }
    }

    public Optional<Location> lookup(ChunkKey key) {
        return Optional.ofNullable(chunks.get(key));
    }

    public boolean has(ChunkKey key) {
        return chunks.containsKey(key);
    }

    /** The keys of {@code keys} this index does not have, in the order given. */
    public Set<ChunkKey> missing(Collection<ChunkKey> keys) {
        Set<ChunkKey> out = new LinkedHashSet<>();
        for (ChunkKey k : keys) {
            if (!chunks.containsKey(k)) {
                out.add(k);
            }
        }
        return out;
    }

    /**
     * Removes packs and their chunks. A chunk that another remaining pack also holds resolves to
     * that pack afterwards. Costs a pass over every pack when anything was removed.
     */
    public synchronized void removePacks(java.util.Set<String> packIds) {
        boolean removed = false;
        for (String id : packIds) {
            PackSummary p = packs.remove(id);
            if (p == null) {
                continue;
            }
            removed = true;
            for (PackIndexEntry e : p.entries()) {
                chunks.computeIfPresent(e.key(), (k, l) -> l.packId().equals(id) ? null : l);
            }
        }
        if (removed) {
            for (PackSummary p : packs.values()) {
                for (PackIndexEntry e : p.entries()) {
                    chunks.putIfAbsent(e.key(), new Location(p.id(), e));
                }
            }
        }
    }

    public boolean hasPack(String packId) {
        return packs.containsKey(packId);
    }

    public Optional<PackSummary> pack(String packId) {
        return Optional.ofNullable(packs.get(packId));
    }

    /** All packs (a snapshot). */
    public List<PackSummary> packs() {
        return List.copyOf(packs.values());
    }

    /** Number of distinct chunks. */
    public int size() {
        return chunks.size();
    }

    /** Total compressed bytes of distinct chunks, counting each key once. */
    public long storedBytes() {
        long n = 0;
        for (Location l : chunks.values()) {
            n += l.entry().compressedLength();
        }
        return n;
    }
}
