// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The launcher asks a running daemon before it checks the checkout for staleness, so the daemon
 * must stop serving once a source or pom changes after its build, and only then: a checkout of
 * its own here, with a jar built "now".
 */
class SourceWatchTest {
    @TempDir
    Path root;

    private Path checkout() throws Exception {
        Files.writeString(root.resolve("pom.xml"), "<project/>");
        for (String m : SourceWatch.MODULES) {
            Files.createDirectories(root.resolve(m).resolve("src/main/java/io/cryostash"));
            Files.writeString(root.resolve(m).resolve("pom.xml"), "<project/>");
            Files.writeString(root.resolve(m).resolve("src/main/java/io/cryostash/A.java"), "class A {}");
        }
        Path jar = Files.createDirectories(root.resolve("cli/target")).resolve("cli.jar");
        Files.write(jar, new byte[] {1});
        FileTime past = FileTime.from(Instant.now().minusSeconds(60));
        try (var files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(p, past);
            }
        }
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(30)));
        return jar;
    }

    @Test
    void aSourceEditedAfterTheBuildStopsTheDaemonAndTheBuildOutputDoesNot() throws Exception {
        Path jar = checkout();
        SourceWatch w = SourceWatch.of(jar, Files.getLastModifiedTime(jar)).orElseThrow();
        try (w) {
            assertThat(w.changed()).as("nothing changed since the build").isNull();
            Files.writeString(root.resolve("cli/target/new-output.class"), "built");
            Files.createDirectories(root.resolve("image-store/target/classes"));
            Thread.sleep(300);
            assertThat(w.changed()).as("the build's own output is no change").isNull();

            Files.writeString(root.resolve("capture-agent/src/main/java/io/cryostash/A.java"), "class A { int edited; }");

            assertThat(awaitChange(w)).contains("capture-agent/src/main/java/io/cryostash/A.java");
        }
    }

    @Test
    void aNewSourceDirectoryIsWatchedAndAPomCounts() throws Exception {
        Path jar = checkout();
        try (SourceWatch w = SourceWatch.of(jar, Files.getLastModifiedTime(jar)).orElseThrow()) {
            Files.writeString(root.resolve("stack/pom.xml"), "<project><edited/></project>");
            assertThat(awaitChange(w)).contains("stack/pom.xml");
        }
        Path jar2 = checkout();
        try (SourceWatch w = SourceWatch.of(jar2, Files.getLastModifiedTime(jar2)).orElseThrow()) {
            Path dir = Files.createDirectories(root.resolve("schema/src/main/java/io/cryostash/fresh"));
            assertThat(awaitChange(w)).as("a new directory is itself a change").contains("fresh");
            assertThat(dir).exists();
        }
    }

    @Test
    void aSourceNewerThanTheBuildBeforeTheWatchBeganCountsAtOnce() throws Exception {
        Path jar = checkout();
        Files.setLastModifiedTime(root.resolve("agent-core/src/main/java/io/cryostash/A.java"), FileTime.from(Instant.now()));
        try (SourceWatch w = SourceWatch.of(jar, Files.getLastModifiedTime(jar)).orElseThrow()) {
            assertThat(w.changed()).contains("agent-core/src/main/java/io/cryostash/A.java");
        }
    }

    @Test
    void codeOutsideACheckoutOrInAClassesDirectoryIsNotWatched() throws Exception {
        checkout();
        Path classes = Files.createDirectories(root.resolve("cli/target/classes"));
        assertThat(SourceWatch.of(classes, Files.getLastModifiedTime(classes))).isEmpty();
        Path elsewhere = Files.write(root.resolve("loose.jar"), new byte[] {1});
        assertThat(SourceWatch.of(elsewhere, Files.getLastModifiedTime(elsewhere))).isEmpty();
    }

    private static String awaitChange(SourceWatch w) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (w.changed() == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return w.changed();
    }
}
