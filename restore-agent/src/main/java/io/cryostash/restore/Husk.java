// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.proc.ProcStat;

/**
 * The process that becomes the restored one. The tracer helper starts it ({@link Ptrace#spawn}),
 * so it is not a child of this JVM (whose reaper thread would steal its ptrace stops) and
 * survives the CLI; it gets a session of its own, away from the caller's terminal. Until it is
 * seized, the helper kills it should this JVM die (kill -9 or Ctrl-C in the few milliseconds
 * before the seize): no husk is left sleeping forever.
 */
final class Husk {
    private Husk() {
    }

    /** Starts the husk on the tracer thread and waits until it sleeps. */
    static int start(Ptrace ptrace) {
        String sleep = Files.isExecutable(Path.of("/bin/sleep")) ? "/bin/sleep" : "/usr/bin/sleep";
        try {
            int pid = ptrace.spawn(List.of(sleep, "1000000000"));
            awaitSleeping(pid);
            return pid;
        } catch (TraceeException e) {
            throw new RestoreException("could not start the husk process: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RestoreException("interrupted while starting the husk process", e);
        }
    }

    /** Waits until the husk has exec'd sleep and sits in nanosleep, so its layout is settled. */
    private static void awaitSleeping(int pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                String exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString();
                ProcStat st = ProcStat.read(pid);
                if (exe.endsWith("/sleep") && st.state() == 'S') {
                    return;
                }
            } catch (IOException | RuntimeException notYet) {
                // still being exec'd
            }
            Thread.sleep(1);
        }
        throw new RestoreException("the husk process " + pid + " did not settle within 10 s");
    }
}
