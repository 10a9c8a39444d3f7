// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.UserfaultfdPager;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ChunkStore;

/**
 * The private memory of a lazily restored process ({@code restore --lazy}): its anonymous areas
 * are mapped empty and registered with a userfaultfd (missing mode) created inside the husk, so
 * the process can run at once. This restorer then serves every fault from the store — the chunk
 * holding the page, hash-checked and decompressed, copied in whole — while a second thread
 * copies in every other chunk in address order until all of the image's pages are resident.
 * Pages the image never held are filled with zeros when touched.
 *
 * <p>A chunk that fails its hash check, here or in the background, kills the process (it must
 * not run on with memory it cannot have) and {@link #failure} says which chunk and where. If
 * this JVM dies first, the kernel kills the process too: it stays traced with
 * PTRACE_O_EXITKILL until every page is in ({@code Restorer}).
 */
public final class LazyMemory implements AutoCloseable {
    /** Chunks fetched together by the background fill: one ranged read per pack, decoded on every core. */
    private static final int FILL_BATCH_CHUNKS = 256;
    private static final int PAGE = 4096;

    private final int pid;
    private final String imageId;
    private final ChunkStore chunks;
    private final NavigableMap<Long, Area> areas = new TreeMap<>();
    private final CountDownLatch resident = new CountDownLatch(1);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong faults = new AtomicLong();
    private final long totalBytes;
    private volatile UserfaultfdPager pager;
    /** {area order, chunk list index} just after the last fault: where the background fill goes next. */
    private final AtomicReference<long[]> hint = new AtomicReference<>();
    private volatile boolean stopping;
    private Thread faultThread;
    private Thread fillThread;

    /** One registered area: its chunks in page order, the patches over them, and which chunks are in. */
    private static final class Area {
        final MemoryArea area;
        final AreaChunks content;
        final Map<Long, AreaChunk> byFirstPage = new HashMap<>();
        final NavigableMap<Long, AreaChunk> patches = new TreeMap<>();
        final BitSet filled = new BitSet();
        /** The chunks' first pages in list order, for finding where a fault is in the list. */
        final List<Long> firstPages = new ArrayList<>();
        final int order;

        Area(MemoryArea area, int order) {
            this.area = area;
            this.order = order;
            this.content = area.content();
            for (AreaChunk c : content.chunks()) {
                byFirstPage.put(c.firstPage(), c);
                firstPages.add(c.firstPage());
            }
            for (AreaChunk p : content.patches()) {
                patches.put(p.firstPage(), p);
            }
        }

        int chunkIndex(long firstPage) {
            return (int) (firstPage / content.chunkPages());
        }
    }

    private LazyMemory(int pid, String imageId, ChunkStore chunks, List<MemoryArea> lazy) {
        this.pid = pid;
        this.imageId = imageId;
        this.chunks = chunks;
        long total = 0;
        for (MemoryArea a : lazy.stream().sorted(java.util.Comparator.comparingLong(MemoryArea::start)).toList()) {
            areas.put(a.start(), new Area(a, areas.size()));
            total += a.storedPages() * (long) PAGE;
        }
        this.totalBytes = total;
    }

    /**
     * Whether restore --lazy leaves this area to faults: private anonymous memory with saved pages,
     * unless the program locked it (mlock): locked memory is resident by definition, so it is
     * written before the process runs.
     */
    public static boolean isLazy(MemoryArea a) {
        return a.kind() == MemoryArea.Kind.ANONYMOUS && a.content() != null && !a.content().chunks().isEmpty()
                && a.content().pageSize() == PAGE && !a.has(MemoryArea.Setting.LOCKED);
    }

    public static LazyMemory of(int pid, String imageId, ChunkStore chunks, List<MemoryArea> imageAreas) {
        return new LazyMemory(pid, imageId, chunks, imageAreas.stream().filter(LazyMemory::isLazy).toList());
    }

