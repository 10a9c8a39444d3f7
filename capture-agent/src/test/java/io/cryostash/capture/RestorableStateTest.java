// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.store.image.ImageStore;

/**
 * Issue 12, item 11: capture refuses, naming why, a process whose image restore could not
 * rebuild — before anything is stopped, so that with --kill the process is not lost. Each case
 * asks for --kill; the process must still run afterwards, untraced, and no image may exist.
 */
@ExtendWith(Leftovers.class)
class RestorableStateTest {
    private static final String NOBODY = "65534";

    @TempDir
    Path tmp;

    private FixtureProcess start(String what, String... prefix) {
        return FixtureProcess.of(CFixtures.compile("src/test/c/unrestorable.c")).prefix(prefix).args(what).start();
    }

    private void refusedAndStillRunning(FixtureProcess p, String... messageParts) {
        ImageStore store = ImageStore.local(tmp.resolve("store"));
        var thrown = assertThatThrownBy(() -> new Capturer(store).capture(p.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("pid " + p.pid());
        for (String part : messageParts) {
            thrown.hasMessageContaining(part);
        }
        assertThat(ProcState.statusLine(p.pid(), "TracerPid")).isEqualTo("0");
        assertThat(p.state()).isNotIn('t', 'T', 'Z', (char) 0);
        p.awaitNumberAbove("counter", p.number("counter"));
        assertThat(store.list()).as("images").isEmpty();
        store.close();
        assertThat(p.check()).startsWith("PASS");
    }

    @Test
    void aSealedAreaIsRefusedNamingIt() {
        FixtureProcess p = start("sealed");
        refusedAndStillRunning(p, "0x" + p.read("sealed").strip() + "-", "sealed (mseal)", "not killed");
    }

    @Test
    void aDeletedWorkingDirectoryIsRefusedBeforeTheKill() throws IOException {
        FixtureProcess p = start("cwd");
        Files.delete(p.file("gone"));
        refusedAndStillRunning(p, "working directory", "gone", "deleted");
    }

    @Test
    void aMappedFileItsUserMayNoLongerReadIsRefused() throws IOException {
        Path data = FixtureProcess.newDir("mapped").resolve("private.dat"); // a directory anyone may enter
        Files.write(data, new byte[4096]);
        FixtureProcess p = FixtureProcess.of(CFixtures.compile("src/test/c/unrestorable.c"))
                .prefix("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups")
                .args("map", data.toString()).start();
        // it opened and mapped root's file while it could; a restore, running as uid 65534, could not
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rw-------"));
        refusedAndStillRunning(p, data.toString(), "uid " + NOBODY, "may no longer read");
    }

    @Test
    void aReducedCapabilityBoundingSetIsRefused() {
        FixtureProcess p = start("plain", "setpriv", "--bounding-set=-net_raw");
        refusedAndStillRunning(p, "CapBnd", "gain privileges it gave up");
    }

    @Test
    void anotherMountNamespaceIsRefused() {
        FixtureProcess p = start("plain", "unshare", "--mount");
        refusedAndStillRunning(p, "mount namespace");
    }

    /** Issue 12, item 12: --kill of a process with children would leave them orphaned. */
    @Test
    void killingAProcessWithChildrenIsRefusedNamingThem() {
        FixtureProcess p = start("child");
        int child = (int) p.number("child");
        Leftovers.track(child);
        refusedAndStillRunning(p, "child", Integer.toString(child), "orphaned", "--tree");
        assertThat(ProcState.of(child)).as("the child, never stopped").isNotIn('t', 'T', 'Z', (char) 0);
    }

    /** Threads are no children: a multi-threaded process without children is captured and killed. */
    @Test
    void threadsAreNotChildrenWithKill() {
        FixtureProcess p = start("threads");
        assertThat(ProcState.threads(p.pid())).hasSize(4);
        ImageStore store = ImageStore.local(tmp.resolve("store"));
        new Capturer(store).capture(p.pid(), new CaptureOptions(true));
        assertThat(store.list()).hasSize(1);
        assertThat(store.read(store.list().get(0).id()).threads()).hasSize(4);
        store.close();
        p.awaitGone();
    }

    /** A child forked by another thread than the main one is the process's child all the same. */
    @Test
    void aChildForkedByAnotherThreadIsRefusedWithKill() {
        FixtureProcess p = start("threadchild");
        int child = (int) p.number("child");
        Leftovers.track(child);
        refusedAndStillRunning(p, "1 child process", Integer.toString(child), "orphaned");
        assertThat(ProcState.of(child)).as("the child, never stopped").isNotIn('t', 'T', 'Z', (char) 0);
    }

    @Test
    void withoutKillAProcessWithChildrenIsCapturedAndBothRunOn() {
        FixtureProcess p = start("child");
        int child = (int) p.number("child");
        Leftovers.track(child);
        ImageStore store = ImageStore.local(tmp.resolve("store"));
        new Capturer(store).capture(p.pid(), new CaptureOptions(false));
        assertThat(store.list()).hasSize(1);
        store.close();
        assertThat(ProcState.of(child)).isNotIn('t', 'T', 'Z', (char) 0);
        assertThat(p.check()).startsWith("PASS");
    }

    @Test
    void anOrdinaryProcessIsNotRefused() {
        FixtureProcess p = start("plain");
        ImageStore store = ImageStore.local(tmp.resolve("store"));
        new Capturer(store).capture(p.pid(), new CaptureOptions(false));
        assertThat(store.list()).hasSize(1);
        store.close();
        assertThat(p.check()).startsWith("PASS");
    }
}
