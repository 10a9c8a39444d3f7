// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "demo", description = "Start a sample job, checkpoint it, kill it, restore it, and show it carry on.")
final class DemoCommand implements Callable<Integer> {
    private static final String JOB = String.join("\n",
            "import sys, time",
            "counter = 0",
            "data = {i: i * i for i in range(200000)}",
            "while True:",
            "    counter += 1",
            "    print(counter, sum(data[i] for i in range(0, 200000, 50000)), flush=True)",
            "    time.sleep(0.2)");

    @Mixin
    StoreOption store;

    @Override
    public Integer call() throws Exception {
        try (ImageStore images = store.open()) {
            return run(images);
        }
    }

    private int run(ImageStore images) throws Exception {
        Path work = Files.createTempDirectory("cryostash-demo-");
        Path out = work.resolve("counter.log");
        Path script = work.resolve("job.py");
        Files.writeString(script, JOB);
        int pid = startDetached("python3 " + script + " > " + out + " 2>&1");
        System.out.println("1. started a sample job (python3, a counter and a 200k-entry dict), pid " + pid
                + ", printing to " + out);
        Thread.sleep(1500);
        System.out.println("   it has counted to " + lastCount(out));
        CaptureResult cap = new Capturer(images).capture(pid, new CaptureOptions(true));
        String atCheckpoint = lastCount(out);
        System.out.printf("2. checkpointed it into image %s (%s of memory, frozen %.1f ms) and killed it at %s%n",
                cap.image().id().substring(0, 12), Sizes.human(cap.memoryBytes()), cap.freezeNanos() / 1e6, atCheckpoint);
        Thread.sleep(1000);
        System.out.println("3. the job is gone (pid " + pid + " running: " + running(pid) + "); its counter stays at "
                + lastCount(out));
        RestoreResult r = new Restorer(images).restore(cap.image().id(), RestoreOptions.defaults());
        System.out.printf("4. restored it as pid %d in %.1f ms%n", r.pid(), r.nanos() / 1e6);
        Thread.sleep(1500);
        String after = lastCount(out);
        System.out.println("5. it carries on: counter " + atCheckpoint + " -> " + after);
        new ProcessBuilder("kill", Integer.toString(r.pid())).start().waitFor();
        System.out.println("   (stopped the restored job; its image stays in " + images.location() + ")");
        boolean carriedOn = Integer.parseInt(after) > Integer.parseInt(atCheckpoint);
        return carriedOn ? 0 : 1;
    }

    static int startDetached(String command) throws IOException, InterruptedException {
        Process sh = new ProcessBuilder("/bin/sh", "-c", "setsid " + command + " </dev/null & echo $!").start();
        String pid = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        sh.waitFor();
        return Integer.parseInt(pid);
    }

    /** Killed processes may linger as zombies until reaped; they do not run. */
    private static boolean running(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException gone) {
            return false;
        }
    }

    private static String lastCount(Path out) throws IOException {
        List<String> lines = Files.readAllLines(out);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String l = lines.get(i).trim();
            if (!l.isEmpty()) {
                return l.split(" ")[0];
            }
        }
        return "0";
    }
}
