// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.store.image.ImageStore;

/**
 * Issue 12, item 14: a dying capturer never harms its target. A `cryostash checkpoint` JVM is
 * killed — SIGKILL, or SIGINT as Ctrl-C sends it — while it runs remote system calls inside the
 * target: the killer watches /proc/PID/syscall and fires when the target stands on the
 * instruction after a {@code syscall} in its vDSO, which is where the single step of an injected
 * call stops it (or, one time in thirteen, as soon as the target is traced: while it is being
 * attached). Each time the target must be let go within seconds, not stopped, with the
 * same signal mask and memory map as before, still counting; at the end it must still have
 * every handler and report PASS. No image may appear from a capture killed during its freeze.
 *
 * <p>The same with a target of four threads, each with a signal mask of its own and its own
 * counter: the kills land while the threads are being seized one by one or while their
 * registers hold an injected call (remote calls run in all threads at once there); each thread
 * must be let go, counting, with its own mask.
 *
 * <p>CI runs {@link #KILLS} SIGKILLs and {@link #INTERRUPTS} SIGINTs per target, then more SIGKILLs
 * until {@link #MIN_IN_WINDOW} have landed inside the remote system calls. A longer run:
 * {@code -Dcryostash.killStorm.kills=300 -Dcryostash.killStorm.interrupts=100}; with
 * {@code -Dcryostash.killStorm.tracer=in-process} the capturing JVM makes its ptrace calls
 * itself (the old way) and the test only reports how many targets were hurt.
 */
@ExtendWith(Leftovers.class)
class CapturerKillStormTest {
    private static final int KILLS = Integer.getInteger("cryostash.killStorm.kills", 10);
    private static final int INTERRUPTS = Integer.getInteger("cryostash.killStorm.interrupts", 5);
    /**
     * Kills that must land inside the remote system calls: the storm goes on (SIGKILLs) until
     * that many did, up to {@link #MAX_SHOTS}. About 6 in 10 land there; a fixed 15 shots with
     * "more than a third" failed one CI run in about twenty with 5.
     */
    private static final int MIN_IN_WINDOW = 6;
    private static final int MAX_SHOTS = 45;
    private static final String TRACER = System.getProperty("cryostash.killStorm.tracer", "process");

    @TempDir
    Path tmp;

    private final Random random = new Random(Long.getLong("cryostash.killStorm.seed", System.nanoTime()));

    /** How one kill went. */
    private record Shot(boolean inWindow, int vdsoSightings, String harm) {
    }

    @Test
    void killingTheCapturerDuringRemoteSystemCallsNeverHarmsTheTarget() throws Exception {
        storm(0);
    }

    @Test
    void killingTheCapturerWhileItFreezesEveryThreadNeverHarmsAnyThread() throws Exception {
        storm(3);
    }