    /**
     * Creates the userfaultfd inside the husk (remote system calls, while it is still stopped and
     * privileged), registers every lazy area, takes the descriptor over and starts serving.
     * The areas must be mapped already.
     */
    public void register(RemoteSyscalls remote, ProcessMemory mem, long scratch) {
        pager = HuskUserfaultfd.register(remote, mem, scratch, areas.values().stream().map(a -> a.area).toList(),
                "restore --lazy");
        faultThread = new Thread(this::serveFaults, "lazy-faults-" + pid);
        faultThread.setDaemon(true);
        faultThread.start();
    }

    /**
     * Starts bringing in every page in the background; called once the process runs, so that
     * the fill's reads take neither the disk nor the CPU from the restore's last steps.
     */
    public void startFilling() {
        if (fillThread != null) {
            return;
        }
        fillThread = new Thread(this::fillAll, "lazy-fill-" + pid);
        fillThread.setDaemon(true);
        fillThread.start();
    }

    private void serveFaults() {
        try {
            while (!stopping) {
                long address = pager.nextFault(50);
                if (address < 0) {
                    continue;
                }
                faults.incrementAndGet();
                serve(address & ~(PAGE - 1L));
            }
        } catch (RuntimeException e) {
            if (!stopping) {
                fail("serving the page faults of pid " + pid + " failed: " + e.getMessage());
            }
        }
    }

    private void serve(long page) {
        Map.Entry<Long, Area> e = areas.floorEntry(page);
        if (e == null || page >= e.getValue().area.end()) {
            // registered but outside the image's bounds: a stack that grew down since; never
            // leave a fault unanswered (the thread would wait forever)
            pager.zeroPage(page, PAGE);
            return;
        }
        Area a = e.getValue();
        long pageIndex = (page - a.area.start()) / PAGE;
        int cp = a.content.chunkPages();
        long first = pageIndex / cp * cp;
        AreaChunk c = a.byFirstPage.get(first);
        int listIndex = java.util.Collections.binarySearch(a.firstPages, first);
        hint.set(new long[] {a.order, listIndex >= 0 ? listIndex + 1 : -listIndex - 1});
        if (c != null && !isFilled(a, c)) {
            try {
                fill(a, List.of(c), true);
            } catch (IOException | RuntimeException ex) {
                fail("chunk " + c.key().hex() + " of image " + imageId + ", holding 0x" + Long.toHexString(page)
                        + " that pid " + pid + " touched, failed verification: " + ex.getMessage());
                return;
            }
        }
        if (c == null || !c.isPresent((int) (pageIndex - first))) {
            pager.zeroPage(page, PAGE); // a page the process never had
        }
    }

    /**
     * Copies in every chunk, in batches, starting where the process last faulted (a program
     * walking its memory then finds the pages ahead of it already in, instead of faulting on
     * each chunk), otherwise from the lowest chunk not yet in.
     */
    private void fillAll() {
        try {
            List<Area> list = new ArrayList<>(areas.values());
            int[] cursor = new int[list.size()]; // per area: chunks below this index were all looked at
            int area = 0;
            while (!stopping) {
                long[] h = hint.getAndSet(null);
                int ai;
                int from;
                if (h != null) {
                    ai = (int) h[0];
                    from = (int) h[1];
                } else {
                    while (area < list.size() && cursor[area] >= list.get(area).content.chunks().size()) {
                        area++;
                    }
                    if (area >= list.size()) {
                        break;
                    }
                    ai = area;
                    from = cursor[area];
                }
                Area a = list.get(ai);
                List<AreaChunk> all = a.content.chunks();
                List<AreaChunk> batch = new ArrayList<>();
                int i = from;
                for (; i < all.size() && batch.size() < FILL_BATCH_CHUNKS; i++) {
                    if (!isFilled(a, all.get(i))) {
                        batch.add(all.get(i));
                    }
                }
                if (h == null) {
                    cursor[ai] = i;
                }
                if (!batch.isEmpty()) {
                    fill(a, batch, false);
                }
            }
            if (!stopping && failure.get() == null) {
                resident.countDown();
            }
        } catch (IOException | RuntimeException e) {
            if (!stopping) {
                fail("image " + imageId + ": " + e.getMessage());
            }
        }
    }

