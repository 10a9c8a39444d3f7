// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

import javax.tools.ToolProvider;

import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.capture.FreezePhase;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;
import io.cryostash.store.image.ImageStore;

/**
 * Threads: freeze and restore of a process with T threads (default 64) and N MiB (default 256)
 * against the same memory in one thread, in one run, captures alternating between the two
 * targets (leave running; warm JVM; medians); then the JVM round-trip fixture
 * (restore-agent/src/test/jvm/Answerer.java: G1, 512 MiB heap, 160 MiB live), and between the
 * two a tree (a parent with 8 children, 32 MiB each) against one process of the same memory
 * ({@code bench/run threads tree [children] [MiB each] [runs]} runs that one alone). Every
 * restore runs beside the running original in a new PID namespace and is killed afterwards.
 */
public final class ThreadsBench {
    private static final RestoreOptions BESIDE = new RestoreOptions(false, Path.of("/tmp"),
            RestoreOptions.PidMode.NEW_PID_NAMESPACE);

    public static void main(String[] args) throws Exception {
        Path cdir = Path.of(args[0]);
        if (args.length > 1 && args[1].equals("tree")) { // bench/run threads tree [children] [MiB each] [runs]
            Path work = Files.createTempDirectory("cryostash-bench-tree-");
            CheckpointBench.warmUpMemory(work);
            ImageStore store = ImageStore.local(work.resolve("store"));
            tree(cdir, work, store, new Capturer(store), new Restorer(store),
                    args.length > 2 ? Integer.parseInt(args[2]) : 8, args.length > 3 ? Integer.parseInt(args[3]) : 32,
                    args.length > 4 ? Integer.parseInt(args[4]) : 5);
            store.close();
            CheckpointBench.deleteTree(work);
            return;
        }
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 7;
        boolean only = args.length > 4 && args[4].equals("only"); // the two thread targets alone
        Path work = Files.createTempDirectory("cryostash-bench-threads-");
        Path hog = work.resolve("threadhog");
        CheckpointBench.exec("gcc", "-O2", "-pthread", "-o", hog.toString(), cdir.resolve("threadhog.c").toString());
        CheckpointBench.warmUpMemory(work);
        ImageStore store = ImageStore.local(work.resolve("store"));
        Capturer capturer = new Capturer(store);
        Restorer restorer = new Restorer(store);

        int[] counts = {1, threads};
        int[] pids = new int[2];
        for (int i = 0; i < 2; i++) {
            Path out = work.resolve("hog-" + counts[i] + ".out");
            pids[i] = CheckpointBench.startDetached(hog + " " + mib + " " + counts[i] + " > " + out);
            CheckpointBench.awaitReady(out);
            capturer.capture(pids[i], CaptureOptions.leaveRunning()); // warm-up: JIT, page cache
            capturer.capture(pids[i], CaptureOptions.leaveRunning());
        }
        double[][] freeze = new double[2][runs];
        double[][] stop = new double[2][runs];
        double[][] perThread = new double[2][runs];
        double[][] copy = new double[2][runs];
        double[][] restore = new double[2][runs];
        double[][] resume = new double[2][runs];
        double[][] remoteCalls = new double[2][runs];
        for (int r = 0; r < runs; r++) {
            for (int i = 0; i < 2; i++) {
                CaptureResult c = capturer.capture(pids[i], CaptureOptions.leaveRunning());
                resume[i][r] = c.phases().of(FreezePhase.RESUME) / 1e6;
                remoteCalls[i][r] = c.phases().of(FreezePhase.REMOTE_CALLS) / 1e6;
                if (c.image().threads().size() != counts[i]) {
                    throw new IllegalStateException("image has " + c.image().threads().size() + " threads");
                }
                freeze[i][r] = c.freezeNanos() / 1e6;
                stop[i][r] = c.phases().of(FreezePhase.STOP) / 1e6;
                perThread[i][r] = c.phases().of(FreezePhase.REGISTERS) / 1e6;
                copy[i][r] = c.phases().of(FreezePhase.MEMORY_COPY) / 1e6;
                RestoreResult rr = restorer.restore(c.image().id(), BESIDE);
                restore[i][r] = rr.nanos() / 1e6;
                CheckpointBench.exec("kill", "-9", Integer.toString(rr.pid()));
            }
        }
        for (int pid : pids) {
            CheckpointBench.exec("kill", "-9", Integer.toString(pid));
        }
        System.out.printf("%d MiB touched, %d runs, medians (min-max)%n%n", mib, runs);
        System.out.println("| threads | freeze | stop phase | registers phase (per-thread state) | other remote calls"
                + " | memory copy | resume | restore |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        for (int i = 0; i < 2; i++) {
            System.out.printf("| %d | %s | %s | %s | %s | %s | %s | %s |%n", counts[i], stat(freeze[i]), stat(stop[i]),
                    stat(perThread[i]), stat(remoteCalls[i]), stat(copy[i]), stat(resume[i]), stat(restore[i]));
        }
        System.out.flush();
        if (only) {
            store.close();
            CheckpointBench.deleteTree(work);
            return;
        }

        tree(cdir, work, store, capturer, restorer, 8, 32, runs);
        jvm(cdir, work, store, capturer, restorer, runs);
        store.close();
        CheckpointBench.deleteTree(work);
    }

