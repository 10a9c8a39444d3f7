// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.capture.FdLosses;
import io.cryostash.capture.tree.Descendants;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.RestoreOptions.PidMode;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.TreeMember;
import io.cryostash.schema.image.fds.UnixSocketFile;

/**
 * Process trees ({@code checkpoint --tree}): a C tree (a parent, a child leading its own session,
 * a grandchild leading its own group, a zombie; a pipe with bytes in flight, shared anonymous
 * memory, a file offset shared across fork) and a shell loop running a child every 50 ms, each
 * restored after --kill with its own pids and beside the running original in a new PID
 * namespace; unix sockets between a parent and its child (treesockets.c). tree.c checks everything itself after restore (children still count into the
 * parent's memory, the pipe's bytes, one offset, the zombie's status, parents and sessions).
 */
@ExtendWith(Leftovers.class)
class TreeRoundTripTest {
    @TempDir
    Path tmp;

    private static FixtureProcess startTree() {
        return FixtureProcess.of(RoundTrip.fixture("tree")).start();
    }

    private static CaptureResult captureTree(RoundTrip rt, FixtureProcess f, boolean kill) {
        CaptureResult r = new Capturer(rt.store()).captureTree(f.pid(), new CaptureOptions(kill));
        if (kill) {
            f.awaitGone();
        }
        return r;
    }

    private static void trackTree(int rootPid) {
        Descendants.of(rootPid).forEach(d -> Leftovers.track(d.pid()));
    }

    @Test
    void treeRestoredAfterKillKeepsItsPidsLinksGroupsZombieAndCarriesOn() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = startTree();
        int a = (int) original.number("pids");
        trackTree(original.pid());
        List<ProcStat> before = Descendants.of(original.pid());
        assertThat(before).hasSize(3);

        ProcessImage image = captureTree(rt, original, true).image();
        List<TreeMember> members = image.tree().members();
        assertThat(members).extracting(TreeMember::pid).containsExactlyElementsOf(before.stream().map(ProcStat::pid).toList());
        TreeMember zombie = members.stream().filter(TreeMember::zombie).findFirst().orElseThrow();
        assertThat(zombie.exitStatus()).isEqualTo(7 << 8);
        assertThat(zombie.ppid()).isEqualTo(a);
        // the shared page is stored once, with the parent; the children name it
        assertThat(image.areas()).anyMatch(x -> x.kind() == MemoryArea.Kind.SHARED_ANONYMOUS && x.content() != null);
        TreeMember childA = members.get(0);
        assertThat(childA.sharedAreas()).isNotEmpty().allMatch(s -> s.fromPid() == original.pid());
        assertThat(childA.image().areas()).filteredOn(x -> x.kind() == MemoryArea.Kind.SHARED_ANONYMOUS)
                .allMatch(x -> x.content() == null);
        assertThat(childA.sharedFds()).extracting(TreeMember.SharedFd::fromPid).contains(original.pid());

        FixtureProcess restored = rt.restore(original, image.id(), PidMode.ORIGINAL);
        trackTree(restored.pid());
        assertThat(restored.pid()).isEqualTo(original.pid());
        List<ProcStat> after = Descendants.of(restored.pid());
        assertThat(after).extracting(ProcStat::pid).containsExactlyElementsOf(before.stream().map(ProcStat::pid).toList());
        assertThat(after).extracting(ProcStat::ppid).containsExactlyElementsOf(before.stream().map(ProcStat::ppid).toList());
        assertThat(after).extracting(ProcStat::pgrp).containsExactlyElementsOf(before.stream().map(ProcStat::pgrp).toList());
        assertThat(after).extracting(ProcStat::session).containsExactlyElementsOf(before.stream().map(ProcStat::session).toList());
        ProcStat z = after.stream().filter(s -> s.pid() == zombie.pid()).findFirst().orElseThrow();
        assertThat(z.state()).isEqualTo('Z');

