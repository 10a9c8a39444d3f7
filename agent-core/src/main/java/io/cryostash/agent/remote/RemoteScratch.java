package io.cryostash.agent.remote;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;

/**
 * A few pages mapped inside the tracee for the arguments and results of remote system calls,
 * unmapped again when closed so the process's memory map is left as it was.
 */
public final class RemoteScratch implements AutoCloseable {
    public static final int SIZE = 4 * 4096;

    private final RemoteSyscalls remote;
    private final ProcessMemory mem;
    private final long address;

    public RemoteScratch(RemoteSyscalls remote, ProcessMemory mem) {
        this.remote = remote;
        this.mem = mem;
        this.address = remote.call("mmap scratch", SyscallNumbers.MMAP, 0, SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
    }

    public long address() {
        return address;
    }

    public ProcessMemory memory() {
        return mem;
    }

    @Override
    public void close() {
        remote.call("munmap scratch", SyscallNumbers.MUNMAP, address, SIZE);
    }
}
