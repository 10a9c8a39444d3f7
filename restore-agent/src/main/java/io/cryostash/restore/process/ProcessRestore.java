// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.process;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.Rlimit;

/** umask, resource limits, comm and personality. */
public final class ProcessRestore {
    static final int PR_SET_NAME = 15;

    private ProcessRestore() {
    }

    /** @return warnings about limits that could not be set as they were (raising hard limits needs CAP_SYS_RESOURCE) */
    public static List<String> restore(RemoteSyscalls remote, ProcessMemory mem, ProcessImage image, long scratch) {
        List<String> warnings = new ArrayList<>();
        remote.call("umask", SyscallNumbers.UMASK, image.fs().umask());
        for (Rlimit l : image.rlimits()) {
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(l.soft()).putLong(l.hard());
            mem.write(scratch, b.array());
            long r = remote.raw(SyscallNumbers.PRLIMIT64, 0, l.resource(), scratch, 0);
            if (r < 0) {
                warnings.add("limit " + l.name() + " could not be set to " + l.soft() + "/" + l.hard()
                        + " (errno " + -r + ")");
            }
        }
        mem.writeString(scratch, image.process().comm());
        remote.call("prctl(PR_SET_NAME)", SyscallNumbers.PRCTL, PR_SET_NAME, scratch);
        remote.call("personality", SyscallNumbers.PERSONALITY, image.process().personality());
        return warnings;
    }
}
