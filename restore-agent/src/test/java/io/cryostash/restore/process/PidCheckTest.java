// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.process;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ProcessInfo;
import io.cryostash.schema.image.ProcessTimers;
import io.cryostash.schema.image.ThreadState;

/** The pid checks against this host's own kernel.pid_max and process table. */
class PidCheckTest {
    private static ProcessImage imageWithThreads(int... tids) {
        List<ThreadState> threads = java.util.Arrays.stream(tids).mapToObj(t -> new ThreadState(t,
                CpuRegisters.fromArray(new long[CpuRegisters.COUNT]), new byte[0], 0, null, null, 0, 0, 0, "t",
                List.of(), false)).toList();
        return new ProcessImage(ProcessImage.FORMAT_VERSION, "img", null, null, Instant.now(), null,
                new ProcessInfo(tids[0], 1, tids[0], tids[0], "t", List.of(), "/bin/t", 0), null, null, List.of(),
                threads, List.of(), null, List.of(), List.of(), List.of(), ProcessTimers.NONE, List.of(), null, null);
    }

    @Test
    void idsAboveThisHostsPidMaxAreRefusedSayingHowToRaiseIt() {
        // 4194303 is the largest pid any kernel allows; pid_max here is lower unless raised to the limit
        org.junit.jupiter.api.Assumptions.assumeTrue(pidMax() <= 4_194_303, "pid_max is at its limit here");
        assertThatThrownBy(() -> PidCheck.requireWithinPidMax(imageWithThreads(4_194_303)))
                .isInstanceOf(RestoreException.class).hasMessageContaining("pid 4194303 of image img")
                .hasMessageContaining("kernel.pid_max (" + pidMax() + ")").hasMessageContaining("--new-pid");
        assertThatThrownBy(() -> PidCheck.requireWithinPidMax(imageWithThreads(300, 4_194_303)))
                .isInstanceOf(RestoreException.class).hasMessageContaining("thread id 4194303");
        assertThatCode(() -> PidCheck.requireWithinPidMax(imageWithThreads(300, 301))).doesNotThrowAnyException();
    }

    @Test
    void anIdInUseIsRefusedNamingItsHolder() {
        int self = (int) ProcessHandle.current().pid();
        assertThatThrownBy(() -> PidCheck.requireFree(imageWithThreads(self)))
                .isInstanceOf(RestoreException.class).hasMessageContaining("pid " + self + " of image img is taken")
                .hasMessageContaining("process " + self + " (java)").hasMessageContaining("--new-pid-namespace")
                .hasMessageContaining("or with --new-pid to give it any free pid");
    }

    @Test
    void aTreeZombiesPidInUseIsRefusedNamingItAndTheNamespaceOption() {
        int self = (int) ProcessHandle.current().pid();
        int free = freePid();
        ProcessImage tree = imageWithThreads(free).withTree(new io.cryostash.schema.image.ProcessTree(List.of(
                new io.cryostash.schema.image.TreeMember(self, free, free, free, 7 << 8, null, null, null))));
        assertThatThrownBy(() -> PidCheck.requireFreeTree(tree))
                .isInstanceOf(RestoreException.class)
                .hasMessageContaining("pid " + self + " (a zombie of the tree, child of " + free + ") of image img is taken")
                .hasMessageContaining("process " + self + " (java)").hasMessageContaining("--new-pid-namespace")
                .hasMessageContaining("--new-pid cannot restore a tree");
        ProcessImage freeTree = imageWithThreads(free).withTree(new io.cryostash.schema.image.ProcessTree(List.of(
                new io.cryostash.schema.image.TreeMember(free + 1, free, free, free, 0, null, null, null))));
        org.junit.jupiter.api.Assumptions.assumeFalse(java.nio.file.Files.exists(java.nio.file.Path.of("/proc/" + (free + 1))));
        assertThatCode(() -> PidCheck.requireFreeTree(freeTree)).doesNotThrowAnyException();
    }

    /** A pid no task has right now (below pid_max). */
    private static int freePid() {
        for (int p = 300_000; p < pidMax() - 2; p += 7) {
            if (!java.nio.file.Files.exists(java.nio.file.Path.of("/proc/" + p))
                    && !java.nio.file.Files.exists(java.nio.file.Path.of("/proc/" + (p + 1)))) {
                return p;
            }
        }
        return 40_000;
    }

    private static long pidMax() {
        try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of("/proc/sys/kernel/pid_max"))) {
            return Long.parseLong(new String(in.readNBytes(64)).trim());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
