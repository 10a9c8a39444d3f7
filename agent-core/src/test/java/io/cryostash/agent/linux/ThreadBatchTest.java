// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.ProcFiles;
import io.cryostash.agent.proc.TaskStatus;
import io.cryostash.agent.remote.ParallelSyscalls;
import io.cryostash.agent.remote.RemoteScratch;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;

/**
 * The tracer helper's thread batches tell and do what the same requests made one by one do: a
 * fixture whose threads each have their own alternate signal stack, blocked mask and queued
 * signal is stopped with STOP_THREADS, read with THREAD_STATES and compared with ptrace's
 * answers request by request and with what the fixture says of itself; PARALLEL_SYSCALL's
 * results are each thread's own; TASK_STATUS's texts are what /proc says (a thread that is not
 * there: ENOENT); LET_GO_THREADS detaches them all. The process runs on unharmed afterwards.
 */
@ExtendWith(Leftovers.class)
class ThreadBatchTest {
    private static final long TIMEOUT = 10_000;
    private static final int THREADS = 6;
    private static final int SIGNAL_BASE = 34;

    @Test
    void batchesAgreeWithTheRequestsMadeOneByOneAndWithTheThreadsOwnState() {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("threadstates", "-pthread"))
                .args(Integer.toString(THREADS)).start();
        int pid = target.pid();
        List<long[]> told = new ArrayList<>(); // tid, sigaltstack address, size
        for (String line : target.read("stacks").strip().split("\n")) {
            String[] f = line.split(" ");
            told.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])});
        }
        String sigBlk = ProcState.statusLine(pid, "SigBlk");
        try (Tracer tracer = new Tracer("batch-test")) {
            tracer.call(p -> {
                assertThat(p.batchesThreads()).isTrue();
                List<Integer> tids = new ArrayList<>(ProcFiles.tasks(pid));
                tids.remove(Integer.valueOf(pid));
                tids.add(0, pid);
                List<ThreadBatch.Seized> seized = p.stopThreads(tids, TIMEOUT);
                assertThat(seized).hasSize(THREADS + 1).allSatisfy(s -> {
                    assertThat(s.seizeErrno()).isZero();
                    assertThat(s.interruptErrno()).isZero();
                    assertThat(s.status()).isNotNull();
                    assertThat(s.status().isInterruptStop()).as("thread " + s.tid() + ": " + s.status()).isTrue();
                });
                try (ProcessMemory mem = new ProcessMemory(pid, true)) {
                    long insn = RemoteSyscalls.findSyscallInstruction(pid, Maps.read(pid), mem);
                    RemoteSyscalls remote = new RemoteSyscalls(p, pid, insn);
                    try (RemoteScratch scratch = RemoteScratch.belowStack(remote, mem, p.getRegs(pid).rsp(),
                            Maps.read(pid))) {
                        List<ThreadBatch.Facts> facts = p.threadStates(tids, insn, scratch.address(),
                                RemoteScratch.SIZE, TIMEOUT);
                        for (int i = 0; i < tids.size(); i++) {
                            int tid = tids.get(i);
                            ThreadBatch.Facts f = facts.get(i);
                            assertThat(f.regs()).isEqualTo(p.getRegs(tid));
                            assertThat(f.xstate()).isEqualTo(p.getXstate(tid));
                            assertThat(f.sigmask()).isEqualTo(p.getSigmask(tid));
                            assertThat(f.rseq()).isEqualTo(p.getRseq(tid));
                            assertThat(f.robustHead()).isEqualTo(Syscalls.robustList(tid)[0]).isNotZero();
                            assertThat(f.robustLength()).isEqualTo(Syscalls.robustList(tid)[1]);
                            assertThat(f.pending()).containsExactlyElementsOf(p.peekSigInfo(tid, false));
                            assertThat(f.tidAddress()).isNotZero(); // glibc's &pd->tid
                            if (tid == pid) {
                                assertThat(f.pending()).isEmpty();
                                assertThat(f.altStackFlags()).isEqualTo(2); // SS_DISABLE: none set
                                continue;
                            }
                            long[] own = told.stream().filter(t -> t[0] == tid).findFirst().orElseThrow();
                            int k = told.indexOf(own);
                            assertThat(f.altStackPointer()).isEqualTo(own[1]);
                            assertThat(f.altStackSize()).isEqualTo(own[2]);
                            assertThat(f.altStackFlags()).isZero();
                            assertThat(f.sigmask() & (1L << (SIGNAL_BASE + k - 1))).isNotZero();
                            assertThat(f.pending()).hasSize(1);
                            assertThat(java.nio.ByteBuffer.wrap(f.pending().get(0))
                                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(SIGNAL_BASE + k);
                        }
                        long[] own = ParallelSyscalls.call(p, tids, insn, "gettid", 186, i -> new long[0]);
                        for (int i = 0; i < tids.size(); i++) {
                            assertThat(own[i]).isEqualTo((long) tids.get(i)); // no nested PID namespace here
                        }
                        for (int i = 0; i < tids.size(); i++) {
                            assertThat(p.getSigmask(tids.get(i))).isEqualTo(facts.get(i).sigmask());
                            assertThat(p.getRegs(tids.get(i))).isEqualTo(facts.get(i).regs());
                        }
                    }
                }
                List<Integer> withGone = new ArrayList<>(tids);
                withGone.add(4_194_305); // above any pid_max: no such thread
                List<ThreadBatch.TaskText> texts = p.taskStatus(pid, withGone);
                for (int i = 0; i < tids.size(); i++) {
                    int tid = tids.get(i);
                    ThreadBatch.TaskText t = texts.get(i);
                    assertThat(t.tid()).isEqualTo(tid);
                    assertThat(t.errno()).isZero();
                    assertThat(TaskStatus.name(t.text())).isEqualTo(TaskStatus.comm(pid, tid));
                    assertThat(TaskStatus.parse(tid, t.text()).ownTid()).isEqualTo(tid);
                    assertThat(TaskStatus.parse(tid, t.text()).credentials())
                            .isEqualTo(TaskStatus.read(pid, tid).credentials());
                }
                assertThat(texts.get(tids.size()).errno()).isEqualTo(Errno.ENOENT);
                assertThat(texts.get(tids.size()).text()).isEmpty();
                List<Integer> mainLast = new ArrayList<>(tids);
                java.util.Collections.reverse(mainLast);
                assertThat(p.detachThreads(mainLast, false)).containsOnly(0);
                return null;
            });
        }
        assertThat(ProcState.statusLine(pid, "TracerPid")).isEqualTo("0");
        assertThat(ProcState.statusLine(pid, "SigBlk")).isEqualTo(sigBlk);
        target.signal(FixtureProcess.SIGUSR1);
        assertThat(target.awaitResult()).startsWith("PASS");
    }
}
