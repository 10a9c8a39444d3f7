// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;
import io.cryostash.store.image.ImageStore;

/**
 * What descriptors cost: a server (bench/src/main/c/fdserver.c) with N TCP connections from
 * this JVM and D descriptors in all (the rest pipes to itself and eventfds), against the same
 * program with none. Each round checkpoints with --kill (established connections in TCP_REPAIR)
 * and restores it, so the next round captures the restored copy; medians of the rounds. At the
 * end every connection must still carry the server's "ok". Warm in-process loop (one JVM).
 */
public final class DescriptorBench {
    private static final int ROUNDS = 5;

    public static void main(String[] args) throws Exception {
        Path cdir = Path.of(args[0]);
        int conns = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int fds = args.length > 2 ? Integer.parseInt(args[2]) : 10000;
        Path work = Files.createTempDirectory("cryostash-fdbench-");
        Path server = work.resolve("fdserver");
        CheckpointBench.exec("gcc", "-O2", "-o", server.toString(), cdir.resolve("fdserver.c").toString());
        System.out.println("| process | descriptors | freeze (median) | of which descriptors | checkpoint wall | restore wall |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        run(work, server, 0, 0, "none");
        run(work, server, conns, fds, conns + " TCP connections");
        CheckpointBench.deleteTree(work);
    }

    private static void run(Path work, Path server, int conns, int fds, String label) throws Exception {
        Path out = work.resolve("server-" + conns + ".out");
        int pid = CheckpointBench.startDetached(server + " " + out + " " + conns + " " + fds + " >/dev/null");
        int port = Integer.parseInt(awaitLine(out, "").split(" ")[1].trim()); // "port N", or "ready N" without clients
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            clients.add(new Socket(InetAddress.getLoopbackAddress(), port));
        }
        awaitLine(out, "ready");
        int held = Files.list(Path.of("/proc/" + pid + "/fd")).toList().size();
        ImageStore store = ImageStore.local(work.resolve("store-" + conns));
        Capturer capturer = new Capturer(store);
        Restorer restorer = new Restorer(store);
        double[] freeze = new double[ROUNDS];
        double[] files = new double[ROUNDS];
        double[] wall = new double[ROUNDS];
        double[] restore = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            CaptureResult c = capturer.capture(pid, new CaptureOptions(true));
            freeze[r] = c.freezeNanos() / 1e6;
            files[r] = c.phases().of(io.cryostash.capture.FreezePhase.FILES) / 1e6;
            wall[r] = c.totalNanos() / 1e6;
            awaitGone(pid);
            // a new pid: the restored server leads its own session, whose id the next round would need free
            RestoreResult rr = restorer.restore(c.image().id(), new RestoreOptions(false, work, RestoreOptions.PidMode.NEW_PID));
            restore[r] = rr.nanos() / 1e6;
            pid = rr.pid();
        }
        CheckpointBench.exec("kill", "-USR1", Integer.toString(pid));
        byte[] ok = new byte[3];
        for (Socket s : clients) {
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            if (in.readNBytes(ok, 0, 3) != 3 || ok[0] != 'o' || ok[1] != 'k') {
                throw new IllegalStateException("a connection did not survive: " + new String(ok));
            }
            s.close();
        }
        CheckpointBench.exec("kill", "-9", Integer.toString(pid));
        System.out.printf("| %s | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms |%n", label, held, median(freeze),
                median(files), median(wall), median(restore));
        System.out.flush();
        store.close();
    }

    private static String awaitLine(Path out, String prefix) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                String s = Files.readString(out);
                if (!s.isEmpty() && s.startsWith(prefix)) {
                    return s.trim();
                }
            } catch (IOException notYet) {
                // not written yet
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no '" + prefix + "' in " + out);
    }

    /** Until the killed process has exited (a zombie has closed its descriptors already). */
    private static void awaitGone(int pid) throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                if (state == 'Z' || state == 'X') {
                    return;
                }
            } catch (IOException gone) {
                return;
            }
            Thread.sleep(5);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
