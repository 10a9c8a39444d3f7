// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.remote.RemoteScratch;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.schema.image.CpuRegisters;

/**
 * The cryostash-tracer helper puts a capture's target back when its agent goes away, whatever
 * the agent left in it: injected registers, a blocked signal mask, a single step in flight, a
 * scratch mapping, borrowed stack bytes, a TCP connection in repair mode. Closing the {@link Tracer} without detaching closes the
 * helper's pipe exactly as the death of the JVM does, so each case runs in this JVM.
 */
@ExtendWith(Leftovers.class)
class TracerReleaseTest {
    private static final long TIMEOUT = 5_000;

    private static FixtureProcess counter() {
        FixtureProcess p = FixtureProcess.of(CFixtures.shared("counter")).start();
        p.awaitNumberAbove("counter", 0);
        return p;
    }

    private static void stop(Ptrace p, int pid) {
        p.seize(pid, 0);
        p.interrupt(pid);
        for (int i = 0; i < 64; i++) {
            WaitStatus st = p.waitFor(pid, TIMEOUT);
            if (st.isInterruptStop()) {
                return;
            }
            p.cont(pid, st.event() == 0 ? st.stopSignal() : 0);
        }
        throw new AssertionError("no interrupt stop");
    }

    private static void assertLetGoUnharmed(FixtureProcess target, String sigBlk, List<String> maps) {
        Poll.until(Duration.ofSeconds(10), "pid " + target.pid() + " to be let go", () ->
                ProcState.statusLine(target.pid(), "TracerPid").equals("0"));
        assertThat(target.state()).isNotIn('t', 'T', 'Z', (char) 0);
        assertThat(ProcState.statusLine(target.pid(), "SigBlk")).isEqualTo(sigBlk);
        assertThat(mapLines(target.pid())).isEqualTo(maps);
        target.awaitNumberAbove("counter", target.number("counter"));
        assertThat(target.check()).startsWith("PASS");
    }

    private static List<String> mapLines(int pid) {
        return Maps.read(pid).stream().map(e -> Long.toHexString(e.start()) + "-" + Long.toHexString(e.end()) + " "
                + e.perms() + " " + e.path()).toList();
    }

    @Test
    void injectedRegistersAndAnAllBlockedMaskArePutBack() {
        FixtureProcess target = counter();
        int pid = target.pid();
        String sigBlk = ProcState.statusLine(pid, "SigBlk");
        List<String> maps = mapLines(pid);
        Tracer tracer = new Tracer("release-test");
        tracer.call(p -> {
            stop(p, pid);
            CpuRegisters regs = p.getRegs(pid);
            p.setRegs(pid, regs.forSyscall(0x10, 39, 0, 0, 0, 0, 0, 0)); // rip at an unmapped address
            p.setSigmask(pid, -1L);
            return null;
        });
        tracer.close(); // as if the JVM died here
        assertLetGoUnharmed(target, sigBlk, maps);
    }

    @Test
    void aSingleStepInFlightEndsWithoutItsSigtrap() {
        FixtureProcess target = counter();
        int pid = target.pid();
        String sigBlk = ProcState.statusLine(pid, "SigBlk");
        List<String> maps = mapLines(pid);
        Tracer tracer = new Tracer("release-test");
        tracer.call(p -> {
            stop(p, pid);
            p.setSigmask(pid, -1L);
            p.singleStep(pid); // and nobody waits for its stop
            return null;
        });
        tracer.close();
        assertLetGoUnharmed(target, sigBlk, maps);
    }

