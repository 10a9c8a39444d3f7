// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.capture.FreezePhase;
import io.cryostash.store.image.ImageStore;

/**
 * What the cryostash-tracer helper costs the freeze: the same warm leave-running captures of a
 * process that catches every signal (about 60 remote system calls per capture), with the ptrace
 * calls made by the helper (the default) and by the JVM itself ({@code cryostash.tracer=in-process},
 * the old way), alternating, in one JVM. Prints medians of the freeze and of its register and
 * remote-call phases.
 */
public final class TracerBench {
    public static void main(String[] args) throws Exception {
        Path cdir = Path.of(args[0]);
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        Path work = Files.createTempDirectory("cryostash-tracer-bench-");
        Path target = work.resolve("sigmany");
        CheckpointBench.exec("gcc", "-O2", "-o", target.toString(), cdir.resolve("sigmany.c").toString());
        Path out = work.resolve("sigmany.out");
        int pid = CheckpointBench.startDetached(target + " " + mib + " > " + out);
        CheckpointBench.awaitReady(out);
        String[] modes = {"in-process", "process"};
        double[][] freeze = new double[2][runs];
        double[][] registers = new double[2][runs];
        double[][] remote = new double[2][runs];
        try (ImageStore store = ImageStore.local(work.resolve("store"))) {
            Capturer capturer = new Capturer(store);
            for (String m : modes) { // warm-up: JIT of both paths, page cache
                System.setProperty("cryostash.tracer", m);
                for (int i = 0; i < 3; i++) {
                    capturer.capture(pid, CaptureOptions.leaveRunning());
                }
            }
            for (int r = 0; r < runs; r++) {
                for (int m = 0; m < 2; m++) {
                    System.setProperty("cryostash.tracer", modes[m]);
                    CaptureResult c = capturer.capture(pid, CaptureOptions.leaveRunning());
                    freeze[m][r] = c.freezeNanos() / 1e6;
                    registers[m][r] = c.phases().nanos().getOrDefault(FreezePhase.REGISTERS, 0L) / 1e6;
                    remote[m][r] = c.phases().nanos().getOrDefault(FreezePhase.REMOTE_CALLS, 0L) / 1e6;
                }
            }
        } finally {
            CheckpointBench.exec("kill", "-9", Integer.toString(pid));
        }
        System.out.println("| ptrace calls made by | freeze (median) | registers phase | remote calls phase |");
        System.out.println("| --- | --- | --- | --- |");
        for (int m = 0; m < 2; m++) {
            System.out.printf("| %s | %.2f ms | %.2f ms | %.2f ms |%n", m == 0 ? "the JVM (in-process)"
                    : "the cryostash-tracer helper", median(freeze[m]), median(registers[m]), median(remote[m]));
        }
        CheckpointBench.deleteTree(work);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
