// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Compiles C fixture programs with gcc into {@code target/fixtures} of the module under test,
 * once per test run (a binary newer than its source and the shared header is reused). Every
 * fixture may include {@code fixture.h}, the protocol header kept beside this class.
 */
public final class CFixtures {
    private static final Map<Path, Path> BUILT = new ConcurrentHashMap<>();

    private CFixtures() {
    }

    /** The module's {@code target/fixtures} directory (Maven runs tests in the module directory). */
    public static Path outputDir() {
        return Path.of("target", "fixtures").toAbsolutePath();
    }

    /** Compiles {@code source} (a path relative to the module directory) and returns the binary. */
    public static Path compile(String source, String... extraFlags) {
        Path src = Path.of(source).toAbsolutePath().normalize();
        return BUILT.computeIfAbsent(src, s -> build(s, List.of(extraFlags)));
    }

    /** Compiles one of the shared fixtures kept beside fixture.h (counter, zombie). */
    public static Path shared(String name, String... extraFlags) {
        return BUILT.computeIfAbsent(headerDir().resolve(name + ".c"), s -> build(s, List.of(extraFlags)));
    }

    /** Where fixture.h lives: beside this class in agent-core's test sources. */
    public static Path headerDir() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            Path h = p.resolve("agent-core/src/test/java/io/cryostash/agent/testing");
            if (Files.exists(h.resolve("fixture.h"))) {
                return h;
            }
        }
        throw new IllegalStateException("fixture.h not found above " + dir);
    }

    private static Path build(Path src, List<String> extraFlags) {
        if (!Files.exists(src)) {
            throw new IllegalArgumentException("no fixture source " + src);
        }
        try {
            Path out = outputDir();
            Files.createDirectories(out);
            String name = src.getFileName().toString().replaceFirst("\\.c$", "");
            Path bin = out.resolve(name);
            Path header = headerDir().resolve("fixture.h");
            if (Files.exists(bin) && newer(bin, src) && newer(bin, header)) {
                return bin;
            }
            Path tmp = out.resolve("." + name + ".tmp");
            List<String> cmd = new ArrayList<>(List.of("gcc", "-O1", "-g", "-Wall", "-Wno-unused-function",
                    "-I", headerDir().toString(), "-o", tmp.toString(), src.toString()));
            cmd.addAll(extraFlags);
            Process gcc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
                throw new IllegalStateException("gcc failed on " + src + ":\n" + log);
            }
            Files.move(tmp, bin, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return bin;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean newer(Path a, Path b) throws IOException {
        return Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b)) > 0;
    }
}