    private void storm(int extraThreads) throws Exception {
        Path fixture = CFixtures.compile("src/test/c/handlers.c", "-pthread");
        Path store = tmp.resolve("store-" + extraThreads);
        List<Shot> shots = new ArrayList<>();
        FixtureProcess target = null;
        Baseline before = null;
        int targets = 0;
        for (int i = 0; i < MAX_SHOTS && (i < KILLS + INTERRUPTS
                || shots.stream().filter(Shot::inWindow).count() < MIN_IN_WINDOW); i++) {
            if (target == null) {
                target = FixtureProcess.of(fixture).args(Integer.toString(extraThreads)).start();
                target.awaitNumberAbove("counter", 0);
                for (int t = 0; t < extraThreads; t++) {
                    target.awaitNumberAbove("counter-" + t, 0);
                }
                assertThat(ProcState.threads(target.pid())).hasSize(1 + extraThreads);
                before = Baseline.of(target.pid(), extraThreads);
                targets++;
            }
            String signal = i < KILLS || i >= KILLS + INTERRUPTS ? "KILL" : "INT";
            Shot shot = shoot(target, store, signal);
            String harm = shot.harm() != null ? shot.harm() : before.harmTo(target);
            shots.add(new Shot(shot.inWindow(), shot.vdsoSightings(), harm));
            if (harm != null) {
                System.err.println("kill " + i + " (SIG" + signal + "): " + harm);
                target.kill();
                target = null;
            }
        }
        String finalCheck = null;
        if (target != null) {
            String result = target.check();
            if (!result.startsWith("PASS")) {
                finalCheck = result;
            }
        }
        long inWindow = shots.stream().filter(Shot::inWindow).count();
        long hurt = shots.stream().filter(s -> s.harm() != null).count() + (finalCheck != null ? 1 : 0);
        System.err.printf("kill storm (%s tracer, %d threads): %d kills (%d SIGKILL, %d SIGINT), %d inside remote system calls,"
                + " %d targets, %d hurt%s%n", TRACER, 1 + extraThreads, shots.size(),
                shots.size() - Math.min(INTERRUPTS, Math.max(0, shots.size() - KILLS)),
                Math.min(INTERRUPTS, Math.max(0, shots.size() - KILLS)), inWindow, targets, hurt,
                finalCheck != null ? " (final check: " + finalCheck + ")" : "");
        try (ImageStore images = ImageStore.local(store)) {
            assertThat(images.list()).as("no image from a capture killed during its freeze").isEmpty();
        }
        if (!"in-process".equals(TRACER)) {
            assertThat(shots).as("kills that harmed the target").allSatisfy(s -> assertThat(s.harm()).isNull());
            assertThat(finalCheck).as("the target's own check at the end").isNull();
            assertThat(inWindow).as("kills that landed inside the remote system calls, of %d", shots.size())
                    .isGreaterThanOrEqualTo(MIN_IN_WINDOW);
        }
    }

