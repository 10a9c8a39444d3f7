// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.cryostash.store.IntegrityException;
import io.cryostash.store.ManifestRejectedException;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.store.backend.S3Config;
import io.cryostash.store.memory.AreaTableCodec;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.store.repository.Repository;
import io.cryostash.store.repository.StoreSettings;
import io.cryostash.schema.image.ImageCodec;
import io.cryostash.schema.image.InvalidImageException;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.AreaTable;
import io.cryostash.schema.store.ChunkKey;

/**
 * Process images in the chunk store: what capture writes and restore reads. The process-image
 * manifest travels as the payload of the store's signed envelope; reading one always goes
 * through the store's signature and chunk checks.
 */
public final class ImageStore implements AutoCloseable {
    private final Repository repo;
    /**
     * The last images this store committed, by id: an agent's next snapshot of a job is incremental
     * against the image it wrote last, which it need not fetch, verify and decode again
     * ({@link #readParent}). Restore never reads from here: it verifies what the store holds.
     */
    private final Map<String, Verified> committed = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Verified> eldest) {
                    return size() > VERIFIED_KEPT;
                }
            });
    private static final int VERIFIED_KEPT = 8;

    /** An image as committed, with every chunk and table its envelope names. */
    private record Verified(ProcessImage image, List<ChunkKey> named) {
    }
    /** Made on first use: Jackson's set-up costs a command that reads no manifest (images on an empty store) a tenth of a second. */
    private volatile ImageCodec codec;

    private ImageStore(Repository repo) {
        this.repo = repo;
    }

    private ImageCodec codec() {
        ImageCodec c = codec;
        if (c == null) {
            c = new ImageCodec();
            codec = c;
        }
        return c;
    }

    /** $CRYOSTASH_HOME, else ~/.cryostash: this host's keys, trusted keys and file cache. */
    public static Path stateDir() {
        String env = System.getenv("CRYOSTASH_HOME");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cryostash");
    }

    /** $CRYOSTASH_STORE, else ~/.cryostash/store. */
    public static String defaultStore() {
        String env = System.getenv("CRYOSTASH_STORE");
        return env != null && !env.isBlank() ? env : stateDir().resolve("store").toString();
    }

    public static String hostName() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** A local directory store with this host's keys and cache under {@link #stateDir()}. */
    public static ImageStore local(Path storeDir) {
        return open(StoreSettings.local(storeDir, stateDir(), hostName()));
    }

    /** A directory or {@code s3://bucket/prefix} store, S3 settings from flags, environment or config file. */
    public static ImageStore open(String store, S3Config.Overrides s3, Path configFile, ChunkStore.Options options) {
        Path state = stateDir();
        return open(new StoreSettings(store, s3, System.getenv(), configFile, state.resolve("keys"),
                state.resolve("trusted-keys"), state.resolve("cache"), hostName(), options));
    }

    public static ImageStore open(StoreSettings settings) {
        try {
            return new ImageStore(Repository.open(settings));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open store " + settings.store() + ": " + e.getMessage(), e);
        }
    }

    public Repository repository() {
        return repo;
    }

    public ImageWriter newImage() {
        try {
            return repo.newImage();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start an image in the store: " + e.getMessage(), e);
        }
    }

    /**
     * Stores the areas' chunk lists as chunk tables, then signs and writes the manifest last,
     * making the image visible; returns it with its id.
     */
    public ProcessImage commit(ImageWriter writer, ProcessImage image) {
        try {
            // the image's pages upload while its tables and manifest are encoded
            writer.sealPack();
            byte[] payload = codec().encode(image.withId(null), contents -> writeTables(writer, contents));
            String id = writer.commit(payload);
            ProcessImage done = image.withId(id);
            committed.put(id, new Verified(done, writer.named()));
            return done;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the image: " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("cannot write the image: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static Map<Long, AreaTable> writeTables(ImageWriter writer, Map<Long, AreaChunks> contents) {
        List<byte[]> all = new ArrayList<>();
        List<ChunkKey> named = new ArrayList<>();
        Map<Long, int[]> ranges = new HashMap<>();
        for (Map.Entry<Long, AreaChunks> e : contents.entrySet()) {
            List<byte[]> tables = AreaTableCodec.encode(e.getValue());
            ranges.put(e.getKey(), new int[] {all.size(), all.size() + tables.size()});
            all.addAll(tables);
            e.getValue().chunks().forEach(c -> named.add(c.key()));
            e.getValue().patches().forEach(c -> named.add(c.key()));
        }
        List<ChunkKey> keys;
        try {
            keys = writer.putTables(all, named); // one call: the tables of all areas are hashed in parallel
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        Map<Long, AreaTable> out = new HashMap<>();
        for (Map.Entry<Long, AreaChunks> e : contents.entrySet()) {
            AreaChunks c = e.getValue();
            int[] r = ranges.get(e.getKey());
            out.put(e.getKey(), new AreaTable(c.start(), c.length(), c.pageSize(), c.chunkPages(),
                    keys.subList(r[0], r[1])));
        }
        return out;
    }

    /** Reads and verifies an image (signature, trust, every chunk indexed). Accepts a unique id prefix. */
    public ProcessImage read(String idOrPrefix) {
        String id = resolve(idOrPrefix);
        try {
            Repository.Image im = repo.readImage(id);
            Set<ChunkKey> tablesNamed = new HashSet<>();
            ProcessImage image = codec().decode(im.payload(), tables -> {
                tables.values().forEach(t -> tablesNamed.addAll(t.segments()));
                return resolveTables(im, tables);
            });
            EnvelopeAgreement.check(id, im.manifest(), image, tablesNamed);
            return image.withId(id);
        } catch (ObjectNotFoundException e) {
            throw new ImageNotFoundException(idOrPrefix, repo.chunks().backend().location());
        } catch (IntegrityException e) {
            throw new ImageIntegrityException(id, e);
        } catch (InvalidImageException e) { // signed, but not a manifest restore can act on
            throw new ImageIntegrityException(id, new ManifestRejectedException(id, e.getMessage()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + id + ": " + e.getMessage(), e);
        }
    }

    /**
     * The parent of an incremental capture: the image as this store committed it when it is one of
     * the last it wrote, its manifest is still stored (it was not deleted or expired) and every
     * chunk and table it names is still in the index (garbage collection may have run since); else
     * read and verified as by {@link #read}. Ids name their content and images never change, so
     * what this host signed is what the store holds; what the capture then reuses is checked again
     * when the new image is committed. Saves a snapshot the parent's download, signature check and
     * decoding (a manifest and chunk tables of about a megabyte for a 1 GiB process).
     */
    public ProcessImage readParent(String id) {
        Verified own = committed.get(id);
        try {
            if (own != null && repo.chunks().unreadable(own.named()).isEmpty()
                    && repo.chunks().backend().exists(io.cryostash.schema.store.StoreFormat.MANIFESTS + id)) {
                return own.image();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + id + ": " + e.getMessage(), e);
        }
        return read(id);
    }

    /** Chunk lists from the tables the image's envelope lists (read and verified by {@link Repository#readImage}). */
    private static Map<Long, AreaChunks> resolveTables(Repository.Image im, Map<Long, AreaTable> tables) {
        Map<Long, AreaChunks> out = new HashMap<>();
        for (Map.Entry<Long, AreaTable> e : tables.entrySet()) {
            List<byte[]> bytes = new ArrayList<>();
            for (ChunkKey k : e.getValue().segments()) {
                byte[] b = im.tables().get(k);
                if (b == null) {
                    throw new ImageIntegrityException(new io.cryostash.store.ManifestRejectedException(im.id(),
                            "the area at " + Long.toHexString(e.getKey()) + " names chunk table " + k.hex()
                                    + ", which its signed envelope does not list"));
                }
                bytes.add(b);
            }
            try {
                out.put(e.getKey(), AreaTableCodec.decode(e.getValue(), e.getValue().segments(), bytes));
            } catch (IntegrityException ex) {
                throw new ImageIntegrityException(im.id(), ex);
            }
        }
        return out;
    }

    /** The full id for a unique prefix (at least 6 characters), as git and docker accept. */
    public String resolve(String idOrPrefix) {
        if (idOrPrefix != null && idOrPrefix.matches("[0-9a-f]{64}")) {
            return idOrPrefix;
        }
        if (idOrPrefix != null && idOrPrefix.matches("[0-9a-f]{1,5}")) {
            throw new IllegalArgumentException("image id prefix " + idOrPrefix + " is too short: give at least 6 hex digits");
        }
        if (idOrPrefix == null || !idOrPrefix.matches("[0-9a-f]{6,63}")) {
            throw new ImageNotFoundException(String.valueOf(idOrPrefix), repo.chunks().backend().location());
        }
        List<String> matches = list().stream().map(Repository.ImageInfo::id).filter(i -> i.startsWith(idOrPrefix))
                .toList();
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.isEmpty()) {
            throw new ImageNotFoundException(idOrPrefix, repo.chunks().backend().location());
        }
        throw new IllegalArgumentException("image id prefix " + idOrPrefix + " is ambiguous: " + matches);
    }

    public List<Repository.ImageInfo> list() {
        try {
            return repo.listImages();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list images: " + e.getMessage(), e);
        }
    }

    /** Saved pages, read from the store with every chunk's hash checked. */
    public PageSource pages() {
        return new StorePages(repo.chunks());
    }

    /**
     * The saved pages of {@code image} (read by {@link #read}), starting to fetch them now in the
     * background so that they arrive while the caller prepares the process; checked as by
     * {@link #pages()}. Close it to stop fetching.
     */
    public PageSource pages(ProcessImage image) {
        return new PrefetchedPages(repo.chunks(), image);
    }

    /** Problems the store worked around when opening (a damaged index object); print them. */
    public List<String> warnings() {
        return repo.chunks().indexProblems();
    }

    public String location() {
        return repo.chunks().backend().location();
    }

    @Override
    public void close() {
        try {
            repo.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
