// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.capture.CaptureException;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.capture.FdLosses;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.FdEntry;

/**
 * Issue 12 item 10: a descriptor Cryostash cannot save makes capture refuse, naming it, with the
 * process left running; the user may give it up by name, and then restore closes or redirects it
 * and nothing else; standard streams whose pipe or terminal will be gone are redirected by
 * default, and the capture says so.
 */
@ExtendWith(Leftovers.class)
class GivenUpDescriptorTest {
    @TempDir
    Path tmp;

    @Test
    void unsavableDescriptorMakesCaptureRefuseNamingItAndTheProcessRunsOn() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess target = FixtureProcess.of(RoundTrip.fixture("netlink")).start();

        assertThatThrownBy(() -> new Capturer(rt.store()).capture(target.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("fd 7: a socket of kind NETLINK")
                .hasMessageContaining("--close-fd 7");

        assertThat(ProcState.statusLine(target.pid(), "TracerPid")).isEqualTo("0");
        assertThat(target.runningFreely()).isTrue();
        assertThat(rt.store().list()).isEmpty();
        assertThat(target.check()).isEqualTo("PASS");
    }

    @Test
    void descriptorGivenUpWithCloseIsClosedAfterRestoreAndTheCaptureSaysSo() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("netlink")).args("closed").start();

        CaptureResult r = new Capturer(rt.store()).capture(original.pid(),
                new CaptureOptions(true, null, false, false, new FdLosses(Set.of(7), Set.of())));
        original.awaitGone();

        assertThat(r.notes()).singleElement().asString().contains("fd 7").contains("NETLINK").contains("closed");
        assertThat(r.image().fds()).filteredOn(f -> f.fd() == 7).singleElement()
                .extracting(FdEntry::kind).isEqualTo(FdEntry.Kind.CLOSED);
        FixtureProcess restored = rt.restore(original, r.image().id());
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void descriptorGivenUpWithRedirectWritesIntoTheRestoresLog() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("netlink")).args("redirected").start();

        CaptureResult r = new Capturer(rt.store()).capture(original.pid(),
                new CaptureOptions(true, null, false, false, new FdLosses(Set.of(), Set.of(7))));
        original.awaitGone();
        FixtureProcess restored = rt.restore(original, r.image().id());

        assertThat(r.notes()).singleElement().asString().contains("fd 7").contains("log");
        assertThat(restored.check()).isEqualTo("PASS");
        assertThat(Files.readString(rt.lastRestore().logFile())).isEqualTo("to the log\n");
    }

    @Test
    void stdoutOnAPipeToAnotherProcessIsRedirectedByDefaultAndTheCaptureSaysSo() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        Path dir = FixtureProcess.newDir("stdout_to_cat");
        // stdout goes through a pipe to cat, a process outside the image: after a restore nobody reads it
        int shell = Detached.run("(cd " + FixtureProcess.quote(dir.toString()) + " && setsid "
                + FixtureProcess.quote(RoundTrip.fixture("stdout_pipe").toString()) + " "
                + FixtureProcess.quote(dir.toString()) + " external </dev/null | cat > "
                + FixtureProcess.quote(dir + "/cat.out") + ") >/dev/null 2>&1 </dev/null & echo $!");
        Leftovers.track(shell);
        FixtureProcess original = FixtureProcess.attach(awaitPid(dir), dir).awaitReady();

        CaptureResult r = rt.checkpoint(original, true);
        FixtureProcess restored = rt.restore(original, r.image().id());

        assertThat(r.notes()).anySatisfy(n -> assertThat(n).startsWith("fd 1 (pipe:[")
                .contains("outside the image").contains("standard stream"));
        assertThat(restored.check()).isEqualTo("PASS");
        Path log = rt.lastRestore().logFile();
        assertThat(log).isNotNull().startsWith(rt.logDir());
        assertThat(Files.readString(log)).isEqualTo("restored output goes to the log\n");
        assertThat(Files.readString(dir.resolve("cat.out"))).isEqualTo("into the pipe or terminal before the checkpoint\n");
    }

    private static int awaitPid(Path dir) {
        io.cryostash.agent.testing.Poll.until(java.time.Duration.ofSeconds(20), "the fixture's ready file",
                () -> Files.exists(dir.resolve("ready")));
        try {
            return Integer.parseInt(Files.readString(dir.resolve("ready")).trim());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
