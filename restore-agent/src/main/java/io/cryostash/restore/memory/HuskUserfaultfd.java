// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.Userfaultfd;
import io.cryostash.agent.linux.UserfaultfdPager;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.MemoryArea;

/**
 * A userfaultfd made inside the husk (by remote calls, while it is stopped and privileged) with
 * areas registered in missing mode, and taken over by this agent: the husk's own descriptor is
 * closed at once, so the agent's is the only one and closing it ends every registration.
 */
final class HuskUserfaultfd {
    private HuskUserfaultfd() {
    }

    /**
     * @param scratch 32 bytes of the husk's memory for the ioctl arguments
     * @param purpose what the descriptor is for, in error messages ("restore --lazy")
     */
    static UserfaultfdPager register(RemoteSyscalls remote, ProcessMemory mem, long scratch,
                                     Collection<MemoryArea> areas, String purpose) {
        long fd = remote.call("userfaultfd", Userfaultfd.SYS_USERFAULTFD, Userfaultfd.O_CLOEXEC | Userfaultfd.O_NONBLOCK);
        try {
            ByteBuffer api = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            api.putLong(Userfaultfd.UFFD_API).putLong(0).putLong(0);
            mem.write(scratch, api.array());
            long r = remote.raw(SyscallNumbers.IOCTL, fd, Userfaultfd.UFFDIO_API, scratch);
            if (r < 0) {
                throw new RestoreException(purpose + ": UFFDIO_API failed in pid " + remote.pid() + " (errno " + -r + ")");
            }
            for (MemoryArea a : areas) {
                ByteBuffer reg = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
                reg.putLong(a.start()).putLong(a.length()).putLong(UserfaultfdPager.REGISTER_MODE_MISSING).putLong(0);
                mem.write(scratch, reg.array());
                r = remote.raw(SyscallNumbers.IOCTL, fd, Userfaultfd.UFFDIO_REGISTER, scratch);
                if (r < 0) {
                    throw new RestoreException(purpose + ": the area " + MemoryRestore.describe(a)
                            + " cannot be registered with userfaultfd (errno " + -r + ")");
                }
            }
            return UserfaultfdPager.takeOver(remote.pid(), (int) fd);
        } finally {
            remote.raw(SyscallNumbers.CLOSE, fd); // from here on only this agent holds it
        }
    }
}
