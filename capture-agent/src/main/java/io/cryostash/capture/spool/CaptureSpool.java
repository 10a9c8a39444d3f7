// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.spool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.cryostash.capture.memory.CapturedArea;
import io.cryostash.capture.memory.MemoryCapture;
import io.cryostash.capture.sysvipc.SysvIpcCapture;
import io.cryostash.schema.image.ImageCodec;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.SysvIpcState;

/**
 * Where a {@code --kill} capture's state goes before the process is killed (issue 14): a
 * directory per capture under {@code $CRYOSTASH_HOME/spool} with the copied pages
 * ({@code pages}, runs one after another, then the contents of descriptors whose file exists
 * nowhere else, such as a memfd's) and, written last and atomically, what the freeze read
 * ({@code capture.json}: the process image without stored memory — every thread's registers,
 * masks and queued signals, the descriptors, timers and shared queued signals are in it — the
 * SysV IPC objects it uses, the places of the runs, contents and SysV segment bytes in
 * {@code pages}, the parent, the store and the boot it was written in). Once both are written
 * the process may die: its state is on the disk (or in the kernel's page cache, which the
 * capturing JVM's death cannot take either: see below), and storing it (hashing, compressing,
 * packing, uploading) goes on from memory.
 *
 * <p>The pages go to the disk with O_DIRECT where the file system allows ({@link SpoolPagesFile}):
 * straight from the copy buffers, touching no new memory inside the freeze, and the entry is then
 * fsynced and marked {@code synced} for a few metadata writes. Where O_DIRECT is refused, the
 * entry goes into the page cache and is not fsynced before the kill: the process's state was
 * only ever in memory, so a power loss before the image is stored loses the process whether or
 * not it was killed, and what the kill must not lose to (the capturer's death) the page cache
 * survives; an fsync there would write the memory to the disk a second time inside the freeze.
 * Such an entry is made durable when it outlives its command (storing failed;
 * {@link Entry#makeDurable()}); an unmarked entry found after the machine restarted may have lost
 * pages to the restart, and {@link SpoolReplay} drops it rather than store an image of memory it
 * cannot vouch for.
 *
 * <p>A capture that finishes deletes its entry; one whose JVM died leaves it, and the next
 * command that opens the same store replays it ({@link SpoolReplay}). A directory without
 * {@code capture.json} was never complete, so its process was never killed: it is removed.
 *
 * <p>The capturing process holds an exclusive lock on {@code lock} in its entry for as long as
 * it works on it; the lock goes with the process, so a replay never takes a live capture's
 * entry.
 */
public final class CaptureSpool {
    static final String PAGES = "pages";
    public static final String RECORD = "capture.json";
    static final String LOCK = "lock";
    /** Entries being deleted are renamed to this prefix and their name ({@link Entry#deleteInBackground()}). */
    public static final String DONE_PREFIX = ".done-";
    /** Present once the entry's files and directories are fsynced ({@link Entry#makeDurable()}). */
    static final String SYNCED = "synced";

    private CaptureSpool() {
    }

    /** {@code $CRYOSTASH_HOME/spool} (see {@code ImageStore.stateDir}). */
    public static Path defaultDir() {
        return io.cryostash.store.image.ImageStore.stateDir().resolve("spool");
    }

    /** One area as spooled: runs as {firstPage, pageCount, offset in pages} triples; bit sets of incremental captures. */
    public record SpooledArea(MemoryArea area, long[] runs, long[] present, long[] reread) {
    }

    /** A descriptor's stored content (see {@code DescriptorCapture.Result#contents}): its place in {@code pages}. */
    public record SpooledContent(int fd, long offset, int length) {
    }

    /** A SysV shared memory segment's bytes (see {@code SysvIpcCapture.Captured}): its place in {@code pages}. */
    public record SpooledSegment(int id, long offset, int length) {
    }