        assertThat(restored.check()).startsWith("PASS");
        assertThat(Files.exists(original.file("shared.txt"))).isTrue();
    }

    @Test
    void treeRestoredBesideTheRunningOriginalInANewPidNamespaceBothCarryOn() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = startTree();
        trackTree(original.pid());
        ProcessImage image = captureTree(rt, original, false).image();
        FixtureProcess restored = rt.restore(original, image.id(), PidMode.NEW_PID_NAMESPACE);
        trackTree(restored.pid());

        assertThat(restored.pid()).isNotEqualTo(original.pid());
        assertThat(rt.lastRestore().ownPid()).isEqualTo(original.pid());
        assertThat(Descendants.of(restored.pid())).hasSize(3);
        assertThat(original.check()).startsWith("PASS");
        original.clearResult();
        assertThat(restored.check()).startsWith("PASS");
    }

    @Test
    void aZombiesPidTakenOnThisHostIsRefusedBeforeAnythingStartsNamingItAndTheTreeRestoresInANewNamespace() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = startTree();
        trackTree(original.pid());
        ProcessImage image = captureTree(rt, original, true).image();
        int zombie = image.tree().members().stream().filter(TreeMember::zombie).findFirst().orElseThrow().pid();
        Poll.until(Duration.ofSeconds(5), "the original zombie to be reaped", () -> !Files.exists(Path.of("/proc/" + zombie)));
        FixtureProcess holder = FixtureProcess.of(RoundTrip.fixture("holdpid")).args(Integer.toString(zombie)).startNoWait();
        holder.awaitReady();
        FixtureProcess holding = holder.restoredAs(zombie);

        assertThatThrownBy(() -> rt.restore(original, image.id(), PidMode.ORIGINAL))
                .isInstanceOf(RestoreException.class)
                .hasMessageContaining("pid " + zombie + " (a zombie of the tree, child of ")
                .hasMessageContaining("process " + zombie + " (holdpid)")
                .hasMessageContaining("--new-pid-namespace");
        assertThat(ProcState.of(original.pid())).as("nothing was started under the root's free pid").isIn((char) 0, 'Z');

        FixtureProcess restored = rt.restore(original, image.id(), PidMode.NEW_PID_NAMESPACE);
        trackTree(restored.pid());
        assertThat(restored.check()).startsWith("PASS");
        assertThat(holding.check()).isEqualTo("PASS");
    }

    @Test
    void withoutTreeAProcessIsCapturedAloneAndItsChildrenAreNamed() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = startTree();
        trackTree(original.pid());
        int a = (int) original.number("pids");
        // alone, the pipe to its child (fd 4) is one with an end outside the image: given up
        CaptureResult r = new Capturer(rt.store()).capture(original.pid(),
                new CaptureOptions(false, null, false, false, new FdLosses(java.util.Set.of(4), java.util.Set.of())));
        assertThat(r.image().hasTree()).isFalse();
        assertThat(r.notes()).anyMatch(n -> n.contains("children were left out") && n.contains("pid " + a + " (tree)"));
    }

    /**
     * treesockets.c: a stream socketpair, a datagram socketpair and an accepted connection, each
     * with one end in the parent and the other in its child, bytes queued both ways on each.
     */
    @Test
    void unixSocketsBetweenParentAndChildRestoredAfterKillKeepTheirQueuedBytesBothWays() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("treesockets")).start();
        int child = (int) original.number("pids");
        trackTree(original.pid());

        ProcessImage image = captureTree(rt, original, true).image();
        TreeMember c = image.tree().members().get(0);
        assertThat(c.pid()).isEqualTo(child);
        List<UnixSocketFile> parentSockets = image.fds().stream().filter(e -> e.file() instanceof UnixSocketFile)
                .map(e -> (UnixSocketFile) e.file()).toList();
        List<UnixSocketFile> childSockets = c.image().fds().stream().filter(e -> e.file() instanceof UnixSocketFile)
                .map(e -> (UnixSocketFile) e.file()).toList();
        assertThat(parentSockets).hasSize(3).allMatch(u -> u.role() == UnixSocketFile.Role.PAIRED && !u.queue().isEmpty());
        assertThat(childSockets).hasSize(3).allMatch(u -> u.role() == UnixSocketFile.Role.PAIRED && !u.queue().isEmpty());
        assertThat(childSockets).extracting(UnixSocketFile::peer)
                .containsExactlyInAnyOrderElementsOf(parentSockets.stream().map(UnixSocketFile::inode).toList());

        FixtureProcess restored = rt.restore(original, image.id(), PidMode.ORIGINAL);
        trackTree(restored.pid());
        assertThat(Descendants.of(restored.pid())).extracting(ProcStat::pid).containsExactly(child);
        assertThat(restored.check()).startsWith("PASS");
    }

    @Test
    void unixSocketsBetweenParentAndChildRestoredBesideTheRunningOriginalInANewPidNamespace() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("treesockets")).start();
        trackTree(original.pid());
        ProcessImage image = captureTree(rt, original, false).image();
        FixtureProcess restored = rt.restore(original, image.id(), PidMode.NEW_PID_NAMESPACE);
        trackTree(restored.pid());

        assertThat(restored.pid()).isNotEqualTo(original.pid());
        assertThat(Descendants.of(restored.pid())).hasSize(1);
        assertThat(original.check()).startsWith("PASS");
        original.clearResult();
        assertThat(restored.check()).startsWith("PASS");
    }

    /** sh running a loop that starts a child (sleep) every 50 ms and counts. */
    private FixtureProcess startShellLoop() throws IOException {
        Path script = tmp.resolve("loop.sh");
        Files.writeString(script, "#!/bin/sh\nd=\"$1\"\ni=0\necho $$ > \"$d/ready\"\n"
                + "while :; do i=$((i+1)); echo $i > \"$d/count.tmp\"; mv \"$d/count.tmp\" \"$d/count\"; sleep 0.05; done\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        FixtureProcess f = FixtureProcess.of(script).start();
        f.awaitNumberAbove("count", 2);
        return f;
    }

    @Test
    void shellLoopTreeRestoredAfterKillCarriesOnCounting() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = startShellLoop();
        trackTree(original.pid());
        ProcessImage image = captureTree(rt, original, true).image();
        long counted = original.number("count");

        FixtureProcess restored = rt.restore(original, image.id(), PidMode.ORIGINAL);
        trackTree(restored.pid());
        assertThat(restored.pid()).isEqualTo(original.pid());
        assertThat(restored.awaitNumberAbove("count", counted + 5)).isGreaterThan(counted + 5);
        assertThat(restored.runningFreely() || restored.state() == 'S').isTrue();
    }

    @Test
    void shellLoopTreeRestoredBesideTheOriginalInANewPidNamespaceCounts() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = startShellLoop();
        trackTree(original.pid());
        ProcessImage image = captureTree(rt, original, false).image();
        FixtureProcess restored = rt.restore(original, image.id(), PidMode.NEW_PID_NAMESPACE);
        trackTree(restored.pid());
        original.kill(); // the copy alone counts from here
        Poll.until(Duration.ofSeconds(5), "the original to be gone", () -> original.state() == 0 || original.state() == 'Z');
        long now = restored.number("count");
        assertThat(restored.awaitNumberAbove("count", now + 5)).isGreaterThan(now + 5);
    }
}
