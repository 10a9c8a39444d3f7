// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import io.cryostash.store.sign.HostKeys;

/**
 * What one host's agent keeps on its disk, under {@code $CRYOSTASH_HOME/agents/HOST} (0700): its own
 * Ed25519 key pair ({@code keys/}: each host id has its own, so two agents on one machine never share
 * a key), the agent token the catalog gave it at enrolment ({@code agent-token}, 0600), the spool of
 * messages still to send ({@code spool/}) and the ledger of requests it has handled
 * ({@code ledger/}).
 */
public final class HostDirectory {
    private final Path dir;

    public HostDirectory(Path dir) {
        this.dir = dir;
        try {
            PrivateFiles.createDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the agent's state directory " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    public Path keyDir() {
        return dir.resolve("keys");
    }

    public Path spoolDir() {
        return dir.resolve("spool");
    }

    public Path ledgerDir() {
        return dir.resolve("ledger");
    }

    public HostKeys keys() {
        try {
            return HostKeys.loadOrCreate(keyDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the host key in " + keyDir() + ": " + e.getMessage(), e);
        }
    }

    /** The agent token from the last enrolment, or null. */
    public String agentToken() {
        Path f = dir.resolve("agent-token");
        try {
            if (!Files.exists(f)) return null;
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new IOException(f + " is readable by others; chmod 600 it (or delete it to enrol again)");
            }
            String t = Files.readString(f, StandardCharsets.US_ASCII).trim();
            return t.isEmpty() ? null : t;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the agent token: " + e.getMessage(), e);
        }
    }

    public void saveAgentToken(String token) {
        try {
            PrivateFiles.writeAtomically(dir.resolve("agent-token"), (token + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the agent token in " + dir + ": " + e.getMessage(), e);
        }
    }

    public void forgetAgentToken() {
        try {
            Files.deleteIfExists(dir.resolve("agent-token"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
