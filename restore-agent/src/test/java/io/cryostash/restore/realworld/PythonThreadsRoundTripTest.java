// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.realworld;

import static io.cryostash.restore.realworld.AnsweringProgram.field;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreOptions.PidMode;
import io.cryostash.restore.Restorer;
import io.cryostash.store.image.ImageStore;

/**
 * A program nobody here wrote: python3 running six threads that count under a lock (each also
 * counting its own increments and checking its native thread id), one waiting on a condition
 * variable and one in a long Event.wait, with the GIL passed between them. Restored after
 * --kill with its own pid and tids, and beside the running original in a new PID namespace; it
 * keeps answering with consistent counts and joins every thread at the end.
 */
@ExtendWith(Leftovers.class)
class PythonThreadsRoundTripTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String JOB = String.join("\n",
            "import os, sys, threading, time, zlib",
            "out = sys.argv[1]",
            "lock = threading.Lock()",
            "shared = 0",
            "mine = [0] * 6",
            "wrong_tid = []",
            "stop = threading.Event()",
            "cond = threading.Condition()",
            "items = []",
            "data = bytes(range(256)) * 40000",
            "data_sum = zlib.crc32(data)",
            "def worker(i):",
            "    global shared",
            "    tid = threading.get_native_id()",
            "    while not stop.is_set():",
            "        with lock:",
            "            shared += 1",
            "            mine[i] += 1",
            "        if threading.get_native_id() != tid:",
            "            wrong_tid.append(i)",
            "        time.sleep(0.001)",
            "def consumer():",
            "    with cond:",
            "        while not items and not stop.is_set():",
            "            cond.wait()",
            "def sleeper():",
            "    stop.wait(3600)",
            "threads = [threading.Thread(target=worker, args=(i,), name='worker-%d' % i) for i in range(6)]",
            "threads += [threading.Thread(target=consumer, name='consumer'), threading.Thread(target=sleeper)]",
            "for t in threads:",
            "    t.start()",
            "def write(name, text):",
            "    tmp = os.path.join(out, '.' + name + '.tmp')",
            "    with open(tmp, 'w') as f:",
            "        f.write(text)",
            "    os.rename(tmp, os.path.join(out, name))",
            "write('ready', os.readlink('/proc/self'))",
            "while True:",
            "    me = os.readlink('/proc/self')",
            "    for name in os.listdir(out):",
            "        if name.startswith('ask-%s-' % me):",
            "            with lock:",
            "                s, m = shared, sum(mine)",
            "            ok = s == m and zlib.crc32(data) == data_sum and not wrong_tid",
            "            write(name.replace('ask-', 'answer-'), '%s shared=%d threads=%d wrong=%s' % ('OK' if ok else"
                    + " 'BAD', s, threading.active_count(), wrong_tid))",
            "            os.remove(os.path.join(out, name))",
            "    if os.path.exists(os.path.join(out, 'stop-' + me)):",
            "        stop.set()",
            "        with cond:",
            "            cond.notify_all()",
            "        for t in threads:",
            "            t.join(10)",
            "        joined = sum(1 for t in threads if not t.is_alive())",
            "        write('stopped-' + me, '%s joined=%d of %d' % ('OK' if joined == len(threads) else 'BAD', joined,"
                    + " len(threads)))",
            "        sys.exit(0)",
            "    time.sleep(0.01)",
            "");

    @TempDir
    Path tmp;

    @Test
    void pythonThreadsCheckpointedWithKillCarryOnWithTheirOwnIds() throws IOException {
        AnsweringProgram py = start();
        String before = py.ask(WAIT);
        assertThat(before).startsWith("OK").contains("threads=9");
        ImageStore store = ImageStore.local(tmp.resolve("store"));

        CaptureResult cap = new Capturer(store).capture(py.pid(), new CaptureOptions(true));
        assertThat(cap.image().threads()).hasSize(9);
        io.cryostash.agent.testing.Poll.until(WAIT, "python to die", () -> ProcState.of(py.pid()) == 0
                || ProcState.of(py.pid()) == 'Z');
        int pid = new Restorer(store).restore(cap.image().id(), new RestoreOptions(false, tmp)).pid();
        AnsweringProgram restored = py.restoredAs(pid);

        assertThat(pid).isEqualTo(py.pid());
        String first = restored.ask(WAIT);
        String second = restored.ask(WAIT);
        assertThat(first).startsWith("OK").contains("threads=9");
        assertThat(field(second, "shared")).isGreaterThan(field(first, "shared"));
        assertThat(field(first, "shared")).isGreaterThanOrEqualTo(field(before, "shared"));
        assertThat(restored.stop(WAIT)).isEqualTo("OK joined=8 of 8");
    }

    @Test
    void pythonThreadsRestoredBesideTheRunningOriginalInANewPidNamespaceBothCarryOn() throws IOException {
        AnsweringProgram py = start();
        assertThat(py.ask(WAIT)).startsWith("OK");
        ImageStore store = ImageStore.local(tmp.resolve("store"));

        CaptureResult cap = new Capturer(store).capture(py.pid(), new CaptureOptions(false));
        var r = new Restorer(store).restore(cap.image().id(), new RestoreOptions(false, tmp, PidMode.NEW_PID_NAMESPACE));
        AnsweringProgram copy = py.restoredAs(r.pid());

        String a = copy.ask(WAIT);
        assertThat(a).startsWith("OK").contains("threads=9");
        assertThat(field(copy.ask(WAIT), "shared")).isGreaterThan(field(a, "shared"));
        assertThat(py.ask(WAIT)).startsWith("OK");
        assertThat(copy.stop(WAIT)).isEqualTo("OK joined=8 of 8");
        assertThat(py.stop(WAIT)).isEqualTo("OK joined=8 of 8");
    }

    private static AnsweringProgram start() throws IOException {
        Path dir = FixtureProcess.newDir("pythreads");
        Path script = dir.resolve("job.py");
        Files.writeString(script, JOB);
        int pid = Detached.run("cd " + FixtureProcess.quote(dir.toString()) + " && setsid python3 "
                + FixtureProcess.quote(script.toString()) + " " + FixtureProcess.quote(dir.toString())
                + " </dev/null >" + FixtureProcess.quote(dir.resolve("out.log").toString()) + " 2>&1 & echo $!");
        return new AnsweringProgram(dir, pid).awaitReady(WAIT);
    }
}
