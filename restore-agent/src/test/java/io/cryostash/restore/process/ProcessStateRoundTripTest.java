// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.restore.testing.RoundTrip;

@ExtendWith(Leftovers.class)
class ProcessStateRoundTripTest {
    private static final String NOBODY = "65534";

    @TempDir
    Path tmp;

    @Test
    void cwdUmaskRlimitsCommCmdlineEnvironAndExeSurvive() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("procstate"))
                .prefix("env", "CRYO_FIXTURE_VAR=kept across restore").args("an argument").start();
        byte[] cmdline = ProcState.readBytes(original.pid(), "cmdline");
        byte[] environ = ProcState.readBytes(original.pid(), "environ");
        String exe = Files.readSymbolicLink(Path.of("/proc/" + original.pid() + "/exe")).toString();
        String limits = ProcState.read(original.pid(), "limits");

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(ProcState.readBytes(restored.pid(), "cmdline")).isEqualTo(cmdline);
        assertThat(ProcState.readBytes(restored.pid(), "environ")).isEqualTo(environ);
        assertThat(Files.readSymbolicLink(Path.of("/proc/" + restored.pid() + "/exe")).toString()).isEqualTo(exe);
        assertThat(ProcState.read(restored.pid(), "limits")).isEqualTo(limits);
        assertThat(ProcState.read(restored.pid(), "comm").trim()).isEqualTo("cryo-procstate");
        assertThat(restored.check()).isEqualTo("PASS uid=0");
        Path created = restored.dir().resolve("sub dir/created-after-restore");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created))).isEqualTo("rw-r-----");
    }

    @Test
    void restoredProcessRunsAsTheImagesUserNeverRoot() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("procstate"))
                .prefix("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "env", "CRYO_FIXTURE_VAR=kept across restore")
                .args("an argument").start();
        assertThat(ProcState.statusLine(original.pid(), "Uid")).isEqualTo(ids(NOBODY));

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(ProcState.statusLine(restored.pid(), "Uid")).isEqualTo(ids(NOBODY));
        assertThat(ProcState.statusLine(restored.pid(), "Gid")).isEqualTo(ids(NOBODY));
        assertThat(ProcState.statusLine(restored.pid(), "Groups")).isEmpty();
        assertThat(ProcState.statusLine(restored.pid(), "CapEff")).as("no capabilities left from root")
                .isEqualTo("0000000000000000");
        assertThat(restored.check()).isEqualTo("PASS uid=" + NOBODY);
    }

    @Test
    void supplementaryGroupsAndMixedIdsComeBack() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("procstate"))
                .prefix("setpriv", "--reuid=65534", "--regid=100", "--groups=100,200,300",
                        "env", "CRYO_FIXTURE_VAR=kept across restore")
                .args("an argument").start();
        String uid = ProcState.statusLine(original.pid(), "Uid");
        String gid = ProcState.statusLine(original.pid(), "Gid");
        assertThat(ProcState.statusLine(original.pid(), "Groups")).isEqualTo("100 200 300");

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(ProcState.statusLine(restored.pid(), "Uid")).isEqualTo(uid);
        assertThat(ProcState.statusLine(restored.pid(), "Gid")).isEqualTo(gid).isEqualTo(ids("100"));
        assertThat(ProcState.statusLine(restored.pid(), "Groups")).isEqualTo("100 200 300");
        assertThat(ProcState.statusLine(restored.pid(), "CapEff")).isEqualTo("0000000000000000");
        assertThat(restored.check()).isEqualTo("PASS uid=" + NOBODY);
    }

    private static String ids(String id) {
        return id + "\t" + id + "\t" + id + "\t" + id;
    }
}