    private static void jvm(Path cdir, Path work, ImageStore store, Capturer capturer, Restorer restorer, int runs)
            throws Exception {
        Path src = cdir.resolve("../../../../restore-agent/src/test/jvm/Answerer.java").normalize();
        Path classes = work.resolve("jvm");
        Files.createDirectories(classes);
        if (ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), src.toString()) != 0) {
            throw new IllegalStateException("javac " + src);
        }
        Path dir = work.resolve("jvm-run");
        Files.createDirectories(dir);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int pid = CheckpointBench.startDetached(java + " -Xms512m -Xmx512m -XX:+UseG1GC -XX:+PerfDisableSharedMem -cp "
                + classes + " Answerer " + dir + " 160 > " + dir.resolve("out.log"));
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!Files.exists(dir.resolve("ready"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the JVM did not get ready");
            }
            Thread.sleep(50);
        }
        Thread.sleep(2000); // let it settle (JIT, first GCs)
        capturer.capture(pid, CaptureOptions.leaveRunning());
        double[] freeze = new double[runs];
        double[] perThread = new double[runs];
        double[] restore = new double[runs];
        long bytes = 0;
        int threadCount = 0;
        for (int r = 0; r < runs; r++) {
            CaptureResult c = capturer.capture(pid, CaptureOptions.leaveRunning());
            freeze[r] = c.freezeNanos() / 1e6;
            perThread[r] = c.phases().of(FreezePhase.REGISTERS) / 1e6;
            bytes = c.memoryBytes();
            threadCount = c.image().threads().size();
            RestoreResult rr = restorer.restore(c.image().id(), BESIDE);
            restore[r] = rr.nanos() / 1e6;
            if (!answers(dir, rr.pid())) {
                throw new IllegalStateException("the restored JVM " + rr.pid() + " does not answer");
            }
            CheckpointBench.exec("kill", "-9", Integer.toString(rr.pid()));
        }
        CheckpointBench.exec("kill", "-9", Integer.toString(pid));
        System.out.printf("%n| JVM | threads | memory read while frozen | freeze | registers phase | restore |%n");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        System.out.printf("| 512 MiB heap, 160 MiB live | %d | %.0f MiB | %s | %s | %s |%n", threadCount, bytes / 1048576.0,
                stat(freeze), stat(perThread), stat(restore));
    }

    /**
     * A tree (a parent and {@code children} children, {@code mib} MiB each: treehog.c) captured
     * with {@code --tree}, against one process holding the same memory, alternately in one run;
     * every restore (a tree: husks forked by their parents' husks) beside the running originals
     * in a new PID namespace, killed with its namespace afterwards.
     */
    private static void tree(Path cdir, Path work, ImageStore store, Capturer capturer, Restorer restorer,
                             int children, int mib, int runs) throws Exception {
        Path hog = work.resolve("treehog");
        CheckpointBench.exec("gcc", "-O2", "-o", hog.toString(), cdir.resolve("treehog.c").toString());
        int total = mib * (children + 1);
        String[] labels = {"1 process, " + total + " MiB", (children + 1) + " processes (1 + " + children + " children), "
                + mib + " MiB each"};
        int[] pids = new int[2];
        String[] commands = {hog + " " + total + " 0", hog + " " + mib + " " + children};
        for (int i = 0; i < 2; i++) {
            Path out = work.resolve("treehog-" + i + ".out");
            pids[i] = CheckpointBench.startDetached(commands[i] + " > " + out);
            CheckpointBench.awaitReady(out);
            captureTree(capturer, pids[i], i == 1); // warm-up: JIT, page cache
        }
        double[][] freeze = new double[2][runs];
        double[][] captureTotal = new double[2][runs];
        double[][] restore = new double[2][runs];
        long[] bytes = new long[2];
        for (int r = 0; r < runs; r++) {
            for (int i = 0; i < 2; i++) {
                CaptureResult c = captureTree(capturer, pids[i], i == 1);
                int members = c.image().hasTree() ? c.image().tree().members().size() : 0;
                if (members != (i == 1 ? children : 0)) {
                    throw new IllegalStateException("image has " + members + " descendants");
                }
                freeze[i][r] = c.freezeNanos() / 1e6;
                captureTotal[i][r] = c.totalNanos() / 1e6;
                bytes[i] = c.memoryBytes();
                RestoreResult rr = restorer.restore(c.image().id(), BESIDE);
                restore[i][r] = rr.nanos() / 1e6;
                if (i == 1 && io.cryostash.capture.tree.Descendants.of(rr.pid()).size() != children) {
                    throw new IllegalStateException("the restored tree " + rr.pid() + " lacks children");
                }
                // the namespace's init (the root's parent): killing it ends everything in the namespace
                CheckpointBench.exec("kill", "-9", Integer.toString(io.cryostash.agent.proc.ProcStat.read(rr.pid()).ppid()));
            }
        }
        for (int pid : pids) {
            for (var d : io.cryostash.capture.tree.Descendants.of(pid)) {
                CheckpointBench.exec("kill", "-9", Integer.toString(d.pid()));
            }
            CheckpointBench.exec("kill", "-9", Integer.toString(pid));
        }
        System.out.printf("%n| tree | memory read while frozen | freeze | capture total | restore |%n");
        System.out.println("| --- | --- | --- | --- | --- |");
        for (int i = 0; i < 2; i++) {
            System.out.printf("| %s | %.0f MiB | %s | %s | %s |%n", labels[i], bytes[i] / 1048576.0, stat(freeze[i]),
                    stat(captureTotal[i]), stat(restore[i]));
        }
        System.out.flush();
    }

    private static CaptureResult captureTree(Capturer capturer, int pid, boolean tree) {
        return tree ? capturer.captureTree(pid, CaptureOptions.leaveRunning()) : capturer.capture(pid, CaptureOptions.leaveRunning());
    }

    /** Asks the restored copy once (see Answerer): it must answer OK within a minute. */
    private static boolean answers(Path dir, int pid) throws Exception {
        String name = pid + "-bench";
        Path tmp = dir.resolve(".ask.tmp");
        Files.writeString(tmp, "?");
        Files.move(tmp, dir.resolve("ask-" + name), StandardCopyOption.ATOMIC_MOVE);
        Path answer = dir.resolve("answer-" + name);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(answer) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return Files.exists(answer) && Files.readString(answer).startsWith("OK");
    }

    private static String stat(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format("%.1f ms (%.1f-%.1f)", s[s.length / 2], s[0], s[s.length - 1]);
    }

    private ThreadsBench() {
    }
}
