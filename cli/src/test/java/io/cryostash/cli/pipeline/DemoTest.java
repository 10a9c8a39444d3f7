// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command: {@code cryostash demo} on a machine with no Cryostash yet (an empty
 * $CRYOSTASH_HOME), as a separate process, must tell the whole story and exit 0.
 */
class DemoTest {
    @TempDir
    Path home;

    @Test
    void theDemoRunsTheWholeSystemAndExitsZero() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                appClassPath(), "io.cryostash.cli.Cryostash", "demo")
                .redirectErrorStream(true).redirectOutput(home.resolve("demo.log").toFile());
        pb.environment().put("CRYOSTASH_HOME", home.toString());
        Process demo = pb.start();
        boolean ended = demo.waitFor(10, TimeUnit.MINUTES);
        if (!ended) demo.destroyForcibly().waitFor();
        String out = Files.readString(home.resolve("demo.log"));
        assertThat(ended).as(out).isTrue();
        assertThat(demo.exitValue()).as(out).isZero();
        assertThat(out).contains("incremental to", "restored the last snapshot on host", "it carries on", "first login: admin /",
                "web catalog: http://");
        assertThat(home.resolve("client.properties")).exists();
    }

    /** The test class path without logback, which the tests keep for S3ProxyFixture but the CLI does not ship. */
    static String appClassPath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.contains("logback")).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }
}