    private boolean isFilled(Area a, AreaChunk c) {
        synchronized (a.filled) {
            return a.filled.get(a.chunkIndex(c.firstPage()));
        }
    }

    /**
     * Fetches (hash-checked), assembles and copies in these chunks of one area.
     *
     * @param here read on this thread (a fault is waiting), not on the store's readers, where it
     *             would queue behind the background fill's batch (a fault took 20-25 ms)
     */
    private void fill(Area a, List<AreaChunk> cs, boolean here) throws IOException {
        List<ChunkKey> keys = new ArrayList<>();
        Map<AreaChunk, List<AreaChunk>> patchesOf = new HashMap<>();
        for (AreaChunk c : cs) {
            keys.add(c.key());
            List<AreaChunk> inside = new ArrayList<>(a.patches.subMap(c.firstPage(), c.firstPage() + c.pageCount())
                    .values());
            inside.forEach(p -> keys.add(p.key()));
            patchesOf.put(c, inside);
        }
        Map<ChunkKey, byte[]> got = new ConcurrentHashMap<>();
        if (here) {
            for (ChunkKey k : keys) {
                got.computeIfAbsent(k, this::readHere);
            }
        } else {
            chunks.readChunks(keys, got::put);
        }
        for (AreaChunk c : cs) {
            byte[] data = AreaChunker.assemble(c, patchesOf.get(c), got, PAGE);
            c.forEachPresentRun((first, n, at) -> {
                ByteBuffer direct = direct(n * PAGE);
                direct.put(data, at * PAGE, n * PAGE).flip();
                long filled = pager.copy(a.area.start() + (c.firstPage() + first) * (long) PAGE, direct);
                if (filled < 0) {
                    throw new IllegalStateException("pid " + pid + " is gone");
                }
                bytesIn.addAndGet(filled); // a page the fault thread and the fill both copied counts once
            });
            synchronized (a.filled) {
                a.filled.set(a.chunkIndex(c.firstPage()));
            }
        }
    }

    private byte[] readHere(ChunkKey k) {
        try {
            return chunks.readChunk(k);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e);
        }
    }

    private static final ThreadLocal<ByteBuffer> DIRECT = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 16));

    /** This thread's direct buffer, cleared, of at least {@code bytes}. */
    private static ByteBuffer direct(int bytes) {
        ByteBuffer b = DIRECT.get();
        if (b.capacity() < bytes) {
            b = ByteBuffer.allocateDirect(bytes);
            DIRECT.set(b);
        }
        return b.clear();
    }

    /** Kills the process (it must not run with memory it cannot get) and records why. */
    private void fail(String why) {
        if (failure.compareAndSet(null, why)) {
            try {
                Syscalls.kill(pid, 9);
            } catch (TraceeException gone) {
                // exited by itself
            }
            resident.countDown();
        }
    }

    /**
     * Waits until every saved page is in (true), the timeout passes (false), or serving failed
     * ({@link #failure} then says why; the process was killed).
     */
    public boolean awaitResident(long timeout, TimeUnit unit) throws InterruptedException {
        return resident.await(timeout, unit);
    }

    public boolean isResident() {
        return resident.getCount() == 0 && failure.get() == null;
    }

    /** Why the process was killed, or null. */
    public String failure() {
        return failure.get();
    }

    /** Kills the process because its memory will not all come in (the restore is being abandoned). */
    public void abandon(String why) {
        fail(why);
    }

    public long bytesIn() {
        return bytesIn.get();
    }

    public long totalBytes() {
        return totalBytes;
    }

    public long faults() {
        return faults.get();
    }

    /**
     * Stops serving and closes the userfaultfd, which unregisters the areas. Call once every
     * page is in (or the process is dead): a page still missing would fault in as zeros.
     */
    @Override
    public void close() {
        stopping = true;
        try {
            if (faultThread != null) {
                faultThread.join(2000); // its poll returns within 50 ms; then the descriptor can go
            }
            if (fillThread != null) {
                fillThread.join(2000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (pager != null) {
            pager.close();
        }
    }
}
