// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.pipes;

import java.util.Set;
import java.util.stream.Collectors;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.proc.FdInfo;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.FdCapturer;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.PipeFile;

/**
 * Pipes and FIFOs whose every end is in the image. The bytes in flight are copied without being
 * consumed: the agent opens the pipe anew through /proc/PID/fd/N and tee(2)s its buffers into a
 * pipe of its own, which it reads; the process's pipe keeps them all. A pipe another process
 * also holds (the other end of {@code prog | cat}) cannot come back as it was: refused, except on
 * a standard stream, which restore redirects (see {@code DescriptorCapture}).
 */
public final class PipeCapture implements FdCapturer {
    private static final int O_ACCMODE = 3;
    private final FdEntry.Kind kind;

    private PipeCapture(FdEntry.Kind kind) {
        this.kind = kind;
    }

    public static PipeCapture pipes() {
        return new PipeCapture(FdEntry.Kind.PIPE);
    }

    public static PipeCapture fifos() {
        return new PipeCapture(FdEntry.Kind.FIFO);
    }

    @Override
    public FdEntry.Kind kind() {
        return kind;
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        Set<Integer> others = ctx.holdersElsewhere(info.target());
        if (!others.isEmpty()) {
            throw new Unsavable("a " + (kind == FdEntry.Kind.FIFO ? "FIFO" : "pipe") + " shared with "
                    + others.stream().map(FdCaptureContext::describe).collect(Collectors.joining(", "))
                    + ", outside the image", true);
        }
        int mode = info.flags() & O_ACCMODE;
        if (!ctx.readState()) {
            return slot;
        }
        boolean first = ctx.withTarget(info.target()).get(0).fd() == info.fd();
        try (LocalFd pipe = ctx.reopen(info.fd(), LocalFd.O_RDONLY | LocalFd.O_NONBLOCK)) {
            int capacity = pipe.fcntl(LocalFd.F_GETPIPE_SZ, 0);
            byte[] queued = first ? PipePeek.queued(pipe, capacity) : null;
            return slot.withFile(new PipeFile(info.ino(), mode != LocalFd.O_WRONLY, capacity, queued));
        }
    }
}
