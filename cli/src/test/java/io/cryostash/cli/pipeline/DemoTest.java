// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.cli.up.StackDatabaseDir;

/**
 * The README's first command: {@code cryostash demo} on a machine with no Cryostash yet, as a separate
 * process, with the default $CRYOSTASH_HOME (~/.cryostash) in a home directory closed to other users,
 * as root's /root is: the stack's embedded PostgreSQL runs as an unprivileged account that cannot
 * pass through it, so for root the database must go where that account can reach it. The demo must
 * tell the whole story and exit 0.
 */
class DemoTest {
    @TempDir
    Path userHome;

    @Test
    void theDemoRunsTheWholeSystemWithTheDefaultHomeAndExitsZero() throws Exception {
        Files.setPosixFilePermissions(userHome, PosixFilePermissions.fromString("rwx------"));
        Path log = Files.createTempFile("cryostash-demo-test-", ".log");
        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "-Duser.home=" + userHome, "-cp", appClassPath(), "io.cryostash.cli.Cryostash", "demo")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("CRYOSTASH_HOME");
        pb.environment().remove("CRYOSTASH_STORE");
        pb.environment().remove("CRYOSTASH_CATALOG");
        Path home = userHome.resolve(".cryostash");
        Path database = null;
        try {
            Process demo = pb.start();
            boolean ended = demo.waitFor(10, TimeUnit.MINUTES);
            if (!ended) demo.destroyForcibly().waitFor();
            String out = Files.readString(log);
            database = recordedDatabase(home.resolve("stack"));
            assertThat(ended).as(out).isTrue();
            assertThat(demo.exitValue()).as(out).isZero();
            assertThat(out).contains("incremental to", "restored the last snapshot on host", "it carries on", "first login: admin /",
                    "web catalog: http://");
            assertThat(home.resolve("client.properties")).exists();
            assertThat(database).as(out).isNotNull();
            assertThat(database.resolve("pgdata/PG_VERSION")).exists();
            assertThat(out).contains("database in " + database);
            if (isRoot()) {
                assertThat(database).as("root's home is closed to the database account").startsWith(StackDatabaseDir.ROOT_BASE);
            } else {
                assertThat(database).isEqualTo(home.resolve("stack/catalog"));
            }
        } finally {
            Files.deleteIfExists(log);
            if (database != null && database.startsWith(StackDatabaseDir.ROOT_BASE)) deleteTree(database);
        }
    }

    private static Path recordedDatabase(Path stack) throws Exception {
        Path file = stack.resolve("stack.properties");
        if (!Files.exists(file)) return null;
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        String dir = p.getProperty(StackDatabaseDir.KEY);
        return dir == null ? null : Path.of(dir);
    }

    private static boolean isRoot() throws Exception {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    }

    private static void deleteTree(Path dir) throws Exception {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** The test class path without logback, which the tests keep for S3ProxyFixture but the CLI does not ship. */
    static String appClassPath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.contains("logback")).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }
}