    @Test
    void aScratchMappingAndBorrowedStackBytesArePutBack() {
        FixtureProcess target = counter();
        int pid = target.pid();
        String sigBlk = ProcState.statusLine(pid, "SigBlk");
        List<String> maps = mapLines(pid);
        Tracer tracer = new Tracer("release-test");
        long[] mapped = {0};
        long[] borrowedAt = {0};
        byte[][] original = {null};
        tracer.call(p -> {
            stop(p, pid);
            List<MapsEntry> m = Maps.read(pid);
            try (ProcessMemory mem = new ProcessMemory(pid, true)) {
                RemoteSyscalls remote = new RemoteSyscalls(p, pid, RemoteSyscalls.findSyscallInstruction(pid, m, mem));
                RemoteScratch page = new RemoteScratch(remote, mem); // a mapping, never closed
                mapped[0] = page.address();
                RemoteScratch stack = RemoteScratch.belowStack(remote, mem, p.getRegs(pid).rsp(), m);
                mem.write(stack.address(), new byte[RemoteScratch.SIZE]); // borrowed, never given back
                // and memory deep in the stack, where the counter's shallow calls never reach once
                // it runs again, so that what the helper wrote back can still be seen then
                borrowedAt[0] = (p.getRegs(pid).rsp() - 48 * 1024) & ~4095L;
                original[0] = mem.read(borrowedAt[0], 64);
                remote.guardMemory(borrowedAt[0], original[0]);
                byte[] junk = new byte[64];
                java.util.Arrays.fill(junk, (byte) 0x5a);
                mem.write(borrowedAt[0], junk);
            }
            return null;
        });
        assertThat(mapLines(pid)).as("the scratch page is mapped while the agent lives (maybe merged)").isNotEqualTo(maps);
        tracer.close();
        try (ProcessMemory mem = new ProcessMemory(pid, false)) {
            assertThat(mem.read(borrowedAt[0], 64)).as("the borrowed stack bytes").isEqualTo(original[0]);
        }
        assertLetGoUnharmed(target, sigBlk, maps);
        assertThat(mapped[0]).isNotZero();
    }

    /**
     * A TCP connection the agent put into repair mode (to read it, or just before a --kill) is
     * taken out of it again by the helper: left in repair mode it would send nothing and never
     * close, and the program would run on with a dead connection.
     */
    @Test
    void aTcpConnectionLeftInRepairModeIsTakenOutOfIt() throws Exception {
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).prefix("bash", "-c",
                    "exec 3<>/dev/tcp/127.0.0.1/" + server.getLocalPort() + " && exec \"$0\" \"$@\"").start();
            target.awaitNumberAbove("counter", 0);
            int pid = target.pid();
            String sigBlk = ProcState.statusLine(pid, "SigBlk");
            List<String> maps = mapLines(pid);
            try (java.net.Socket peer = server.accept()) {
                Tracer tracer = new Tracer("release-test");
                tracer.call(p -> {
                    stop(p, pid);
                    p.guardRepair(pid, 3);
                    try (Pidfd pidfd = new Pidfd(pid); LocalFd s = pidfd.take(3)) {
                        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR, 1);
                    }
                    return null;
                });
                assertThat(repairMode(pid, 3)).as("repair mode while the agent lives").isEqualTo(1);
                tracer.close(); // as if the JVM died here
                Poll.until(Duration.ofSeconds(10), "pid " + pid + " to be let go", () ->
                        ProcState.statusLine(pid, "TracerPid").equals("0"));
                assertThat(repairMode(pid, 3)).as("repair mode after the agent went away").isZero();
                assertLetGoUnharmed(target, sigBlk, maps);
            }
        }
    }

    private static int repairMode(int pid, int fd) {
        try (Pidfd pidfd = new Pidfd(pid); LocalFd s = pidfd.take(fd)) {
            return s.getsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR);
        }
    }

    @Test
    void aSpawnedProcessNotYetSeizedDiesWithTheHelperAndInheritsNoneOfItsSettings() throws Exception {
        Tracer tracer = new Tracer("release-test");
        int pid = tracer.call(p -> p.spawn(List.of("/bin/sleep", "1000")));
        Leftovers.track(pid);
        Poll.until(Duration.ofSeconds(10), "the sleeper to exec", () -> ProcState.read(pid, "cmdline").startsWith("/bin/sleep"));
        assertThat(ProcState.read(pid, "oom_score_adj").trim()).as("not the helper's -1000").isEqualTo("0");
        assertThat(ProcState.statusLine(pid, "SigIgn")).isEqualTo("0000000000000000");
        assertThat(ProcState.read(pid, "stat").split("\\) ")[1].split(" ")[3]).as("its own session").isEqualTo(
                Integer.toString(pid));
        tracer.close(); // as if the agent died before seizing it
        Poll.until(Duration.ofSeconds(10), "the unseized sleeper to die", () -> {
            char st = ProcState.of(pid);
            return st == 0 || st == 'Z';
        });
    }

    @Test
    void aProcessSeizedWithExitKillDiesWithTheHelper() {
        FixtureProcess target = counter();
        int pid = target.pid();
        Tracer tracer = new Tracer("release-test");
        tracer.call(p -> {
            p.seize(pid, Ptrace.PTRACE_O_EXITKILL);
            p.interrupt(pid);
            return p.waitFor(pid, TIMEOUT);
        });
        tracer.close();
        target.awaitGone();
    }
}