    /** Starts a checkpoint, kills it inside the remote-system-call window, and waits for the target to be let go. */
    private Shot shoot(FixtureProcess target, Path store, String signal) throws Exception {
        long[] vdso = vdsoOf(target.pid());
        // a light JVM: two cores are shared by the capture, its helper and this test's aiming loop
        // env --default-signal: a JVM started with SIGINT ignored (as a background job of a script
        // is, and then everything it starts) would never see our Ctrl-C
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT", javaBinary(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path")));
        if ("in-process".equals(TRACER)) {
            cmd.add("-Dcryostash.tracer=in-process");
        }
        cmd.addAll(List.of("io.cryostash.cli.Cryostash", "checkpoint", Integer.toString(target.pid()), "--store",
                store.toString()));
        Path log = tmp.resolve("capture.log");
        Process capture = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // which sighting of an injected call's stop to shoot at; 0: at once, while it attaches
        int wanted = random.nextInt(13);
        int seen = 0;
        boolean inWindow = false;
        long tracer = 0;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && capture.isAlive()) {
                String t = ProcState.statusLine(target.pid(), "TracerPid");
                if (!t.equals("0")) {
                    tracer = Long.parseLong(t);
                    break;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(200_000); // leave the CPU to the starting JVM
            }
            List<Integer> tids = ProcState.threads(target.pid());
            aim:
            while (tracer != 0 && wanted > 0 && capture.isAlive()) {
                for (int tid : tids) { // any thread: remote calls run in every thread at once
                    long pc = stoppedAt(target.pid(), tid);
                    if (pc >= vdso[0] && pc < vdso[1]) {
                        if (++seen >= wanted) {
                            inWindow = true;
                            break aim;
                        }
                    }
                }
                if (ProcState.statusLine(target.pid(), "TracerPid").equals("0")) {
                    break; // the freeze ended before the chosen sighting: shoot late
                }
            }
            signal(signal, capture.pid());
            if (!capture.waitFor(60, TimeUnit.SECONDS)) {
                return new Shot(inWindow, seen, "the capturing JVM did not end after SIG" + signal);
            }
        } finally {
            capture.destroyForcibly();
        }
        long helper = tracer;
        try {
            Poll.until(Duration.ofSeconds(20), "pid " + target.pid() + " to be let go", () -> {
                char s = ProcState.of(target.pid());
                return s == 0 || s == 'Z' || ProcState.statusLine(target.pid(), "TracerPid").equals("0");
            });
        } catch (AssertionError e) {
            return new Shot(inWindow, seen, "still traced 20 s after the kill (state " + target.state() + ")");
        }
        if (helper != 0 && helper != capture.pid()) {
            try {
                Poll.until(Duration.ofSeconds(20), "the tracer helper " + helper + " to exit", () -> {
                    char s = ProcState.of(helper);
                    return s == 0 || s == 'Z';
                });
            } catch (AssertionError e) {
                return new Shot(inWindow, seen, "the tracer helper " + helper + " outlived its work");
            }
        }
        return new Shot(inWindow, seen, null);
    }

    /** What the target looked like before any capture; {@link #harmTo} compares. */
    private record Baseline(java.util.Map<Integer, String> sigBlk, List<String> maps, int extraThreads) {
        static Baseline of(int pid, int extraThreads) {
            java.util.Map<Integer, String> masks = new java.util.TreeMap<>();
            for (int tid : ProcState.threads(pid)) {
                masks.put(tid, threadStatusLine(pid, tid, "SigBlk"));
            }
            return new Baseline(masks, mapsOf(pid), extraThreads);
        }

        /** Why the target is not as it was, or null. */
        String harmTo(FixtureProcess target) {
            int pid = target.pid();
            char s = ProcState.of(pid);
            if (s == 0 || s == 'Z' || s == 'X') {
                return "the target died (" + target.output().trim() + ")";
            }
            Poll.sleep(20);
            s = ProcState.of(pid);
            if (s == 't' || s == 'T') {
                return "the target was left stopped (state " + s + ")";
            }
            if (!ProcState.threads(pid).equals(List.copyOf(sigBlk.keySet()))) {
                return "threads " + ProcState.threads(pid) + " instead of " + sigBlk.keySet();
            }
            for (var e : sigBlk.entrySet()) {
                String state = threadStatusLine(pid, e.getKey(), "State");
                if (state.startsWith("t") || state.startsWith("T")) {
                    return "thread " + e.getKey() + " was left stopped (" + state + ")";
                }
                String blk = threadStatusLine(pid, e.getKey(), "SigBlk");
                if (!blk.equals(e.getValue())) {
                    return "signal mask of thread " + e.getKey() + " " + blk + " instead of " + e.getValue();
                }
            }
            List<String> now = mapsOf(pid);
            if (!now.equals(maps)) {
                List<String> extra = new ArrayList<>(now);
                extra.removeAll(maps);
                return "memory map changed: " + extra;
            }
            for (int t = -1; t < extraThreads; t++) {
                String counter = t < 0 ? "counter" : "counter-" + t;
                long c = target.number(counter);
                try {
                    target.awaitNumberAbove(counter, c);
                } catch (AssertionError e) {
                    return (t < 0 ? "the main thread" : "thread " + t) + " stopped counting (state " + target.state()
                            + ")";
                }
            }
            return null;
        }
    }

    private static String threadStatusLine(int pid, int tid, String key) {
        for (String line : ProcState.read(pid, "task/" + tid + "/status").split("\n")) {
            if (line.startsWith(key + ":")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        throw new AssertionError("no " + key + " in /proc/" + pid + "/task/" + tid + "/status");
    }

    private static List<String> mapsOf(int pid) {
        List<String> out = new ArrayList<>();
        for (String line : ProcState.read(pid, "maps").split("\n")) {
            String[] f = line.trim().split("\\s+", 6);
            out.add(f[0] + " " + f[1] + (f.length > 5 ? " " + f[5] : ""));
        }
        return out;
    }

    private static long[] vdsoOf(int pid) {
        for (String line : ProcState.read(pid, "maps").split("\n")) {
            if (line.endsWith("[vdso]")) {
                String[] r = line.split("\\s+")[0].split("-");
                return new long[] {Long.parseUnsignedLong(r[0], 16), Long.parseUnsignedLong(r[1], 16)};
            }
        }
        throw new AssertionError("pid " + pid + " has no vDSO");
    }

    /** The instruction pointer of a stopped task (from /proc/PID/syscall), or -1 while it runs. */
    private static long stoppedAt(int pid, int tid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/syscall")).trim();
            if (s.startsWith("running")) {
                return -1;
            }
            String[] f = s.split(" ");
            return Long.parseUnsignedLong(f[f.length - 1].substring(2), 16);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** kill(2) straight from this JVM: a kill command would add milliseconds between aim and shot. */
    private static void signal(String name, long pid) {
        Syscalls.kill((int) pid, name.equals("KILL") ? 9 : 2);
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
