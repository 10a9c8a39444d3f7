// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Starts programs that are not children of this JVM: a shell runs the command in the
 * background, prints its pid and exits. The JDK's process reaper therefore never waits on
 * them, so ptrace stops are not stolen and they are tracked by pid alone.
 */
public final class Detached {
    private Detached() {
    }

    /** Runs {@code sh -c script}; the script must end with {@code & echo $!}. Returns that pid. */
    public static int run(String script) {
        try {
            Process sh = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
            String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!sh.waitFor(10, TimeUnit.SECONDS) || sh.exitValue() != 0) {
                throw new IllegalStateException("could not start: " + script + "\n" + out);
            }
            String[] lines = out.split("\n");
            return Integer.parseInt(lines[lines.length - 1].trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs a short command to completion and returns its output (stderr merged). */
    public static String exec(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", command));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
