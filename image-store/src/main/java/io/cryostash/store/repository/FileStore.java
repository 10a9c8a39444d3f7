// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.Hashing;
import io.cryostash.store.IntegrityException;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.FileRef;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whole files — executables and libraries — stored by content and materialised on restore.
 *
 * <p>A file is cut into 1 MiB pieces stored as ordinary chunks, so the same library captured
 * from twenty processes on five hosts is stored once, and a new build of it shares nothing but
 * costs nothing extra either. On restore, {@link #materialize} prefers the host's own copy when
 * its SHA-256 matches (no download), else the local content-addressed cache
 * ({@code <cache>/<sha256>}), filling the cache from the store when needed, verified, via a
 * temporary file and an atomic rename. Hashes of host files are remembered per
 * (path, size, mtime, inode) so libc is not re-hashed for every restore. Thread-safe.
 */
public final class FileStore {
    /** Piece size for files. */
    public static final int PIECE_SIZE = 1 << 20;

    private final ChunkStore chunks;
    private final Path cacheDir;
    private final Map<String, String> hostHashes = new ConcurrentHashMap<>();

    FileStore(ChunkStore chunks, Path cacheDir) {
        this.chunks = chunks;
        this.cacheDir = cacheDir;
    }

    /** Stores a file; the returned reference goes into the process-image manifest. */
    public FileRef put(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return put(in);
        }
    }

    /** Stores what {@code in} reads, to its end, like a file. */
    public FileRef put(InputStream in) throws IOException {
        Hashing.Digest whole = Hashing.newDigest(); // libcrypto: the JDK's is slow until C2 compiles it
        List<ChunkKey> keys = new ArrayList<>();
        long size = 0;
        {
            byte[] buf = new byte[PIECE_SIZE];
            while (true) {
                int n = in.readNBytes(buf, 0, PIECE_SIZE);
                if (n == 0) {
                    break;
                }
                whole.update(buf, 0, n);
                keys.add(chunks.put(ByteBuffer.wrap(buf, 0, n)));
                size += n;
                if (n < PIECE_SIZE) {
                    break;
                }
            }
        }
        return new FileRef(Hashing.hex(whole.digest()), size, PIECE_SIZE, keys);
    }

    /**
     * A path holding exactly the file {@code ref} describes: {@code hostCopy} if it exists and
     * matches, else the cached copy (fetched and verified first when needed).
     *
     * @param hostCopy the path the file had at capture, on this host; may be null
     */
    public Path materialize(FileRef ref, Path hostCopy) throws IOException {
        if (hostCopy != null && ref.sha256().equals(hostHash(hostCopy, ref.size()))) {
            return hostCopy;
        }
        if (cacheDir == null) {
            throw new IOException("no cache directory configured and " + hostCopy + " does not match " + ref.sha256());
        }
        Path cached = cacheDir.resolve(ref.sha256());
        if (ref.sha256().equals(hostHash(cached, ref.size()))) {
            return cached;
        }
        Files.createDirectories(cacheDir);
        Path tmp = cacheDir.resolve("." + ref.sha256() + "." + UUID.randomUUID());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                Map<ChunkKey, List<Integer>> pieces = new HashMap<>();
                for (int i = 0; i < ref.chunks().size(); i++) {
                    pieces.computeIfAbsent(ref.chunks().get(i), k -> new ArrayList<>()).add(i);
                }
                chunks.readChunks(pieces.keySet(), (key, data) -> {
                    for (int i : pieces.get(key)) {
                        ByteBuffer b = ByteBuffer.wrap(data);
                        long pos = (long) i * ref.pieceSize();
                        while (b.hasRemaining()) {
                            pos += ch.write(b, pos);
                        }
                    }
                });
                ch.force(true);
            }
            String got = hashFile(tmp);
            if (!got.equals(ref.sha256()) || Files.size(tmp) != ref.size()) {
                throw new IntegrityException("file " + ref.sha256() + " reassembled from its chunks hashes to " + got);
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-xr-xr-x"));
            Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return cached;
    }

    private String hostHash(Path p, long expectedSize) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!a.isRegularFile() || a.size() != expectedSize) {
            return null;
        }
        String memo = p + "|" + a.size() + "|" + a.lastModifiedTime().toMillis() + "|" + a.fileKey();
        String h = hostHashes.get(memo);
        if (h == null) {
            h = hashFile(p);
            hostHashes.put(memo, h);
        }
        return h;
    }

    static String hashFile(Path p) throws IOException {
        Hashing.Digest d = Hashing.newDigest();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            while (ch.read(b) >= 0) {
                b.flip();
                d.update(b);
                b.clear();
            }
        }
        return Hashing.hex(d.digest());
    }
}
