// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.realworld;

import static io.cryostash.restore.realworld.AnsweringProgram.field;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreOptions.PidMode;
import io.cryostash.restore.Restorer;
import io.cryostash.store.image.ImageStore;

/**
 * A program nobody here wrote: a JVM (this JDK's java, G1, a 512 MiB heap, dozens of threads)
 * running a small job compiled by the test (src/test/jvm/Answerer.java), restored after
 * --kill with its own pid and tids, and beside the running original in a new PID namespace.
 * Both keep answering: counters under a monitor still consistent and growing, 160 MiB of live
 * data unchanged, GCs still running, every thread joined at the end.
 *
 * <p>The JVM runs with -XX:+PerfDisableSharedMem: by default it maps a performance-data file
 * (/tmp/hsperfdata_USER/PID) shared, which every JVM that starts later deletes once that pid
 * has died, so an image of a JVM killed after its checkpoint would name a file that is gone.
 */
@ExtendWith(Leftovers.class)
class JvmRoundTripTest {
    static final Duration SLOW = Duration.ofSeconds(90);
    @TempDir
    Path tmp;

    @Test
    void jvmCheckpointedWithKillKeepsAnsweringWithItsOwnPid() {
        AnsweringProgram jvm = startJvm();
        String before = jvm.ask(SLOW);
        assertThat(before).startsWith("OK");
        ImageStore store = ImageStore.local(tmp.resolve("store"));

        CaptureResult cap = new Capturer(store).capture(jvm.pid(), new CaptureOptions(true));
        assertThat(cap.image().threads()).hasSizeGreaterThan(30);
        awaitGone(jvm.pid());
        int pid = new Restorer(store).restore(cap.image().id(), new RestoreOptions(false, tmp)).pid();
        AnsweringProgram restored = jvm.restoredAs(pid);

        assertThat(pid).isEqualTo(jvm.pid());
        String first = restored.ask(SLOW);
        String second = restored.ask(SLOW);
        assertThat(first).startsWith("OK").contains("live=true");
        assertThat(second).startsWith("OK");
        assertThat(field(first, "shared")).isGreaterThanOrEqualTo(field(before, "shared"));
        assertThat(field(second, "shared")).isGreaterThan(field(first, "shared"));
        assertThat(field(second, "gcs")).as("the GC still runs").isGreaterThan(field(first, "gcs"));
        assertThat(field(second, "ticks")).isGreaterThan(field(first, "ticks"));
        assertThat(field(second, "threads")).isEqualTo(field(before, "threads"));
        assertThat(restored.stop(SLOW)).startsWith("OK joined=27 of 27");
    }

    @Test
    void jvmRestoredBesideTheRunningOriginalInANewPidNamespaceBothAnswer() {
        AnsweringProgram jvm = startJvm();
        assertThat(jvm.ask(SLOW)).startsWith("OK");
        ImageStore store = ImageStore.local(tmp.resolve("store"));

        CaptureResult cap = new Capturer(store).capture(jvm.pid(), new CaptureOptions(false));
        var r = new Restorer(store).restore(cap.image().id(), new RestoreOptions(false, tmp, PidMode.NEW_PID_NAMESPACE));
        AnsweringProgram copy = jvm.restoredAs(r.pid());

        assertThat(r.ownPid()).isEqualTo(jvm.pid());
        String fromCopy = copy.ask(SLOW);
        assertThat(fromCopy).startsWith("OK").contains("pid=" + jvm.pid()); // it sees itself as the original
        assertThat(copy.ask(SLOW)).startsWith("OK");
        assertThat(jvm.ask(SLOW)).startsWith("OK");
        assertThat(ProcState.allThreadsRunningFreely(jvm.pid())).isTrue();
        assertThat(copy.stop(SLOW)).startsWith("OK joined=27 of 27");
        assertThat(jvm.stop(SLOW)).startsWith("OK joined=27 of 27");
    }

    private AnsweringProgram startJvm() {
        Path classes = compile();
        Path dir = FixtureProcess.newDir("jvm");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int pid = Detached.run("cd " + FixtureProcess.quote(dir.toString()) + " && setsid " + FixtureProcess.quote(java)
                + " -Xms512m -Xmx512m -XX:+UseG1GC -XX:+PerfDisableSharedMem -cp "
                + FixtureProcess.quote(classes.toString()) + " Answerer " + FixtureProcess.quote(dir.toString())
                + " 160 </dev/null >" + FixtureProcess.quote(dir.resolve("out.log").toString()) + " 2>&1 & echo $!");
        return new AnsweringProgram(dir, pid).awaitReady(SLOW);
    }

    private static synchronized Path compile() {
        Path out = Path.of("target", "jvm-fixture").toAbsolutePath();
        Path src = Path.of("src", "test", "jvm", "Answerer.java").toAbsolutePath();
        try {
            Path cls = out.resolve("Answerer.class");
            if (Files.exists(cls) && Files.getLastModifiedTime(cls).compareTo(Files.getLastModifiedTime(src)) > 0) {
                return out;
            }
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", out.toString(), src.toString());
        assertThat(rc).as("javac Answerer.java").isZero();
        return out;
    }

    private static void awaitGone(int pid) {
        io.cryostash.agent.testing.Poll.until(Duration.ofSeconds(30), "pid " + pid + " to die", () -> {
            char s = ProcState.of(pid);
            return s == 0 || s == 'Z';
        });
    }
}
