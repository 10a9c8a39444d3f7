// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;

/** The commands end to end, in process, on a real counter fixture. */
@ExtendWith(Leftovers.class)
class CliRoundTripTest {
    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {
        String lastLine() {
            List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1).trim();
        }
    }

    static synchronized Run cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Cryostash.run(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void checkpointImagesInspectAndRestoreWorkTogether() throws Exception {
        String store = tmp.resolve("store").toString();
        FixtureProcess counter = FixtureProcess.of(CFixtures.shared("counter")).start();
        long before = counter.awaitNumberAbove("counter", 0);

        Run checkpoint = cli("checkpoint", Integer.toString(counter.pid()), "--kill", "--store", store);
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        String id = checkpoint.lastLine();
        assertThat(id).matches("[A-Za-z0-9._-]{8,128}");
        counter.awaitGone();
        long atCheckpoint = counter.number("counter");
        assertThat(atCheckpoint).isGreaterThanOrEqualTo(before);

        Run images = cli("images", "--store", store);
        assertThat(images.exit()).isZero();
        assertThat(images.out()).contains(id).contains("counter");

        Run inspect = cli("inspect", id, "--json", "--store", store);
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(inspect.out());
        assertThat(json.path("id").asText()).isEqualTo(id);
        assertThat(json.path("process").path("pid").asInt()).isEqualTo(counter.pid());
        assertThat(json.path("areas").size()).isPositive();

        Run human = cli("inspect", id, "--store", store);
        assertThat(human.exit()).isZero();
        assertThat(human.out()).contains("counter");

        Run restore = cli("restore", id, "--store", store, "--log-dir", tmp.resolve("logs").toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        int pid = Integer.parseInt(restore.lastLine());
        FixtureProcess restored = counter.restoredAs(pid);
        assertThat(restored.runningFreely()).isTrue();
        restored.awaitNumberAbove("counter", atCheckpoint);
        assertThat(restored.check()).startsWith("PASS ");
        long finalCount = Long.parseLong(restored.awaitResult().substring(5));
        assertThat(finalCount).isGreaterThan(atCheckpoint);
    }

    @Test
    void checkpointWithoutKillLeavesTheProcessRunning() {
        String store = tmp.resolve("store").toString();
        FixtureProcess counter = FixtureProcess.of(CFixtures.shared("counter")).start();

        Run checkpoint = cli("checkpoint", Integer.toString(counter.pid()), "--store", store);

        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        assertThat(counter.runningFreely()).isTrue();
        counter.awaitNumberAbove("counter", counter.awaitNumberAbove("counter", 0));
    }

    @Test
    void onePageChunksRoundTrip() {
        String store = tmp.resolve("store").toString();
        FixtureProcess counter = FixtureProcess.of(CFixtures.shared("counter")).start();
        counter.awaitNumberAbove("counter", 0);

        Run bad = cli("checkpoint", Integer.toString(counter.pid()), "--chunk-pages", "65", "--store", store);
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("--chunk-pages must be 1..64");
        Run checkpoint = cli("checkpoint", Integer.toString(counter.pid()), "--chunk-pages", "1", "--kill", "--store", store);
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        counter.awaitGone();
        long atCheckpoint = counter.number("counter");

        Run restore = cli("restore", checkpoint.lastLine(), "--store", store, "--log-dir", tmp.toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        FixtureProcess restored = counter.restoredAs(Integer.parseInt(restore.lastLine()));
        restored.awaitNumberAbove("counter", atCheckpoint);
        assertThat(restored.check()).startsWith("PASS ");
    }

    @Test
    void failuresExitNonZeroWithAMessageOnStderr() {
        String store = tmp.resolve("store").toString();

        Run noPid = cli("checkpoint", "2", "--store", store);
        assertThat(noPid.exit()).isNotZero();
        assertThat(noPid.err()).startsWith("cryostash: ").contains("kernel thread");
        assertThat(noPid.out()).isEmpty();

        Run noImage = cli("restore", "20260101-000000-00000000", "--store", store);
        assertThat(noImage.exit()).isNotZero();
        assertThat(noImage.err()).contains("20260101-000000-00000000");

        Run noInspect = cli("inspect", "nope", "--store", store);
        assertThat(noInspect.exit()).isNotZero();

        assertThat(cli("images", "--store", store).out().lines().count()).isEqualTo(1); // header only
        assertThat(ProcState.of(2)).isNotIn('t', 'T');
    }

    @Test
    void demoShowsTheJobCarryOn() {
        Run demo = cli("demo", "--store", tmp.resolve("store").toString());

        assertThat(demo.exit()).as(demo.out() + demo.err()).isZero();
        assertThat(demo.out()).contains("carries on");
    }

    @Test
    void helpListsEveryCommand() {
        Run help = cli("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("checkpoint", "restore", "images", "inspect", "verify", "delete", "gc",
                "repair-index", "catalog", "demo");
    }
}
