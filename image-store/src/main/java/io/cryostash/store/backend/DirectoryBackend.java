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
 * names them is put. Eight-MiB packs each synced alone cost a capture of 1 GiB 256 fsyncs in a
 * row; synced together at the end, the kernel has written most of them back meanwhile.
 */
public final class DirectoryBackend implements Backend {
    private static final String TMP = ".tmp";
    private final Path root;
    private final Path tmp;
    private final java.util.Set<Path> unsynced = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
        Path target = write(name, data.duplicate(), false);
        unsynced.add(target);
    }

    @Override
    public void sync() throws IOException {
        java.util.List<Path> files = new java.util.ArrayList<>(unsynced);
        java.util.Set<Path> dirs = new java.util.HashSet<>();
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.force(true);
            } catch (NoSuchFileException deleted) {
                // removed since (an abandoned capture's pack): nothing to make durable
            }
            dirs.add(f.getParent());
        }
        for (Path d : dirs) {
            fsyncDirectory(d);
        }
        files.forEach(unsynced::remove);
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
            try {
                Files.move(t, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("store directory " + root + " does not support atomic rename", e);
            }
            if (durable) {
                fsyncDirectory(dir);
            }
            return target;
        } finally {
            Files.deleteIfExists(t);
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
