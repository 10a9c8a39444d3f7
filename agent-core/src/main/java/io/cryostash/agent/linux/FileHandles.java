// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * open_by_handle_at(2): opens a file from the handle the kernel shows for it (an inotify watch's
 * f_handle in fdinfo), relative to any descriptor on the same file system. Needs
 * CAP_DAC_READ_SEARCH.
 */
public final class FileHandles {
    private static final int SYS_OPEN_BY_HANDLE_AT = 304;
    public static final int O_PATH = 010000000;
    public static final int O_DIRECTORY = 0200000;

    private FileHandles() {
    }

    public static LocalFd open(LocalFd mount, int handleType, byte[] handle) {
        try (Memory h = new Memory(8L + handle.length)) {
            h.setInt(0, handle.length);
            h.setInt(4, handleType);
            h.write(8, handle, 0, handle.length);
            return LocalFd.of((int) (long) LibC.INSTANCE.syscall(SYS_OPEN_BY_HANDLE_AT, (long) mount.fd(), h,
                    (long) (O_PATH | LocalFd.O_CLOEXEC)));
        } catch (LastErrorException e) {
            throw new FdException("open_by_handle_at", e.getErrorCode());
        }
    }
}
