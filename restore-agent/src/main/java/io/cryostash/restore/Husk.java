// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.cryostash.agent.proc.ProcStat;

/**
 * The process that becomes the restored one. It is started through a shell that exits at
 * once, so it is not a child of this JVM (whose reaper thread would steal its ptrace stops) and
 * survives the CLI; setsid gives it a session of its own, away from the caller's terminal.
 */
final class Husk {
    private Husk() {
    }

    static int start() {
        String sleep = Files.isExecutable(Path.of("/bin/sleep")) ? "/bin/sleep" : "sleep";
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c",
                "setsid " + sleep + " 1000000000 </dev/null >/dev/null 2>&1 & echo $!");
        pb.redirectErrorStream(true);
        try {
            Process sh = pb.start();
            String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!sh.waitFor(10, TimeUnit.SECONDS) || sh.exitValue() != 0) {
                throw new RestoreException("could not start the husk process: " + out);
            }
            int pid = Integer.parseInt(out);
            awaitSleeping(pid);
            return pid;
        } catch (IOException | NumberFormatException e) {
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
