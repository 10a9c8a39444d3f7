// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Objects as files under a root directory: the embedded default store and the restore cache.
 *
 * <p>A put writes a temporary file under {@code .tmp/}, fsyncs it, renames it into place and
 * fsyncs the directory, so after a crash an object is either complete or absent — never a torn
 * pack that a later capture would take for a stored one. Temporary files a crash leaves behind
 * are removed when a back end is opened on the directory a day later.
 *
 * <p>{@link #putDeferred} (a capture's packs) writes and renames without the two fsyncs;
 * {@link #sync} then fsyncs every such file and directory once, before the index object that
 * names them is put. A pack whose bytes are in aligned direct memory (a {@code PackBuffer}'s)
 * goes to the disk with O_DIRECT, its last partial block through the page cache: the disk takes
 * it straight from that memory while the capture hashes and compresses on, with no copy into
 * the page cache, and the fsyncs at the end have only metadata to write (the first one commits
 * the file system's journal; the others find theirs committed). On a VM that hands freed
 * memory back to its host, that copy cost about a second of CPU per GiB (fresh page-cache
 * pages) and the fsyncs at the end had the whole gigabyte to write. Where the file system
 * refuses O_DIRECT (tmpfs before Linux 6.6, some FUSE file systems) packs go through the page
 * cache, as before.
 */
public final class DirectoryBackend implements Backend {
    private static final String TMP = ".tmp";
    /** Memory, offsets and lengths of O_DIRECT writes are aligned to this (a page, as a {@code PackBuffer}'s memory). */
    private static final int DIRECT_ALIGNMENT = 4096;
    private final Path root;
    private final Path tmp;
    private final java.util.Set<Path> unsynced = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Directories of renamed, not yet synced objects. */
    private final java.util.Set<Path> unsyncedDirs = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Cleared when the file system refuses O_DIRECT. */
    private volatile boolean direct = true;
    private volatile int blockSize = -1;

    public DirectoryBackend(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.tmp = this.root.resolve(TMP);
        Files.createDirectories(tmp);
        removeStaleTemporaries(Duration.ofDays(1));
    }

    private void removeStaleTemporaries(Duration age) throws IOException {
        Instant cutoff = Instant.now().minus(age);
        try (Stream<Path> s = Files.list(tmp)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
                        Files.deleteIfExists(p);
                    }
                } catch (NoSuchFileException ignored) {
                    // another process cleaned it
                }
            }
        }
    }

    private Path path(String name) {
        return root.resolve(ObjectNames.check(name));
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        write(name, ByteBuffer.wrap(data), true);
    }

    @Override
    public void putDeferred(String name, ByteBuffer data) throws IOException {
        if (direct && data.isDirect() && data.remaining() >= DIRECT_ALIGNMENT
                && data.alignmentOffset(data.position(), DIRECT_ALIGNMENT) == 0) {
            Path target = path(name);
            Path t = tmp.resolve(UUID.randomUUID() + ".part");
            try {
                if (writeDirect(t, data.duplicate())) {
                    Files.createDirectories(target.getParent());
                    move(t, target);
                    unsynced.add(target);
                    unsyncedDirs.add(target.getParent());
                    return;
                }
            } finally {
                Files.deleteIfExists(t);
            }
        }
        Path target = write(name, data.duplicate(), false);
        unsynced.add(target);
        unsyncedDirs.add(target.getParent());
    }

    /**
     * Writes {@code b} to the new file {@code t} with O_DIRECT (whole blocks; the partial last
     * block through the page cache); false when this file system refuses O_DIRECT (nothing is
     * left at {@code t} then). The file's size and block allocation still need {@link #sync}.
     */
    private boolean writeDirect(Path t, ByteBuffer b) throws IOException {
        int block = blockSize(t.getParent());
        if (block <= 0 || block > DIRECT_ALIGNMENT || DIRECT_ALIGNMENT % block != 0) {
            direct = false;
            return false;
        }
        int whole = b.remaining() & -DIRECT_ALIGNMENT;
        FileChannel ch;
        try {
            ch = FileChannel.open(t, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    com.sun.nio.file.ExtendedOpenOption.DIRECT);
        } catch (UnsupportedOperationException | IOException refused) {
            Files.deleteIfExists(t);
            if (refused instanceof IOException io && !isInvalidArgument(io)) {
                throw io;
            }
            direct = false;
            return false;
        }
        try (ch) {
            ByteBuffer body = b.duplicate().limit(b.position() + whole);
            long at = 0;
            while (body.hasRemaining()) {
                at += ch.write(body, at);
            }
        }
        try (FileChannel tail = FileChannel.open(t, StandardOpenOption.WRITE)) {
            ByteBuffer rest = b.duplicate().position(b.position() + whole);
            long at = whole;
            while (rest.hasRemaining()) {
                at += tail.write(rest, at);
            }
        }
        return true;
    }

    private static boolean isInvalidArgument(IOException e) {
        return String.valueOf(e.getMessage()).contains("Invalid argument");
    }

    private int blockSize(Path dir) throws IOException {
        int b = blockSize;
        if (b < 0) {
            long size = Files.getFileStore(dir).getBlockSize();
            b = size > Integer.MAX_VALUE ? 0 : (int) size;
            blockSize = b;
        }
        return b;
    }

    @Override
    public void sync() throws IOException {
        java.util.List<Path> files = new java.util.ArrayList<>(unsynced);
        java.util.List<Path> dirs = new java.util.ArrayList<>(unsyncedDirs);
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.force(true);
            } catch (NoSuchFileException deleted) {
                // removed since (an abandoned capture's pack): nothing to make durable
            }
        }
        for (Path d : dirs) {
            fsyncDirectory(d);
        }
        files.forEach(unsynced::remove);
        dirs.forEach(unsyncedDirs::remove);
    }

    private Path write(String name, ByteBuffer b, boolean durable) throws IOException {
        Path target = path(name);
        Path t = tmp.resolve(UUID.randomUUID() + ".part");
        try {
            try (FileChannel ch = FileChannel.open(t, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                if (durable) {
                    ch.force(true);
                }
            }
            Path dir = target.getParent();
            Files.createDirectories(dir);
            move(t, target);
            if (durable) {
                fsyncDirectory(dir);
            }
            return target;
        } finally {
            Files.deleteIfExists(t);
        }
    }

    private void move(Path t, Path target) throws IOException {
        try {
            Files.move(t, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("store directory " + root + " does not support atomic rename", e);
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public byte[] get(String name) throws IOException {
        try {
            return Files.readAllBytes(path(name));
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(location(), name);
        }
    }

    @Override
    public byte[] getRange(String name, long offset, int length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("bad range " + offset + "+" + length);
        }
        if (direct && length >= DIRECT_READ_MIN) {
            ByteBuffer read = readDirect(name, offset, length);
            if (read != null) {
                byte[] out = new byte[read.remaining()];
                read.get(out);
                return out;
            }
        }
        try (FileChannel ch = FileChannel.open(path(name), StandardOpenOption.READ)) {
            long size = ch.size();
            int n = (int) Math.max(0, Math.min(length, size - offset));
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining()) {
                if (ch.read(b, offset + b.position()) < 0) {
                    break;
                }
            }
            return b.position() == n ? b.array() : java.util.Arrays.copyOf(b.array(), b.position());
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(location(), name);
        }
    }

    /**
     * A ranged read of at least this many bytes (a restore's span of a pack) goes around the
     * page cache: the packs were written with O_DIRECT, so they are not in it, and filling it
     * costs more than the disk read on a VM that hands freed memory back to its host (1 GiB read
     * cold through the page cache: 1.30 s, 1.09 s of it CPU; with O_DIRECT: 0.63 s).
     */
    private static final int DIRECT_READ_MIN = 256 << 10;
    /** Each reading thread's aligned buffer for O_DIRECT reads, grown to the longest read. */
    private final ThreadLocal<ByteBuffer> directReads = new ThreadLocal<>();

    @Override
    public void readRange(String name, long offset, int length, RangeReader reader) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("bad range " + offset + "+" + length);
        }
        ByteBuffer read = direct && length >= DIRECT_READ_MIN ? readDirect(name, offset, length) : null;
        if (read == null) {
            reader.read(ByteBuffer.wrap(getRange(name, offset, length)));
        } else {
            reader.read(read);
        }
    }

    /**
     * As {@link #getRange}, read with O_DIRECT into this thread's aligned buffer, which the result
     * is a read-only view of until this thread's next read; null when the file system refuses it.
     */
    private ByteBuffer readDirect(String name, long offset, int length) throws IOException {
        long from = offset & -DIRECT_ALIGNMENT;
        long to = (offset + length + DIRECT_ALIGNMENT - 1) & -DIRECT_ALIGNMENT;
        int span = (int) (to - from);
        ByteBuffer b = directReads.get();
        if (b == null || b.capacity() < span) {
            b = ByteBuffer.allocateDirect(span + DIRECT_ALIGNMENT).alignedSlice(DIRECT_ALIGNMENT);
            directReads.set(b);
        }
        b.clear().limit(span);
        FileChannel ch;
        try {
            ch = FileChannel.open(path(name), StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT);
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(location(), name);
        } catch (UnsupportedOperationException | IOException refused) {
            if (refused instanceof IOException io && !isInvalidArgument(io)) {
                throw io;
            }
            direct = false;
            return null;
        }
        try (ch) {
            // a short read (one not ending on a block) is the end of the file: O_DIRECT reads
            // must start on a block, so there is no reading on from there anyway
            while (b.hasRemaining() && b.position() % DIRECT_ALIGNMENT == 0) {
                if (ch.read(b, from + b.position()) <= 0) {
                    break;
                }
            }
        }
        int got = (int) Math.max(0, Math.min(length, b.position() - (offset - from)));
        return b.slice((int) (offset - from), got).asReadOnlyBuffer();
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        ObjectNames.checkPrefix(prefix);
        int slash = prefix.lastIndexOf('/');
        Path dir = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        List<ObjectInfo> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = root.relativize(p).toString();
                if (rel.startsWith(TMP + "/") || rel.equals(TMP) || !rel.startsWith(prefix)) {
                    continue;
                }
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    if (a.isRegularFile()) {
                        out.add(new ObjectInfo(rel, a.size(), a.lastModifiedTime().toInstant()));
                    }
                } catch (NoSuchFileException ignored) {
                    // deleted while listing
                }
            }
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw e.getCause();
            }
        }
        out.sort(Comparator.comparing(ObjectInfo::name));
        return out;
    }

    @Override
    public void delete(String name) throws IOException {
        Files.deleteIfExists(path(name));
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(path(name), BasicFileAttributes.class);
            return a.isRegularFile() ? Optional.of(new ObjectInfo(name, a.size(), a.lastModifiedTime().toInstant()))
                    : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The root directory. */
    public Path root() {
        return root;
    }

    @Override
    public String location() {
        return root.toString();
    }
}
