// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;

/**
 * {@code restore --new-pty}: less, checkpointed from a tmux pane, comes back on a terminal the
 * command makes; its screen appears on the command's output and a key written to the command's
 * input reaches it.
 */
@ExtendWith(Leftovers.class)
class NewPtyCliTest {
    private final String socket = "cryostash-pty-" + ProcessHandle.current().pid() + "-" + System.nanoTime();

    @TempDir
    Path tmp;

    @AfterEach
    void killTmux() {
        Detached.exec("tmux", "-L", socket, "kill-server");
    }

    @Test
    void restoreOnANewPtyRelaysTheProgramsScreenAndKeys() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/tmux")) && Files.isExecutable(Path.of("/usr/bin/less")),
                "needs tmux and less");
        String store = tmp.resolve("store").toString();
        Path text = tmp.resolve("lines.txt");
        Files.writeString(text, IntStream.rangeClosed(1, 2000).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"))
                + "\n");
        tmux("new-session", "-d", "-s", "a", "-x", "80", "-y", "24", "exec less " + text);
        Poll.until(Duration.ofSeconds(20), "less to show the file", () -> tmux("capture-pane", "-p", "-t", "a")
                .contains("line 1"));
        tmux("send-keys", "-t", "a", "500g");
        Poll.until(Duration.ofSeconds(20), "less to jump to line 500", () -> tmux("capture-pane", "-p", "-t", "a")
                .startsWith("line 500"));
        int less = Integer.parseInt(tmux("display-message", "-p", "-t", "a", "#{pane_pid}").trim());
        CliRoundTripTest.Run checkpoint = CliRoundTripTest.cli("checkpoint", Integer.toString(less), "--kill", "--store",
                store);
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        String id = checkpoint.lastLine();

        PipedOutputStream keys = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(keys);
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setIn(in);
        System.setOut(new PrintStream(screen, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            CompletableFuture<Integer> restore = CompletableFuture.supplyAsync(() -> Cryostash.run("restore", id,
                    "--new-pty", "--new-pid", "--store", store));
            Poll.until(Duration.ofSeconds(30), () -> "less's screen on the command's output: " + screen + err,
                    () -> screen.toString(StandardCharsets.ISO_8859_1).contains("line 500"));
            keys.write("q".getBytes(StandardCharsets.US_ASCII));
            keys.flush();

            assertThat(restore.get(30, TimeUnit.SECONDS)).as(err.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("on /dev/pts/");
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
            keys.close();
        }
    }

    private String tmux(String... args) {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "tmux";
        cmd[1] = "-L";
        cmd[2] = socket;
        System.arraycopy(args, 0, cmd, 3, args.length);
        return Detached.exec(cmd);
    }
}
