// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.sysvipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.capture.CaptureResult;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.SysvIpcState;

/**
 * A process using a SysV segment (attached twice, with a hole), a private segment removed while
 * attached, a semaphore counter and a queue of three messages: checkpointed with kill, then
 * restored with its objects gone (as on another host) or still alive (same host).
 */
@ExtendWith(Leftovers.class)
class SysvIpcRoundTripTest {
    @TempDir
    Path tmp;

    /** ipcrm arguments removing what a test made, run after it whatever happened. */
    private final List<String> cleanup = new ArrayList<>();

    @AfterEach
    void removeObjects() {
        Leftovers.killTracked();
        for (String args : cleanup) {
            List<String> cmd = new ArrayList<>(List.of("ipcrm"));
            cmd.addAll(List.of(args.split(" ")));
            Detached.exec(cmd.toArray(String[]::new));
        }
    }

    private FixtureProcess start() {
        FixtureProcess f = FixtureProcess.of(RoundTrip.fixture("sysvipc")).args("keep").start();
        String key = "0x" + Long.toHexString(f.number("key"));
        cleanup.add("-M " + key);
        cleanup.add("-S " + key);
        cleanup.add("-Q " + key);
        return f;
    }

    @Test
    void objectsGoneAsOnAnotherHostAreMadeAgainWithTheirIdsAndTheProgramCarriesOn() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start();
        long shmid = original.number("shmid");

        CaptureResult r = rt.checkpoint(original, true);
        SysvIpcState ipc = r.image().sysvIpc();
        assertThat(ipc.segments()).extracting(SysvIpcState.SharedSegment::id)
                .containsExactlyInAnyOrder((int) shmid, (int) original.number("privid"));
        assertThat(ipc.segments()).filteredOn(s -> s.id() == shmid).singleElement()
                .satisfies(s -> assertThat(s.attachedAt()).hasSize(2));
        assertThat(ipc.semaphoreSets()).singleElement().satisfies(s -> assertThat(s.values()).containsExactly(7, 3));
        assertThat(ipc.queues()).singleElement().satisfies(q -> assertThat(q.messages()).hasSize(3));
        assertThat(r.image().areas()).filteredOn(a -> a.kind() == MemoryArea.Kind.SYSV_SHM).hasSize(4)
                .allSatisfy(a -> assertThat(a.content()).isNull());
        // another host: none of them exists there
        Detached.exec("ipcrm", "-m", Long.toString(shmid), "-s", Long.toString(original.number("semid")),
                "-q", Long.toString(original.number("msqid")));
        assertThat(Detached.exec("ipcs", "-m", "-i", Long.toString(shmid))).doesNotContain("segment");

        FixtureProcess restored = rt.restore(original, r.image().id());

        assertThat(rt.lastRestore().notes()).isEmpty();
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void objectsStillAliveAreKeptAsTheyAreAndTheRestoreSaysSo() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start();

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(rt.lastRestore().notes()).hasSize(3).anySatisfy(n -> assertThat(n)
                .contains("shared memory segment id " + original.number("shmid")).contains("still exists"))
                .anySatisfy(n -> assertThat(n).contains("semaphore set id " + original.number("semid")))
                .anySatisfy(n -> assertThat(n).contains("message queue id " + original.number("msqid")));
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void anIdTakenByAnotherObjectRefusesTheRestoreNamingIt() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start();
        long semid = original.number("semid");
        CaptureResult r = rt.checkpoint(original, true);
        Detached.exec("ipcrm", "-s", Long.toString(semid));
        Files.writeString(Path.of("/proc/sys/kernel/sem_next_id"), Long.toString(semid));
        String made = Detached.exec("ipcmk", "-S", "1");
        cleanup.add("-s " + semid);
        assertThat(made).contains("Semaphore id: " + semid);

        assertThatThrownBy(() -> rt.restore(original, r.image().id()))
                .isInstanceOf(RestoreException.class)
                .hasMessageContaining("SysV semaphore set id " + semid + " is another object on this host")
                .hasMessageContaining("ipcrm -s " + semid);
    }
}
