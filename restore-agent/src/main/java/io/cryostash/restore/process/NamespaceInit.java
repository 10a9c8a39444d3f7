// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.process;

import java.nio.charset.StandardCharsets;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.Mman;
import io.cryostash.agent.remote.RemoteSyscalls;

/**
 * The init (pid 1) of a fresh PID namespace made for a restore. The kernel kills everything in
 * a namespace when its init ends, and makes init the parent of every orphan there, so it must
 * live exactly as long as anything else in the namespace and reap what ends. No program on the
 * host can be relied on for that; these few instructions, put into a copy of the husk, do it:
 *
 * <pre>
 * loop: wait4(-1, NULL, __WALL, NULL)
 *       if it returned -ECHILD (nothing left): exit_group(0)
 *       else: loop
 * </pre>
 *
 * It runs with every signal blocked (SIGKILL from outside the namespace still ends it, and
 * with it the namespace).
 */
public final class NamespaceInit {
    private static final int ECHILD = 10;
    static final byte[] CODE = {
        (byte) 0xb8, (byte) SyscallNumbers.WAIT4, 0, 0, 0,           // mov eax, wait4
        0x48, (byte) 0xc7, (byte) 0xc7, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, // mov rdi, -1
        0x31, (byte) 0xf6,                                           // xor esi, esi
        (byte) 0xba, 0, 0, 0, 0x40,                                  // mov edx, __WALL
        0x45, 0x31, (byte) 0xd2,                                     // xor r10d, r10d
        0x0f, 0x05,                                                  // syscall
        0x48, (byte) 0x83, (byte) 0xf8, (byte) -ECHILD,              // cmp rax, -ECHILD
        0x74, 0x02,                                                  // je exit
        (byte) 0xeb, (byte) 0xe0,                                    // jmp loop
        (byte) 0xb8, (byte) SyscallNumbers.EXIT_GROUP, 0, 0, 0,      // exit: mov eax, exit_group
        0x31, (byte) 0xff,                                           // xor edi, edi
        0x0f, 0x05,                                                  // syscall
    };

    private static final int PR_SET_NAME = 15;
    private static final int NAME_AT = 256;
    private static final byte[] NAME = "cryostash-init\0".getBytes(StandardCharsets.US_ASCII);

    private NamespaceInit() {
    }

    /**
     * Maps the loop into the stopped task {@code pid} and points it there; it starts running
     * when it is detached.
     */
    public static void install(Ptrace ptrace, RemoteSyscalls remote, ProcessMemory mem, int pid) {
        long code = remote.call("mmap the namespace init's code", SyscallNumbers.MMAP, 0, 4096,
                Mman.PROT_READ | Mman.PROT_EXEC, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        mem.write(code, CODE); // /proc/PID/mem writes ignore the missing write permission
        mem.write(code + NAME_AT, NAME); // so that ps shows what it is, not the sleeper it was copied from
        remote.call("prctl(PR_SET_NAME)", SyscallNumbers.PRCTL, PR_SET_NAME, code + NAME_AT);
        ptrace.setRegs(pid, ptrace.getRegs(pid).withRaxRipOrigRax(0, code, -1));
    }
}
