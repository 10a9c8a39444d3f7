// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The catalog as {@code cryostash catalog} runs it: its own JVM, stopped the way a service manager
 * stops it (SIGTERM). Its shutdown must checkpoint and stop the embedded PostgreSQL; the old one's
 * checkpoint always failed ("the database system is shutting down") because a second shutdown hook
 * stopped the server at the same moment. Also prints how long the two starts took (fresh data
 * directory, then the same one again), for comparison with earlier versions.
 */
class CatalogProcessTests {

    private final Path dir = Path.of("target", "catalog-process-" + System.nanoTime()).toAbsolutePath();

    @AfterEach
    void removeDirectory() throws Exception {
        PostgresBinaries.deleteTree(dir);
    }

    record Run(String log, long postmasterPid) {
    }

    /** Starts the catalog in a JVM of its own, waits for its URL, then terminates it and waits for it to end. */
    Run startAndTerminate(String name) throws Exception {
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes")).reduce((a, b) -> a + File.pathSeparator + b).orElseThrow();
        Path log = dir.resolve(name + ".log");
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", classpath, "io.cryostash.catalog.CatalogLauncher", "--port", "0", "--data-dir", dir.toString(),
                "--cryostash.catalog.admin-password=process-test-password", "--cryostash.catalog.embedded-fsync=false",
                "--cryostash.catalog.embedded-shared-buffers=64MB")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            // A guard against hanging forever, not a claim about speed.
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (!Files.readString(log).contains("Cryostash catalog: http")) {
                assertThat(p.isAlive()).as(() -> "the catalog exited early:\n" + read(log)).isTrue();
                assertThat(System.nanoTime()).as("the catalog did not start within 5 minutes").isLessThan(deadline);
                Thread.sleep(100);
            }
            long pid = Long.parseLong(Files.readAllLines(dir.resolve("pgdata/postmaster.pid")).get(0).strip());
            p.destroy();  // SIGTERM: the JVM runs its shutdown hooks, Spring closes the context
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("the catalog stops after SIGTERM").isTrue();
            return new Run(read(log), pid);
        } finally {
            p.destroyForcibly();
        }
    }

    static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    static List<String> timings(String log) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(ready in \\d+ ms|Started \\w+ in [0-9.]+ seconds)").matcher(log);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    @Test
    void terminatingTheCatalogCheckpointsAndStopsItsDatabaseAndTheDataStays() throws Exception {
        Run first = startAndTerminate("first");
        Run second = startAndTerminate("second");
        System.out.println("Catalog start, fresh data directory: " + timings(first.log()) + "; again on the same one: "
                + timings(second.log()) + " (load average " + Files.readString(Path.of("/proc/loadavg")).strip() + ")");
        for (Run r : List.of(first, second)) {
            assertThat(r.log()).doesNotContain("Checkpoint before stopping the embedded PostgreSQL failed")
                    .doesNotContain("database system is shutting down")
                    .contains("Embedded PostgreSQL checkpointed before stopping")
                    .contains("Embedded PostgreSQL on " + dir.resolve("pgdata") + " stopped");
            // pg_ctl stop returns once the server has removed its pid file; the process itself may take a
            // moment more to exit and be reaped (it is init's child, not ours).
            ProcessHandle.of(r.postmasterPid()).ifPresent(h -> h.onExit().orTimeout(60, TimeUnit.SECONDS).join());
            assertThat(ProcessHandle.of(r.postmasterPid()).map(ProcessHandle::isAlive).orElse(false))
                    .as("no server outlives its catalog").isFalse();
        }
        assertThat(dir.resolve("pgdata/postmaster.pid")).doesNotExist();
        assertThat(second.log()).as("the second start reuses the database").doesNotContain("initdb")
                .doesNotContain("first administrator");
    }
}
