// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.store.check.Checker;
import io.cryostash.store.image.ImageStore;

/**
 * Fault suite (issue 12), load: 20 captures at once on one host into one store, through one
 * {@link Capturer} (as the agent daemon shares it), each with its own tracer helper. Every capture
 * gives an image holding its own process, every process runs on untraced (half of them with two
 * threads), and the store verifies with every chunk re-read.
 */
@ExtendWith(Leftovers.class)
class ConcurrentCapturesTest {
    private static final int CAPTURES = 20;

    @TempDir
    Path tmp;

    @Test
    void twentyCapturesAtOnceIntoOneStoreEachGiveTheirOwnImage() throws Exception {
        Path counter = CFixtures.shared("counter");
        List<FixtureProcess> targets = new ArrayList<>();
        for (int i = 0; i < CAPTURES; i++) {
            targets.add(i % 2 == 0 ? FixtureProcess.of(counter).args("4").start()
                    : FixtureProcess.of(counter).args("4", "threads").start());
        }
        ExecutorService pool = Executors.newFixedThreadPool(CAPTURES);
        try (ImageStore store = ImageStore.local(tmp.resolve("store"))) {
            Capturer capturer = new Capturer(store);
            List<Future<CaptureResult>> results = new ArrayList<>();
            for (FixtureProcess t : targets) {
                results.add(pool.submit(() -> capturer.capture(t.pid(), new CaptureOptions(false))));
            }
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < CAPTURES; i++) {
                CaptureResult r = results.get(i).get(10, TimeUnit.MINUTES);
                FixtureProcess t = targets.get(i);
                assertThat(r.image().process().pid()).as("capture " + i + " holds its own process").isEqualTo(t.pid());
                assertThat(r.image().threads()).hasSize(i % 2 == 0 ? 1 : 2);
                ids.add(r.image().id());
            }
            assertThat(ids).doesNotHaveDuplicates();
            assertThat(store.list()).hasSize(CAPTURES);
            for (FixtureProcess t : targets) {
                assertThat(ProcState.statusLine(t.pid(), "TracerPid")).isEqualTo("0");
                assertThat(ProcState.allThreadsRunningFreely(t.pid())).isTrue();
                t.awaitNumberAbove("counter", t.number("counter"));
            }
            Checker.Report report = new Checker(store.repository().chunks().backend(),
                    store.repository().trustedKeys()).check(true);
            assertThat(report.errors()).isEmpty();
            for (FixtureProcess t : targets) {
                assertThat(t.check()).startsWith("PASS");
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
