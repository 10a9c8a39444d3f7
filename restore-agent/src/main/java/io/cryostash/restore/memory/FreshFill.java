// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.UserfaultfdPager;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.MemoryArea;

/**
 * Writes the saved pages of a husk's large private anonymous areas with UFFDIO_COPY instead of
 * process_vm_writev. Writing into an empty area makes the kernel fault in a zeroed page and then
 * copy over it; UFFDIO_COPY allocates the page and copies into it, no zeroing, no fault path:
 * 1 GiB into a child took 0.63–0.86 s against 1.0–1.2 s (0.40 against 0.67 s of CPU) on this
 * project's VM. The areas are registered in missing mode with a userfaultfd of the husk's that
 * only this agent holds; {@link #close} ends the registration, so it must come before anything
 * touches the husk's memory (a fault on a page not written would wait on a descriptor nobody
 * reads) — the pages no image holds then fault in as zeros again, as they would have.
 *
 * <p>Areas where the kernel would have given the program huge pages (MADV_HUGEPAGE under the
 * "madvise" policy, any area not refusing them under "always") are left to process_vm_writev,
 * which faults in huge pages, as the program's own first touches did; UFFDIO_COPY fills small
 * ones only. So are areas with less than {@link #MIN_BYTES} saved (registering costs a remote call),
 * and areas of incremental images with patches: a patch is written over its chunk's pages, and
 * UFFDIO_COPY fills a page only once.
 */
final class FreshFill implements AutoCloseable {
    static final long MIN_BYTES = 1 << 20;
    private static final Path THP_POLICY = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    private final UserfaultfdPager pager;
    private final Set<Long> covered;
    private final int pid;

    private FreshFill(int pid, UserfaultfdPager pager, Set<Long> covered) {
        this.pid = pid;
        this.pager = pager;
        this.covered = covered;
    }

    /** Registers the areas worth it among {@code areas} (all mapped and empty); none when none is or userfaultfd fails. */
    static FreshFill open(RemoteSyscalls remote, ProcessMemory mem, long scratch, List<MemoryArea> areas) {
        String policy = thpPolicy();
        List<MemoryArea> worth = areas.stream().filter(a -> eligible(a, policy)).toList();
        if (worth.isEmpty()) {
            return new FreshFill(remote.pid(), null, Set.of());
        }
        try {
            UserfaultfdPager pager = HuskUserfaultfd.register(remote, mem, scratch, worth, "restore");
            Set<Long> starts = new HashSet<>();
            worth.forEach(a -> starts.add(a.start()));
            return new FreshFill(remote.pid(), pager, starts);
        } catch (RestoreException | TraceeException unavailable) {
            // a kernel without userfaultfd, or one refusing an area: the pages go in the usual way
            // (what a failed registration registered ends with the descriptor, which is closed)
            return new FreshFill(remote.pid(), null, Set.of());
        }
    }

    static boolean eligible(MemoryArea a, String thpPolicy) {
        if (a.kind() != MemoryArea.Kind.ANONYMOUS || !a.readable() || a.storedPages() * 4096 < MIN_BYTES
                || !a.content().patches().isEmpty()) { // a patch overwrites pages, which UFFDIO_COPY cannot
            return false;
        }
        boolean hugePages = switch (thpPolicy) {
            case "always" -> !a.has(MemoryArea.Setting.NOHUGEPAGE);
            case "madvise" -> a.has(MemoryArea.Setting.HUGEPAGE);
            default -> false;
        };
        return !hugePages;
    }

    /** The bracketed word of transparent_hugepage/enabled ("always", "madvise", "never"); "always" when unreadable. */
    static String thpPolicy() {
        try {
            String text = Files.readString(THP_POLICY);
            int open = text.indexOf('[');
            int close = text.indexOf(']', open + 1);
            return open >= 0 && close > open ? text.substring(open + 1, close) : "always";
        } catch (IOException | RuntimeException unreadable) {
            return "always"; // the cautious reading: never trade huge pages away
        }
    }

    boolean covers(MemoryArea a) {
        return pager != null && covered.contains(a.start());
    }

    /** Fills whole pages at {@code address} from a direct buffer (not moved). */
    void copy(long address, ByteBuffer direct) {
        if (pager.copy(address, direct) < 0) {
            throw new RestoreException("pid " + pid + " ended while its memory was being written");
        }
    }

    @Override
    public void close() {
        if (pager != null) {
            pager.close();
        }
    }
}
