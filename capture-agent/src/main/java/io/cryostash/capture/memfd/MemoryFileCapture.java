// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memfd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.proc.FdInfo;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.FdCapturer;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.MemoryFile;

/**
 * Files that exist only through the process's descriptors: memfds and files deleted while open.
 * Their bytes are read during the freeze (through /proc/PID/fd/N, which opens the same inode)
 * and stored with the image by content; a memfd keeps its name and seals, a deleted file its
 * path and permissions.
 */
public final class MemoryFileCapture implements FdCapturer {
    /** Read into memory during the freeze: a file larger than this is refused rather than stall it. */
    static final long MAX_BYTES = 1L << 30;
    private static final String DELETED = " (deleted)";
    private final FdEntry.Kind kind;

    private MemoryFileCapture(FdEntry.Kind kind) {
        this.kind = kind;
    }

    public static MemoryFileCapture memfds() {
        return new MemoryFileCapture(FdEntry.Kind.MEMFD);
    }

    public static MemoryFileCapture deletedFiles() {
        return new MemoryFileCapture(FdEntry.Kind.DELETED_FILE);
    }

    @Override
    public FdEntry.Kind kind() {
        return kind;
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        String t = info.target();
        String name = t.endsWith(DELETED) ? t.substring(0, t.length() - DELETED.length()) : t;
        if (kind == FdEntry.Kind.MEMFD) {
            name = name.substring("/memfd:".length());
        } else if (!name.startsWith("/") || name.contains("/../") || name.contains("/./")) {
            throw new Unsavable("a deleted file whose path cannot be used again");
        }
        Path proc = Path.of("/proc/" + ctx.pid() + "/fd/" + info.fd());
        try {
            long size = Files.size(proc);
            if (size > MAX_BYTES) {
                throw new Unsavable((kind == FdEntry.Kind.MEMFD ? "a memfd" : "a deleted file") + " of " + size
                        + " bytes, more than the " + MAX_BYTES + " Cryostash reads during a freeze");
            }
            if (!ctx.readState()) {
                return slot;
            }
            int mode = (Integer) Files.getAttribute(proc, "unix:mode") & 07777;
            int seals = 0;
            try (LocalFd f = ctx.reopen(info.fd(), LocalFd.O_RDONLY)) {
                if (kind == FdEntry.Kind.MEMFD) {
                    seals = f.fcntl(LocalFd.F_GET_SEALS, 0);
                }
            }
            ctx.keepContents(info.fd(), Files.readAllBytes(proc));
            return slot.withFile(new MemoryFile(name, mode, seals, null));
        } catch (IOException e) {
            throw new Unsavable("a " + (kind == FdEntry.Kind.MEMFD ? "memfd" : "deleted file")
                    + " that cannot be read (" + e.getMessage() + ")");
        }
    }
}
