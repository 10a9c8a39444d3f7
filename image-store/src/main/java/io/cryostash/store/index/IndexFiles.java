// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.index;

import io.cryostash.store.Hashing;
import io.cryostash.store.IntegrityException;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.store.pack.PackReader;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.FormatVersion;
import io.cryostash.schema.store.PackIndexEntry;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Index objects ({@code index/<sha256>}): the trailing indexes of some packs, gathered so that
 * opening a store costs one read per index object instead of one per pack.
 *
 * <pre>
 * object := magic "CRYOINDX"[8] major:u16 minor:u16 packCount:u32 pack* sha256[32]
 * pack   := packId[32] packSize:u64 entryCount:u32 entry{entryCount}
 * entry  := as in a pack's index (48 bytes)
 * </pre>
 * Little-endian; packs sorted by id; the final SHA-256 covers everything before it and is also
 * the object's name, so a damaged index object is detected on load. Index objects are only
 * ever added (one per capture flush) and replaced by GC; when all are lost, {@link #rebuild}
 * recreates them from the packs.
 */
public final class IndexFiles {
    private static final byte[] MAGIC = "CRYOINDX".getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();

    private IndexFiles() {
    }

    public static byte[] encode(List<PackSummary> packs) {
        List<PackSummary> sorted = new ArrayList<>(packs);
        sorted.sort(Comparator.comparing(PackSummary::id));
        long size = MAGIC.length + 8L + 32;
        for (PackSummary p : sorted) {
            size += 32 + 8 + 4 + (long) p.entries().size() * PackIndexEntry.ENCODED_SIZE;
        }
        if (size > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("index object too large: " + size);
        }
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC);
        b.putShort((short) StoreFormat.INDEX_VERSION.major());
        b.putShort((short) StoreFormat.INDEX_VERSION.minor());
        b.putInt(sorted.size());
        for (PackSummary p : sorted) {
            b.put(HEX.parseHex(p.id()));
            b.putLong(p.size());
            b.putInt(p.entries().size());
            for (PackIndexEntry e : p.entries()) {
                e.key().write(b);
                b.putInt((int) e.offset());
                b.putInt(e.compressedLength());
                b.putInt(e.uncompressedLength());
                b.putInt(e.crc32c());
            }
        }
        b.put(Hashing.sha256(b.array(), 0, b.position()));
        return b.array();
    }

    /** How messages name the object: records with the index layout are not named by their hash. */
    private static String what(String name) {
        return name == null ? "it" : "index object " + name;
    }

    /** Parses an index object; {@code name} is checked against its content hash when given. */
    public static List<PackSummary> decode(String name, byte[] data) throws IntegrityException {
        if (data.length < MAGIC.length + 8 + 32) {
            throw new IntegrityException(what(name) + " is truncated");
        }
        byte[] sum = Hashing.sha256(data, 0, data.length - 32);
        if (!Arrays.equals(sum, 0, 32, data, data.length - 32, data.length)) {
            throw new IntegrityException(what(name) + " fails its checksum");
        }
        if (name != null && !name.endsWith(Hashing.hex(sum))) {
            throw new IntegrityException(what(name) + " is stored under the wrong name");
        }
        ByteBuffer b = ByteBuffer.wrap(data, 0, data.length - 32).order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IntegrityException(what(name) + " has no index magic");
            }
            FormatVersion v = new FormatVersion(Short.toUnsignedInt(b.getShort()), Short.toUnsignedInt(b.getShort()));
            if (!StoreFormat.INDEX_VERSION.canRead(v)) {
                throw new IntegrityException(what(name) + " has unsupported format " + v);
            }
            int packCount = b.getInt();
            if (packCount < 0 || packCount > b.remaining() / 44) {
                throw new IntegrityException(what(name) + " claims " + packCount + " packs");
            }
            List<PackSummary> out = new ArrayList<>(packCount);
            for (int i = 0; i < packCount; i++) {
                byte[] id = new byte[32];
                b.get(id);
                long size = b.getLong();
                int n = b.getInt();
                if (n < 0 || n > b.remaining() / PackIndexEntry.ENCODED_SIZE) {
                    throw new IntegrityException(what(name) + " claims " + n + " entries for a pack");
                }
                List<PackIndexEntry> entries = new ArrayList<>(n);
                for (int j = 0; j < n; j++) {
                    ChunkKey k = ChunkKey.read(b);
                    entries.add(new PackIndexEntry(k, Integer.toUnsignedLong(b.getInt()), b.getInt(), b.getInt(), b.getInt()));
                }
                out.add(new PackSummary(HEX.formatHex(id), size, entries));
            }
            if (b.hasRemaining()) {
                throw new IntegrityException(what(name) + " has " + b.remaining() + " trailing bytes");
            }
            return out;
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new IntegrityException(what(name) + " is malformed: " + e.getMessage(), e);
        }
    }

    /** Writes one index object for {@code packs}; returns its object name. */
    public static String write(Backend backend, List<PackSummary> packs) throws IOException {
        byte[] data = encode(packs);
        String name = StoreFormat.INDEX + Hashing.hex(Arrays.copyOfRange(data, data.length - 32, data.length));
        backend.put(name, data);
        return name;
    }

    /**
     * Result of loading the index objects: the merged index and the objects it came from.
     *
     * @param problems what {@link #loadOrFallBack} had to work around (damaged index objects, packs
     *                 read through their own index), one sentence each for the user; empty when
     *                 every index object loaded
     */
    public record Loaded(ChunkIndex index, List<String> objectNames, List<String> problems) {
        public Loaded(ChunkIndex index, List<String> objectNames) {
            this(index, objectNames, List.of());
        }
    }

    /**
     * Loads and merges every index object (in parallel on {@code pool}). A damaged index object
     * fails the load: the caller decides between refusing and {@link #rebuild}.
     */
    public static Loaded loadAll(Backend backend, ExecutorService pool) throws IOException {
        return load(backend, pool, false);
    }

    /**
     * Loads every index object like {@link #loadAll}, but a damaged one does not stop the store:
     * its packs are found again through their own trailing indexes (every pack that no intact
     * index object names is read that way), and {@link Loaded#problems} says so. For commands
     * that read or add to the store (capture, restore, verify); garbage collection stays on
     * {@link #loadAll}, which refuses, since deleting on a partial view is worse than waiting for
     * {@code cryostash repair-index}. Damaged objects are listed in {@link Loaded#objectNames}
     * (they were seen) so that a later refresh does not read them again.
     */
    public static Loaded loadOrFallBack(Backend backend, ExecutorService pool) throws IOException {
        return load(backend, pool, true);
    }

    private static Loaded load(Backend backend, ExecutorService pool, boolean fallBack) throws IOException {
        List<ObjectInfo> objs = backend.list(StoreFormat.INDEX);
        List<Future<List<PackSummary>>> fs = new ArrayList<>();
        for (ObjectInfo o : objs) {
            fs.add(pool.submit(() -> decode(o.name(), backend.get(o.name()))));
        }
        ChunkIndex index = new ChunkIndex();
        List<String> names = new ArrayList<>();
        List<String> damaged = new ArrayList<>();
        for (int i = 0; i < fs.size(); i++) {
            try {
                fs.get(i).get().forEach(index::addPack);
                names.add(objs.get(i).name());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof ObjectNotFoundException) {
                    continue; // replaced by a concurrent GC between list and get
                }
                if (!fallBack || !(e.getCause() instanceof IntegrityException damage)) {
                    throw unwrap(e);
                }
                damaged.add(damage.getMessage());
                names.add(objs.get(i).name());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("loading index");
            }
        }
        if (damaged.isEmpty()) {
            return new Loaded(index, names);
        }
        List<String> problems = new ArrayList<>(damaged);
        List<String> unreadable = new ArrayList<>();
        int fallen = addUnindexedPacks(backend, pool, index, unreadable).size();
        problems.add("the store falls back to the packs' own indexes: " + fallen + " packs in no intact index object"
                + " were read that way" + (unreadable.isEmpty() ? "" : "; " + unreadable.size() + " of them have an"
                + " unreadable index too (" + String.join(", ", unreadable) + ")") + ". Run `cryostash repair-index`");
        return new Loaded(index, names, List.copyOf(problems));
    }

    /**
     * Adds, from their own trailing indexes, the stored packs {@code index} does not have; returns
     * their ids. Packs whose own index cannot be read either go to {@code unreadable}.
     */
    public static List<String> addUnindexedPacks(Backend backend, ExecutorService pool, ChunkIndex index,
                                                 List<String> unreadable) throws IOException {
        List<ObjectInfo> missing = new ArrayList<>();
        for (ObjectInfo o : backend.list(StoreFormat.PACKS)) {
            if (!index.hasPack(o.name().substring(StoreFormat.PACKS.length()))) {
                missing.add(o);
            }
        }
        return addFromPackTrailers(backend, pool, missing, index, unreadable, "reading packs' own indexes");
    }

    /**
     * Builds an index from the packs themselves (their trailing indexes). Packs whose trailer
     * cannot be read are skipped and returned in {@code unreadable}.
     */
    public static ChunkIndex rebuild(Backend backend, ExecutorService pool, List<String> unreadable) throws IOException {
        ChunkIndex index = new ChunkIndex();
        addFromPackTrailers(backend, pool, backend.list(StoreFormat.PACKS), index, unreadable, "rebuilding index");
        return index;
    }

    private static List<String> addFromPackTrailers(Backend backend, ExecutorService pool, List<ObjectInfo> packs,
                                                    ChunkIndex index, List<String> unreadable, String doing)
            throws IOException {
        List<Future<PackSummary>> fs = new ArrayList<>();
        for (ObjectInfo o : packs) {
            String id = o.name().substring(StoreFormat.PACKS.length());
            fs.add(pool.submit(() -> new PackSummary(id, o.size(), PackReader.readIndex(backend, id, o.size()))));
        }
        List<String> added = new ArrayList<>();
        for (int i = 0; i < fs.size(); i++) {
            try {
                PackSummary p = fs.get(i).get();
                index.addPack(p);
                added.add(p.id());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IntegrityException) {
                    unreadable.add(packs.get(i).name().substring(StoreFormat.PACKS.length()));
                } else if (!(e.getCause() instanceof ObjectNotFoundException)) {
                    throw unwrap(e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException(doing);
            }
        }
        return added;
    }

    static IOException unwrap(ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof IOException io) {
            return io;
        }
        if (c instanceof UncheckedIOException u) {
            return u.getCause();
        }
        if (c instanceof RuntimeException r) {
            throw r;
        }
        return new IOException(c);
    }
}
