// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.capture.files.DescriptorCapture;
import io.cryostash.capture.memory.CapturedArea;
import io.cryostash.capture.memory.MemoryCapture;
import io.cryostash.capture.sysvipc.SysvIpcCapture;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.FileFingerprint;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.AreaChunks;

/**
 * The part of a capture that runs after the process is released: cut the copied pages into
 * chunks, store executables and libraries by content, and commit the signed manifest last.
 */
final class ImageArchive {
    private ImageArchive() {
    }

    /** @param opened a writer a pre-copy pass already stored chunks with, or null */
    static ProcessImage write(ImageStore store, ImageWriter opened, AreaChunker chunker, ProcessImage draft,
                              MemoryCapture.Result memory, ProcessImage parent, String tracking,
                              DescriptorCapture.Result fds, SysvIpcCapture.Captured sysv) {
        try (ImageWriter w = opened != null ? opened : store.newImage()) {
            return store.commit(w, assemble(w, chunker, draft, memory, parent, tracking, fds, sysv, Set.of()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the image: " + e.getMessage(), e);
        }
    }

    /**
     * {@link #storeAreas} of one process on a thread of its own, started at once; {@link #commit}
     * finishes and commits the image with it, {@link #abandon} drops it (its packs go unindexed,
     * for garbage collection, as any abandoned capture's).
     */
    static final class AreasAhead {
        private final ImageWriter writer;
        private final java.util.concurrent.FutureTask<List<MemoryArea>> task;
        private final Thread thread;

        private AreasAhead(ImageWriter writer, AreaChunker chunker, MemoryCapture.Result memory) {
            this.writer = writer;
            this.task = new java.util.concurrent.FutureTask<>(() -> storeAreas(writer, chunker, memory, Set.of()));
            this.thread = new Thread(task, "cryostash-store-ahead");
            thread.setDaemon(true);
        }

        /** Starts storing the pages, taking the keys {@code known} hashed already. */
        static AreasAhead start(ImageStore store, AreaChunker chunker, MemoryCapture.Result memory,
                                io.cryostash.store.repository.KnownKeys known) {
            AreasAhead a = new AreasAhead(store.newImage().knowing(known), chunker, memory);
            a.thread.start();
            return a;
        }

        ProcessImage commit(ImageStore store, ProcessImage draft, ProcessImage parent, String tracking,
                            DescriptorCapture.Result fds, SysvIpcCapture.Captured sysv) {
            try (writer) {
                List<MemoryArea> areas;
                try {
                    areas = task.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) {
                        throw io;
                    }
                    if (c instanceof RuntimeException re) {
                        throw re;
                    }
                    if (c instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(c);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while storing the pages", e);
                }
                return store.commit(writer, finish(writer, draft, areas, parent, tracking, fds, sysv));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot store the image: " + e.getMessage(), e);
            }
        }

        /** Stops storing and closes the writer once its thread is done with it. */
        void abandon() {
            task.cancel(true);
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                writer.close();
            } catch (IOException | RuntimeException e) {
                // the capture failed already; this only leaves a pack for garbage collection
            }
        }
    }

    /**
     * Stores one process's pages, code files and descriptor contents with {@code w} and returns
     * its manifest, not committed yet (a tree commits all its processes' in one).
     *
     * @param elsewhere starts of areas whose pages another process of the tree keeps: not stored here
     */
    static ProcessImage assemble(ImageWriter w, AreaChunker chunker, ProcessImage draft, MemoryCapture.Result memory,
                                 ProcessImage parent, String tracking, DescriptorCapture.Result fds,
                                 SysvIpcCapture.Captured sysv, Set<Long> elsewhere) throws IOException {
        return finish(w, draft, storeAreas(w, chunker, memory, elsewhere), parent, tracking, fds, sysv);
    }

    /**
     * What a {@code --kill} capture does while its spool is on the disk, which leaves the CPU idle
     * (the spool is written with O_DIRECT): one thread hashes the chunks of the copy
     * ({@link #hashAhead}; what is not hashed by the end is hashed when stored), and if that ends
     * first, storing the pages (compressing, packing: {@link AreasAhead}) starts then, from the
     * same copy. Not sooner: the packs' writes share the disk with the spool's, which the freeze
     * waits for (1 GiB: frozen 0.91-0.92 s with both from the start, 0.67-0.70 s with the packs
     * after the spool; starting them once the hashing ends: frozen 0.66-0.80 s, the command
     * 1.62-1.86 s against 1.70-2.04 s).
     */
    static final class WhileSpooling {
        private final ImageStore store;
        private final AreaChunker chunker;
        private final MemoryCapture.Result memory;
        private final io.cryostash.store.repository.KnownKeys known = new io.cryostash.store.repository.KnownKeys();
        private volatile boolean spoolWritten;
        private AreasAhead ahead;

        private WhileSpooling(ImageStore store, AreaChunker chunker, MemoryCapture.Result memory) {
            this.store = store;
            this.chunker = chunker;
            this.memory = memory;
        }

        static WhileSpooling start(ImageStore store, AreaChunker chunker, MemoryCapture.Result memory) {
            WhileSpooling w = new WhileSpooling(store, chunker, memory);
            Thread t = new Thread(w::hashThenStore, "cryostash-hash-ahead");
            t.setDaemon(true);
            t.start();
            return w;
        }

        private void hashThenStore() {
            hashAhead(chunker, memory, known, () -> spoolWritten);
            synchronized (this) {
                if (!spoolWritten) {
                    ahead = AreasAhead.start(store, chunker, memory, known);
                }
            }
        }

        /**
         * The spool is written (or given up): the hashing stops within a batch, not waited for,
         * and storing the pages is under way, started by the hashing thread or now.
         */
        synchronized AreasAhead spoolWritten() {
            spoolWritten = true;
            if (ahead == null) {
                ahead = AreasAhead.start(store, chunker, memory, known);
            }
            return ahead;
        }
    }

    /**
     * Hashes the chunks of the copied memory that the store will take as views of it (whole
     * chunks inside one run; see {@code AreaChunker.capture}) into {@code known}, batch by batch,
     * until done or {@code stop} is set: a {@code --kill} capture does it while its spool is on the
     * disk, when the CPU has nothing else to do, and storing the pages afterwards looks each key up
     * instead of hashing it again. Incremental areas are left out (their chunks depend on the parent).
     */
    static void hashAhead(AreaChunker chunker, MemoryCapture.Result memory, io.cryostash.store.repository.KnownKeys known,
                          java.util.function.BooleanSupplier stop) {
        int pageSize = AreaChunker.DEFAULT_PAGE_SIZE;
        int chunkPages = chunker.chunkSize() / pageSize;
        List<java.nio.ByteBuffer> batch = new ArrayList<>();
        long batchBytes = 0;
        for (CapturedArea c : memory.areas()) {
            if (c.parent() != null) {
                continue;
            }
            long areaPages = c.area().length() / pageSize;
            for (CapturedArea.Run r : c.runs()) {
                long end = r.firstPage() + r.count();
                for (long first = (r.firstPage() + chunkPages - 1) / chunkPages * chunkPages; first < end;
                     first += chunkPages) {
                    int count = (int) Math.min(chunkPages, areaPages - first);
                    if (first + count > end) {
                        break;
                    }
                    int off = (int) ((first - r.firstPage()) * pageSize);
                    batch.add(r.data().slice(off, count * pageSize));
                    batchBytes += (long) count * pageSize;
                    if (batchBytes >= 8 << 20) {
                        if (stop.getAsBoolean()) {
                            return;
                        }
                        known.hash(batch);
                        batch = new ArrayList<>();
                        batchBytes = 0;
                    }
                }
            }
        }
        if (!batch.isEmpty() && !stop.getAsBoolean()) {
            known.hash(batch);
        }
    }

    /**
     * Stores one process's pages with {@code w}: the areas with their chunk lists. The bulk of
     * storing an image (hashing, compressing and packing every page), and it touches nothing but
     * the copied memory and the writer: a {@code --kill} capture starts it before the kill, on a
     * thread of its own ({@link WhileSpooling}).
     */
    static List<MemoryArea> storeAreas(ImageWriter w, AreaChunker chunker, MemoryCapture.Result memory,
                                       Set<Long> elsewhere) throws IOException {
        List<MemoryArea> areas = new ArrayList<>();
        for (CapturedArea c : memory.areas()) {
            MemoryArea a = c.area();
            AreaChunks content = null;
            if (elsewhere.contains(a.start())) {
                // the same memory as an area of an earlier process of the tree, which stores its pages
            } else if (c.parent() != null) {
                content = w.putAreaIncremental(chunker, c.parent(), a.start(), a.length(), c.presence(),
                        AreaChunker.PagePresence.of(c.reread()), c.reader());
            } else if (!c.runs().isEmpty()) {
                content = w.putArea(chunker, a.start(), a.length(), c.presence(), c.reader());
            }
            if (content != null && content.chunks().isEmpty()) {
                content = null;
            }
            areas.add(a.withContent(content));
        }
        return areas;
    }

    /** The rest of one process's image after its areas: code files, descriptor contents, SysV objects; not committed. */
    static ProcessImage finish(ImageWriter w, ProcessImage draft, List<MemoryArea> areas, ProcessImage parent,
                               String tracking, DescriptorCapture.Result fds, SysvIpcCapture.Captured sysv)
            throws IOException {
        List<FileFingerprint> files = storeCode(w, draft, areas);
        java.util.function.Function<byte[], io.cryostash.schema.store.FileRef> put = bytes -> {
            try {
                return w.putBytes(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        List<FdEntry> descriptors = fds.store(put::apply);
        return new ProcessImage(draft.formatVersion(), null, parent == null ? null : parent.id(),
                tracking, draft.createdAt(), draft.host(),
                draft.process(), draft.credentials(), draft.mm(), areas, draft.threads(), draft.signalActions(),
                draft.fs(), descriptors, draft.rlimits(), files, draft.timers(), draft.sharedPendingSignals(),
                sysv.store(put), null);
    }

    /**
     * Executables and libraries (the exe and every file mapped executable) are stored whole, by
     * content, once for all images: a restoring host whose copy differs maps the stored one.
     * Other mapped files are data the program shares with the world; they are only fingerprinted.
     */
    private static List<FileFingerprint> storeCode(ImageWriter w, ProcessImage draft, List<MemoryArea> areas)
            throws IOException {
        Set<String> code = new HashSet<>();
        code.add(draft.mm().exePath());
        for (MemoryArea a : areas) {
            if (a.executable() && a.kind() == MemoryArea.Kind.FILE_PRIVATE) {
                code.add(a.path());
            }
        }
        Map<String, FileFingerprint> out = new HashMap<>();
        List<FileFingerprint> result = new ArrayList<>();
        for (FileFingerprint f : draft.files()) {
            FileFingerprint stored = f;
            if (code.contains(f.path()) && !out.containsKey(f.path())) {
                stored = new FileFingerprint(f.path(), f.size(), f.mtimeNanos(), f.inode(), w.putFile(Path.of(f.path())));
            }
            out.put(f.path(), stored);
            result.add(stored);
        }
        return result;
    }
}
