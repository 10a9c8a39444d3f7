// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.cryostash.capture.memory.KeptBuffers;
import io.cryostash.cli.Caller;
import io.cryostash.cli.Cryostash;

/**
 * What a daemon does when it starts so that the commands it serves run compiled code: a few
 * rounds of {@code checkpoint --kill} and {@code restore} of {@code cryostash-trainee} (built
 * beside the daemon's jar; N MiB of random and text memory, descriptors 0-2 on /dev/null) into a
 * store of its own that is deleted after, through the same command line a client's request
 * takes. Until it is done the first commands are served as they come, only slower (a fresh
 * daemon's first 64 MiB checkpoint and restore took 1.7 s and 0.9 s, a trained one's 0.47 and
 * 0.16 s). A round that fails ends the training and says why; serving goes on.
 */
final class Training {
    static final int ROUNDS = 8;
    static final int MIB = 32;

    private final Path trainee;
    private final RoutedStreams streams;
    private final KeptBuffers copyBuffers;
    private final int rounds;

    Training(Path trainee, RoutedStreams streams, KeptBuffers copyBuffers, int rounds) {
        this.trainee = trainee;
        this.streams = streams;
        this.copyBuffers = copyBuffers;
        this.rounds = rounds;
    }

    /** The trainee beside the code the daemon runs from, if the build made one. */
    static Optional<Path> traineeBeside(Path code) {
        if (code == null || code.getParent() == null) {
            return Optional.empty();
        }
        Path t = code.getParent().resolve("cryostash-trainee");
        return Files.isExecutable(t) ? Optional.of(t) : Optional.empty();
    }

    /** Runs the rounds; the outcome in a line for the daemon's log. */
    String run() {
        long t0 = System.nanoTime();
        Path dir = null;
        try {
            dir = Files.createTempDirectory("cryostash-daemon-training-");
            for (int i = 0; i < rounds; i++) {
                round(dir, i);
            }
            return String.format("trained on %d checkpoints and restores of %d MiB in %.1f s", rounds, MIB,
                    (System.nanoTime() - t0) / 1e9);
        } catch (IOException | RuntimeException e) {
            return "training stopped (commands are served, only slower at first): " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "training interrupted";
        } finally {
            if (dir != null) {
                deleteTree(dir);
            }
        }
    }

    private void round(Path dir, int i) throws IOException, InterruptedException {
        Path ready = dir.resolve("ready-" + i);
        Path store = dir.resolve("store");
        Process p = new ProcessBuilder(trainee.toString(), Integer.toString(MIB), ready.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int restored = 0;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(ready)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the trainee " + trainee + " did not start");
                }
                Thread.sleep(5);
            }
            String id = command("checkpoint", Long.toString(p.pid()), "--kill", "--store", store.toString());
            p.waitFor(30, TimeUnit.SECONDS);
            restored = Integer.parseInt(command("restore", id, "--store", store.toString(), "--log-dir", dir.toString()));
        } finally {
            p.destroyForcibly();
            if (restored > 0) {
                ProcessHandle.of(restored).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /** Runs a command as a client's would run; its last line of output, or why it failed. */
    private String command(String... args) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (AutoCloseable routed = streams.use(new PrintStream(out, true), new PrintStream(err, true))) {
            status = Cryostash.run(Caller.thisProcess(), copyBuffers, args);
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
        String o = out.toString(StandardCharsets.UTF_8).trim();
        if (status != 0 || o.isEmpty()) {
            throw new IOException(args[0] + " of the trainee failed: " + err.toString(StandardCharsets.UTF_8).trim());
        }
        List<String> lines = o.lines().toList();
        return lines.get(lines.size() - 1).trim();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: the system cleans it
        }
    }
}
