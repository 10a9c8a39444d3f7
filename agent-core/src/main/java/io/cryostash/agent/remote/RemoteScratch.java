// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.remote;

import java.util.List;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.proc.MapsEntry;

/**
 * Memory inside the tracee for the arguments and results of remote system calls. Normally the
 * stack below the stopped thread's red zone ({@code rsp - 128 - SIZE}): the x86-64 ABI lets
 * nothing live there (a signal handler could overwrite it any time), and using it costs two
 * /proc/PID/mem accesses instead of a remote mmap and munmap — about a third of a freeze's
 * remote calls. Its bytes are put back when closed all the same, so the image and the process
 * see the stack as it was. Only the main stack (`[stack]`) is used: below its rsp nothing
 * lives, so even an agent dying before it puts the bytes back leaves nothing broken. A thread
 * running on an alternate signal stack (which may sit inside the heap, next to live data), or
 * a stack too full for the scratch, gets a page mapped for the purpose and unmapped again.
 * Either way the tracer helper is told ({@link RemoteSyscalls#guardMemory}), so that an agent
 * dying with the scratch in use still leaves the process as it was.
 */
public final class RemoteScratch implements AutoCloseable {
    public static final int SIZE = 4096;
    /** The x86-64 red zone: leaf functions may keep data this far below rsp without moving it. */
    static final int RED_ZONE = 128;

    private final RemoteSyscalls remote;
    private final ProcessMemory mem;
    private final long address;
    /** The stack bytes the scratch covers, to put back; null when the scratch was mapped. */
    private final byte[] saved;

    /** A scratch page mapped for the purpose (remote mmap), unmapped when closed. */
    public RemoteScratch(RemoteSyscalls remote, ProcessMemory mem) {
        this.remote = remote;
        this.mem = mem;
        this.address = remote.call("mmap scratch", SyscallNumbers.MMAP, 0, SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        this.saved = null;
        remote.guardMapping(address, SIZE);
    }

    private RemoteScratch(RemoteSyscalls remote, ProcessMemory mem, long address) {
        this.remote = remote;
        this.mem = mem;
        this.address = address;
        this.saved = mem.read(address, SIZE);
        remote.guardMemory(address, saved);
    }

    /**
     * Scratch below the red zone of a thread stopped with stack pointer {@code rsp}, if rsp
     * is in the process's main stack and that mapping also holds the scratch; else a mapped page.
     */
    public static RemoteScratch belowStack(RemoteSyscalls remote, ProcessMemory mem, long rsp, List<MapsEntry> maps) {
        long at = (rsp - RED_ZONE - SIZE) & ~15L;
        for (MapsEntry e : maps) {
            if (e.start() <= rsp - 1 && rsp - 1 < e.end()) {
                if ("[stack]".equals(e.path()) && e.start() <= at && e.perms().startsWith("rw")) {
                    return new RemoteScratch(remote, mem, at);
                }
                break;
            }
        }
        return new RemoteScratch(remote, mem);
    }

    public long address() {
        return address;
    }

    public ProcessMemory memory() {
        return mem;
    }

    @Override
    public void close() {
        if (saved != null) {
            mem.write(address, saved);
        } else {
            remote.call("munmap scratch", SyscallNumbers.MUNMAP, address, SIZE);
        }
        remote.unguard(address);
    }
}
