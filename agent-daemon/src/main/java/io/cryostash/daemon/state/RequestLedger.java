// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;

/**
 * What this agent did with each request, on disk, so that a request delivered twice (Kafka delivers
 * at least once; the agent may restart between doing the work and committing the offset) does its
 * work once. One small file per request id: {@code STARTED}, then {@code DONE <outcome>} or
 * {@code CANCELLED}.
 */
public final class RequestLedger {
    public enum State { NEW, STARTED, DONE, CANCELLED }

    /** @param outcome what was done (image id, pid, failure), for the log */
    public record Entry(State state, String outcome, Instant at) {
    }

    private final Path dir;

    public RequestLedger(Path dir) {
        this.dir = dir;
        try {
            PrivateFiles.createDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the request ledger " + dir + ": " + e.getMessage(), e);
        }
    }

    public Entry get(UUID request) {
        try {
            String s = Files.readString(file(request), StandardCharsets.UTF_8).trim();
            String[] parts = s.split(" ", 3);
            return new Entry(State.valueOf(parts[0]), parts.length > 2 ? parts[2] : null, Instant.parse(parts[1]));
        } catch (NoSuchFileException e) {
            return new Entry(State.NEW, null, null);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("the ledger entry of request " + request + " in " + dir + " is unreadable: "
                    + e.getMessage() + "; remove it to let the request run again", e);
        }
    }

    public void started(UUID request) {
        put(request, State.STARTED, null);
    }

    public void done(UUID request, String outcome) {
        put(request, State.DONE, outcome);
    }

    public void cancelled(UUID request) {
        put(request, State.CANCELLED, null);
    }

    /** Forgets a request whose attempt failed before it changed anything, so that it may run again. */
    public void reset(UUID request) {
        try {
            Files.deleteIfExists(file(request));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reset request " + request + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    private void put(UUID request, State state, String outcome) {
        String line = state + " " + Instant.now() + (outcome == null ? "" : " " + outcome.replace('\n', ' ')) + "\n";
        try {
            PrivateFiles.writeAtomically(file(request), line.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record request " + request + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    private Path file(UUID request) {
        return dir.resolve(request.toString());
    }
}
