// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the small programs the embedded database needs (getent, useradd, initdb, pg_ctl, postgres in
 * single-user mode) with a minimal environment: the catalog's own environment may hold secrets
 * (a datasource password, tokens) that the database server has no business seeing.
 */
final class Commands {

    private static final long TIMEOUT_SECONDS = 300;

    private Commands() {
    }

    record Result(int exitCode, String output) {
    }

    static Result run(List<String> command, String stdin) throws IOException {
        return run(command, stdin, null);
    }

    /** Runs {@code command} to its end (at most 5 minutes), standard error merged into the output. */
    static Result run(List<String> command, String stdin, Path workingDirectory) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (workingDirectory != null) pb.directory(workingDirectory.toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("LANG", "C.UTF-8");
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        // pg_ctl start leaves the server holding its own copy of the output only when -l is not
        // given; every caller here passes -l, so reading to the end returns when the command ends.
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("Interrupted while running " + command.get(0), e);
        }
        return new Result(p.exitValue(), out);
    }
}
