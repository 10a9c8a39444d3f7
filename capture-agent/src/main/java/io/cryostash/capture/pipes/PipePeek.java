// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.pipes;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.capture.CaptureException;

/** The bytes queued in a pipe, copied with tee(2) so that the pipe keeps them. */
final class PipePeek {
    private PipePeek() {
    }

    /** @param pipe a read descriptor of the pipe (the agent's own, opened through /proc) */
    static byte[] queued(LocalFd pipe, int capacity) {
        int available = pipe.available();
        if (available == 0) {
            return new byte[0];
        }
        LocalFd[] copy = LocalFd.pipe(LocalFd.O_NONBLOCK);
        try {
            // as many buffer slots as the source: tee copies buffers, not bytes
            copy[1].fcntl(LocalFd.F_SETPIPE_SZ, capacity);
            long n = pipe.teeTo(copy[1], available, LocalFd.SPLICE_F_NONBLOCK);
            if (n != available) {
                throw new CaptureException("copying the " + available + " bytes queued in a pipe got " + n);
            }
            byte[] out = new byte[available];
            int off = 0;
            byte[] buf = new byte[Math.min(available, 1 << 16)];
            while (off < available) {
                int r = copy[0].read(buf, Math.min(buf.length, available - off));
                if (r <= 0) {
                    throw new CaptureException("reading back the bytes queued in a pipe stopped at " + off);
                }
                System.arraycopy(buf, 0, out, off, r);
                off += r;
            }
            return out;
        } finally {
            copy[0].close();
            copy[1].close();
        }
    }
}
