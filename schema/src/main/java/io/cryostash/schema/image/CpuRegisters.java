// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

/**
 * x86_64 {@code struct user_regs_struct}, field by field in the kernel's order, so that an
 * image stays readable by a person and by tools.
 */
public record CpuRegisters(
        long r15, long r14, long r13, long r12, long rbp, long rbx, long r11, long r10,
        long r9, long r8, long rax, long rcx, long rdx, long rsi, long rdi, long origRax,
        long rip, long cs, long eflags, long rsp, long ss, long fsBase, long gsBase,
        long ds, long es, long fs, long gs) {

    public static final int COUNT = 27;

    public static CpuRegisters fromArray(long[] v) {
        if (v.length != COUNT) {
            throw new IllegalArgumentException("user_regs_struct has " + COUNT + " registers, got " + v.length);
        }
        return new CpuRegisters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11],
                v[12], v[13], v[14], v[15], v[16], v[17], v[18], v[19], v[20], v[21], v[22], v[23], v[24],
                v[25], v[26]);
    }

    public long[] toArray() {
        return new long[] {r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, origRax,
                rip, cs, eflags, rsp, ss, fsBase, gsBase, ds, es, fs, gs};
    }

    /** Registers prepared for a system call executed by the tracer inside the tracee. */
    public CpuRegisters forSyscall(long syscallInsn, long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
        long[] v = toArray();
        v[10] = nr; // rax
        v[14] = a1; // rdi
        v[13] = a2; // rsi
        v[12] = a3; // rdx
        v[7] = a4;  // r10
        v[9] = a5;  // r8
        v[8] = a6;  // r9
        v[15] = -1; // orig_rax: keep the kernel's syscall-restart logic out of the way
        v[16] = syscallInsn;
        return fromArray(v);
    }

    public CpuRegisters withRaxRipOrigRax(long newRax, long newRip, long newOrigRax) {
        long[] v = toArray();
        v[10] = newRax;
        v[16] = newRip;
        v[15] = newOrigRax;
        return fromArray(v);
    }
}
