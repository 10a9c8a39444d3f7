// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/** Batched process_vm_readv, read from this JVM itself. */
class ProcessVmTest {
    private static final int PID = (int) ProcessHandle.current().pid();
    /** Never mapped in a process (below vm.mmap_min_addr). */
    private static final long UNMAPPED = 0x1000;

    @Test
    void readsManyScatteredPiecesAcrossSeveralCalls() {
        int pieces = ProcessVm.MAX_IOVECS * 2 + 17; // three calls
        try (Memory source = new Memory((long) pieces * 16)) {
            long[] at = new long[pieces];
            ByteBuffer[] into = new ByteBuffer[pieces];
            for (int i = 0; i < pieces; i++) {
                source.setLong(i * 16L, i * 31L + 7);
                at[i] = Pointer.nativeValue(source) + i * 16L; // every other 8 bytes: scattered
                into[i] = ByteBuffer.allocateDirect(8);
            }
            ProcessVm.readScattered(PID, at, into);
            for (int i = 0; i < pieces; i++) {
                assertThat(into[i].hasRemaining()).isFalse();
                assertThat(into[i].flip().order(java.nio.ByteOrder.nativeOrder()).getLong()).isEqualTo(i * 31L + 7);
            }
        }
    }

    @Test
    void anUnreadablePieceIsLeftShortAndTheOthersAreRead() {
        try (Memory source = new Memory(64)) {
            source.setLong(0, 11);
            source.setLong(32, 22);
            long base = Pointer.nativeValue(source);
            ByteBuffer a = ByteBuffer.allocateDirect(8);
            ByteBuffer bad = ByteBuffer.allocateDirect(8);
            ByteBuffer b = ByteBuffer.allocateDirect(8);
            ProcessVm.readScattered(PID, new long[] {base, UNMAPPED, base + 32}, new ByteBuffer[] {a, bad, b});
            assertThat(a.hasRemaining()).isFalse();
            assertThat(bad.remaining()).as("the caller reads it some other way, or fails").isEqualTo(8);
            assertThat(b.hasRemaining()).isFalse();
            assertThat(a.flip().order(java.nio.ByteOrder.nativeOrder()).getLong()).isEqualTo(11);
            assertThat(b.flip().order(java.nio.ByteOrder.nativeOrder()).getLong()).isEqualTo(22);
        }
    }
}
