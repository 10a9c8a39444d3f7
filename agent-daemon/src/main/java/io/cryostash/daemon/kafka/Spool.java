// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.cryostash.daemon.state.PrivateFiles;

/**
 * Messages an agent must report, on its disk until the broker has acknowledged them: one file per
 * message ({@code <time>-<seq>-<uuid>.msg}, JSON with the value in base64), written atomically and
 * synced before the work that produced it is marked done. The agent's sender and a CLI command may
 * both pick up the same message; a file lock keeps them from sending it at the same time, and
 * consumers are idempotent for the rare second send.
 */
public final class Spool {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong SEQ = new AtomicLong();

    private final Path dir;

    public Spool(Path dir) {
        this.dir = dir;
        try {
            PrivateFiles.createDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the spool " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** Stores the message durably; returns its file. */
    public Path put(OutgoingMessage m) {
        ObjectNode n = JSON.createObjectNode();
        n.put("topic", m.topic());
        n.put("key", m.key());
        ObjectNode h = n.putObject("headers");
        m.headers().forEach((k, v) -> h.put(k, Base64.getEncoder().encodeToString(v)));
        n.put("value", Base64.getEncoder().encodeToString(m.value()));
        String name = String.format("%016x-%08x-%s.msg", System.currentTimeMillis(), SEQ.incrementAndGet() & 0xffffffffL,
                UUID.randomUUID());
        Path f = dir.resolve(name);
        try {
            PrivateFiles.writeAtomically(f, JSON.writeValueAsBytes(n));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spool a " + m.topic() + " message in " + dir + ": " + e.getMessage(), e);
        }
        return f;
    }

    /** Waiting messages, oldest first. */
    public List<Path> pending() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".msg")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the spool " + dir + ": " + e.getMessage(), e);
        }
    }

    public int size() {
        return pending().size();
    }

    static OutgoingMessage read(byte[] json) throws IOException {
        JsonNode n = JSON.readTree(json);
        Map<String, byte[]> headers = new LinkedHashMap<>();
        n.get("headers").fields().forEachRemaining(e -> headers.put(e.getKey(), Base64.getDecoder().decode(e.getValue().asText())));
        return new OutgoingMessage(n.get("topic").asText(), n.get("key").asText(), headers,
                Base64.getDecoder().decode(n.get("value").asText()));
    }

    /** Something that sends one message and returns only once the broker has it (or throws). */
    @FunctionalInterface
    public interface Sender {
        void send(OutgoingMessage m) throws Exception;
    }

    /**
     * Sends the waiting messages in order, each under a lock on its file, and removes each once sent.
     * Stops at the first failure (order matters: RUNNING before COMPLETED), which it rethrows.
     *
     * @return how many were sent
     */
    public int drain(Sender sender) throws Exception {
        int sent = 0;
        for (Path f : pending()) {
            if (sendOne(f, sender)) sent++;
        }
        return sent;
    }

    /** @return false when another sender holds it or it is already gone */
    public boolean sendOne(Path f, Sender sender) throws Exception {
        FileChannel ch;
        try {
            ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException gone) {
            return false;
        }
        try (ch) {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException sameJvm) {
                return false;
            }
            if (lock == null || !Files.exists(f)) return false;
            OutgoingMessage m;
            try {
                m = read(Files.readAllBytes(f));
            } catch (IOException | RuntimeException damaged) {
                Path bad = f.resolveSibling(f.getFileName() + ".damaged");
                Files.move(f, bad);
                throw new IOException("spooled message " + f + " is damaged and was moved aside to " + bad + ": "
                        + damaged.getMessage(), damaged);
            }
            sender.send(m);
            Files.deleteIfExists(f);
            return true;
        }
    }

    /** Messages currently waiting, decoded (for tests and status output). */
    public List<OutgoingMessage> peek() {
        List<OutgoingMessage> out = new ArrayList<>();
        for (Path f : pending()) {
            try {
                out.add(read(Files.readAllBytes(f)));
            } catch (IOException ignored) {
                // sent and removed meanwhile, or damaged (the sender reports that)
            }
        }
        return out;
    }
}
