// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.locks;

import java.util.ArrayList;
import java.util.List;

import io.cryostash.agent.proc.FdInfo;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.LockReader;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.fds.FileLock;

/**
 * flock, POSIX and open-file-description locks, from the "lock:" lines fdinfo shows for a
 * descriptor (the format of /proc/locks: {@code 1: POSIX  ADVISORY  WRITE 1234 fe:00:5678 10 29}).
 * POSIX locks belong to a process: only those of the captured one are kept. Leases and
 * delegations are refused: nothing can take them again on the file's other holders' behalf.
 */
public final class LockCapture implements LockReader {
    @Override
    public List<FileLock> locks(FdCaptureContext ctx, FdInfo info) {
        List<FileLock> out = new ArrayList<>();
        for (String line : info.lines("lock:")) {
            String[] w = line.substring("lock:".length()).trim().split("\\s+");
            if (w.length < 8) {
                throw new Unsavable("a lock this agent cannot read: " + line);
            }
            FileLock.Type type = switch (w[1]) {
                case "FLOCK" -> FileLock.Type.FLOCK;
                case "POSIX" -> FileLock.Type.POSIX;
                case "OFDLCK" -> FileLock.Type.OFDLCK;
                default -> throw new Unsavable("a file with a " + w[1] + " (lease or delegation) on it");
            };
            if (type == FileLock.Type.POSIX && !w[4].equals(Integer.toString(ctx.pid()))) {
                continue; // another process's lock on the same file
            }
            boolean write = w[3].equals("WRITE");
            long start = Long.parseLong(w[6]);
            long length = w[7].equals("EOF") ? 0 : Long.parseLong(w[7]) - start + 1;
            out.add(new FileLock(type, write, start, length));
        }
        return out;
    }
}
