// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/** userfaultfd(2) constants and the probe for asynchronous write-protect (Linux 6.7+). */
public final class Userfaultfd {
    public static final int SYS_USERFAULTFD = 323;
    public static final long UFFD_API = 0xAA;
    public static final long FEATURE_WP_UNPOPULATED = 1L << 13;
    public static final long FEATURE_WP_ASYNC = 1L << 15;
    public static final long UFFDIO_API = 0xC018AA3FL;
    public static final long UFFDIO_REGISTER = 0xC020AA00L;
    public static final long REGISTER_MODE_WP = 1L << 1;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_NONBLOCK = 04000;

    private Userfaultfd() {
    }

    /** Whether this kernel offers userfaultfd write-protect in async mode (tried on this JVM itself). */
    public static boolean asyncWriteProtectSupported() {
        int fd;
        try {
            fd = (int) LibC.INSTANCE.syscall(SYS_USERFAULTFD, O_CLOEXEC | O_NONBLOCK);
        } catch (LastErrorException e) {
            return false;
        }
        try (Memory api = new Memory(24)) {
            api.clear();
            api.setLong(0, UFFD_API);
            api.setLong(8, FEATURE_WP_ASYNC | FEATURE_WP_UNPOPULATED);
            LibC.INSTANCE.ioctl(fd, UFFDIO_API, api);
            return (api.getLong(8) & FEATURE_WP_ASYNC) != 0;
        } catch (LastErrorException e) {
            return false;
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }
}