    /**
     * What {@code capture.json} holds: {@code sysv} is the SysV IPC state the process uses
     * (segments without their stored content, whose bytes are at {@code sysvSegments}).
     */
    public record SpooledCapture(int version, String store, int pageSize, int chunkPages, String parent, String tracking,
                          long spooledAtMillis, long startTime, String bootId, ProcessImage draft, List<SpooledArea> areas,
                          List<SpooledContent> fdContents, SysvIpcState sysv, List<SpooledSegment> sysvSegments) {
    }

    /**
     * 5: with the boot it was written in ({@code bootId}, from /proc/sys/kernel/random/boot_id)
     * and the {@code synced} mark, set at once when the pages went out with O_DIRECT, else only
     * if the entry outlives its command. 4: images of format 5.0, with
     * the SysV IPC objects the process uses and their segments' bytes, and the process's start
     * time (field 22 of /proc/PID/stat), which tells a replay whether the process still runs;
     * fsynced before the kill, so a replay takes it as synced. (2: images of format 4.0 and
     * descriptor contents.)
     */
    public static final int VERSION = 5;
    /** The older format a replay still stores: fsynced before the kill, so safe across a restart. */
    public static final int VERSION_SYNCED = 4;

    /** The running kernel's boot id: an entry written in another boot outlived a restart. */
    public static String bootId() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/sys/kernel/random/boot_id: " + e.getMessage(), e);
        }
    }

    /**
     * Whether an entry's pages can be trusted: written in this boot (the page cache holds them
     * whole), or fsynced before the machine restarted.
     */
    public static boolean intact(SpooledCapture record, Path dir) {
        return record.version() == VERSION_SYNCED || Files.exists(dir.resolve(SYNCED))
                || bootId().equals(record.bootId());
    }

    public static ObjectMapper mapper() {
        return new ImageCodec().mapper();
    }

    /**
     * Writes the captured pages and then the record (durably with O_DIRECT, else into the page
     * cache: see the class comment) and returns the entry, still locked by this process: from
     * here on the capture survives this JVM.
     */
    public static Entry write(Path spoolDir, String storeLocation, int pageSize, int chunkPages, long startTime,
                              ProcessImage draft, MemoryCapture.Result memory, Map<Integer, byte[]> fdContents,
                              SysvIpcCapture.Captured sysv, String parent, String tracking) {
        Entry e = Entry.create(spoolDir);
        try {
            List<SpooledArea> areas = new ArrayList<>();
            SpooledCapture record;
            boolean direct;
            try (SpoolPagesFile pages = new SpoolPagesFile(e.dir.resolve(PAGES))) {
                for (CapturedArea c : memory.areas()) {
                    long[] runs = new long[c.runs().size() * 3];
                    int i = 0;
                    for (CapturedArea.Run r : c.runs()) {
                        runs[i++] = r.firstPage();
                        runs[i++] = r.count();
                        runs[i++] = pages.offset();
                        pages.append(r.data().duplicate().clear().limit(r.count() * pageSize), true);
                    }
                    areas.add(new SpooledArea(c.area(), runs, c.present() == null ? null : c.present().toLongArray(),
                            c.reread() == null ? null : c.reread().toLongArray()));
                }
                List<SpooledContent> contents = new ArrayList<>();
                for (Map.Entry<Integer, byte[]> c : new TreeMap<>(fdContents).entrySet()) {
                    contents.add(new SpooledContent(c.getKey(), pages.offset(), c.getValue().length));
                    pages.append(ByteBuffer.wrap(c.getValue()), false);
                }
                List<SpooledSegment> segments = new ArrayList<>();
                for (Map.Entry<Integer, byte[]> c : new TreeMap<>(sysv.segmentBytes()).entrySet()) {
                    segments.add(new SpooledSegment(c.getKey(), pages.offset(), c.getValue().length));
                    pages.append(ByteBuffer.wrap(c.getValue()), false);
                }
                pages.flush();
                direct = pages.allPagesDirect();
                record = new SpooledCapture(VERSION, storeLocation, pageSize, chunkPages, parent, tracking,
                        System.currentTimeMillis(), startTime, bootId(), draft, areas, contents, sysv.draft(), segments);
            }
            Path tmp = e.dir.resolve(RECORD + ".part");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(mapper().writeValueAsBytes(record));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            Files.move(tmp, e.dir.resolve(RECORD), StandardCopyOption.ATOMIC_MOVE);
            if (direct) { // the pages are on the disk already: making the entry durable costs a few metadata writes
                e.makeDurable();
            }
            return e;
        } catch (IOException | RuntimeException ex) {
            e.delete();
            throw new UncheckedIOException("cannot spool the capture to " + e.dir + ": "
                    + (ex.getMessage() != null ? ex.getMessage() : ex.toString()),
                    ex instanceof IOException io ? io : new IOException(ex));
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Reads the descriptor contents of a record back from its {@code pages} file, by fd. */
    public static Map<Integer, byte[]> fdContents(SpooledCapture record, Path dir) throws IOException {
        Map<Integer, byte[]> out = new HashMap<>();
        if (record.fdContents() == null) {
            return out;
        }
        try (FileChannel pages = FileChannel.open(dir.resolve(PAGES), StandardOpenOption.READ)) {
            for (SpooledContent c : record.fdContents()) {
                ByteBuffer data = ByteBuffer.allocate(c.length());
                while (data.hasRemaining()) {
                    if (pages.read(data, c.offset() + data.position()) < 0) {
                        throw new IOException("spooled pages end before the content of fd " + c.fd());
                    }
                }
                out.put(c.fd(), data.array());
            }
        }
        return out;
    }

    /** Reads the SysV IPC state of a record back, with its segments' bytes from the {@code pages} file. */
    public static SysvIpcCapture.Captured sysv(SpooledCapture record, Path dir) throws IOException {
        if (record.sysv() == null) {
            return SysvIpcCapture.Captured.NONE;
        }
        Map<Integer, byte[]> bytes = new HashMap<>();
        try (FileChannel pages = FileChannel.open(dir.resolve(PAGES), StandardOpenOption.READ)) {
            for (SpooledSegment c : record.sysvSegments()) {
                ByteBuffer data = ByteBuffer.allocate(c.length());
                while (data.hasRemaining()) {
                    if (pages.read(data, c.offset() + data.position()) < 0) {
                        throw new IOException("spooled pages end before the bytes of SysV segment " + c.id());
                    }
                }
                bytes.put(c.id(), data.array());
            }
        }
        return new SysvIpcCapture.Captured(record.sysv(), bytes);
    }

    /** Rebuilds the captured areas of a record from its {@code pages} file. */
    public static List<CapturedArea> areas(SpooledCapture record, Path dir, java.util.function.LongFunction<
            io.cryostash.schema.store.AreaChunks> parentContent) throws IOException {
        List<CapturedArea> out = new ArrayList<>();
        try (FileChannel pages = FileChannel.open(dir.resolve(PAGES), StandardOpenOption.READ)) {
            for (SpooledArea a : record.areas()) {
                List<CapturedArea.Run> runs = new ArrayList<>();
                for (int i = 0; i < a.runs().length; i += 3) {
                    int bytes = (int) (a.runs()[i + 1] * record.pageSize());
                    ByteBuffer data = ByteBuffer.allocateDirect(bytes);
                    long at = a.runs()[i + 2];
                    while (data.hasRemaining()) {
                        if (pages.read(data, at + data.position()) < 0) {
                            throw new IOException("spooled pages end before the run at offset " + at);
                        }
                    }
                    runs.add(new CapturedArea.Run(a.runs()[i], (int) a.runs()[i + 1], data.clear()));
                }
                BitSet present = a.present() == null ? null : BitSet.valueOf(a.present());
                BitSet reread = a.reread() == null ? null : BitSet.valueOf(a.reread());
                io.cryostash.schema.store.AreaChunks parent = reread == null ? null : parentContent.apply(a.area().start());
                out.add(parent == null && reread == null ? new CapturedArea(a.area(), runs)
                        : new CapturedArea(a.area(), runs, parent, present, reread));
            }
        }
        return out;
    }

    /** A capture's spool directory, locked by this process while it holds the entry. */
    public static final class Entry implements AutoCloseable {
        final Path dir;
        private final FileChannel lockChannel;
        private final FileLock lock;

        private Entry(Path dir, FileChannel lockChannel, FileLock lock) {
            this.dir = dir;
            this.lockChannel = lockChannel;
            this.lock = lock;
        }

        static Entry create(Path spoolDir) {
            try {
                Files.createDirectories(spoolDir);
                Path dir = spoolDir.resolve(UUID.randomUUID().toString());
                Files.createDirectory(dir);
                FileChannel ch = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                return new Entry(dir, ch, ch.lock());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a capture spool under " + spoolDir + ": " + e.getMessage(), e);
            }
        }

        /** Takes an entry another process left, or null while a live process still holds it. */
        public static Entry take(Path dir) throws IOException {
            FileChannel ch;
            try {
                ch = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            } catch (NoSuchFileException gone) {
                return null;
            }
            try {
                FileLock l = ch.tryLock();
                if (l == null) {
                    ch.close();
                    return null;
                }
                return new Entry(dir, ch, l);
            } catch (OverlappingFileLockException ours) { // this JVM holds it: a capture in progress
                ch.close();
                return null;
            }
        }

        public Path dir() {
            return dir;
        }

        /**
         * Fsyncs the entry's files and directories, then marks it {@code synced}: an entry that
         * outlives its command (storing failed) must outlive a restart of the machine too.
         */
        public void makeDurable() {
            if (Files.exists(dir.resolve(SYNCED))) {
                return; // written with O_DIRECT and synced already
            }
            try {
                for (String name : List.of(PAGES, RECORD)) {
                    try (FileChannel ch = FileChannel.open(dir.resolve(name), StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                }
                fsyncDirectory(dir);
                fsyncDirectory(dir.getParent());
                try (FileChannel ch = FileChannel.open(dir.resolve(SYNCED), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                fsyncDirectory(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot sync the capture spooled in " + dir + ": " + e.getMessage(), e);
            }
        }

        /** Removes the entry (the image is stored, or the capture never got this far). */
        public void delete() {
            try {
                deleteFiles(dir);
            } finally {
                close();
            }
        }

        /**
         * Removes the entry off the caller's path: it is renamed aside at once ({@code .done-}
         * and its name, which a replay never stores) and its files are deleted by a thread of its
         * own, which a JVM waits for before it exits. Freeing a gigabyte written with O_DIRECT
         * took 0.14-0.15 s here; a command served by the daemon answers without waiting for it.
         * What a JVM killed meanwhile leaves, the next replay removes.
         */
        public void deleteInBackground() {
            Path aside = dir.resolveSibling(DONE_PREFIX + dir.getFileName());
            try {
                Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                delete();
                return;
            }
            Thread t = new Thread(() -> {
                try {
                    deleteFiles(aside);
                } finally {
                    close();
                }
            }, "cryostash-spool-delete");
            t.start();
        }

        /** The record first: an interrupted delete leaves an entry a replay does not store. */
        static void deleteFiles(Path dir) {
            try {
                Files.deleteIfExists(dir.resolve(RECORD));
                try (Stream<Path> s = Files.list(dir)) {
                    for (Path p : (Iterable<Path>) s::iterator) {
                        if (!p.getFileName().toString().equals(LOCK)) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
                Files.deleteIfExists(dir.resolve(LOCK));
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // a leftover without capture.json is removed by the next replay
            }
        }

        /** Lets go of the entry without deleting it (a later replay stores it). */
        @Override
        public void close() {
            try {
                if (lock.isValid()) {
                    lock.release();
                }
                lockChannel.close();
            } catch (IOException ignored) {
                // the lock goes with the channel
            }
        }
    }
}
