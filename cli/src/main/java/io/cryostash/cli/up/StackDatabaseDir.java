// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.up;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * Where the stack's catalog keeps its embedded PostgreSQL. When the catalog runs as root, the database
 * runs as an unprivileged account (cryostash-db), which must pass through every directory above its
 * data: a stack under root's home ({@code /root} is 0700, and so is a fresh {@code ~/.cryostash}) cannot
 * keep it there. Such a stack keeps its database under {@link #ROOT_BASE}, in a directory named after
 * the stack's data directory; everything else (Kafka, S3, passwords, tokens) stays in the stack's
 * directory. A stack run by another user, or one whose directory that account can reach, keeps it in
 * {@code catalog/} of the stack's directory, as before. The choice is made once and kept in
 * stack.properties ({@link #KEY}), so later starts find the database where the first one put it.
 */
public final class StackDatabaseDir {
    /** The stack.properties key. */
    public static final String KEY = "catalog.data-dir";
    /** Where root's stacks that live in closed directories keep their databases. */
    public static final Path ROOT_BASE = Path.of("/var/lib/cryostash/stacks");

    private StackDatabaseDir() {
    }

    /**
     * The database directory of the stack in {@code stackDir}: the one recorded in stack.properties, else
     * one chosen by the rules above (and recorded).
     */
    static Path resolve(Path stackDir, StackSecrets secrets, boolean root) throws IOException {
        String recorded = secrets.get(KEY);
        Path dir = recorded != null ? Path.of(recorded) : choose(stackDir, root, ROOT_BASE);
        if (recorded == null) {
            secrets.set(KEY, dir.toString());
            secrets.save();
        }
        if (root && dir.startsWith(ROOT_BASE)) openForTraversal(ROOT_BASE);
        return dir;
    }

    /** The rule, on its own (tests): {@code base} stands for {@link #ROOT_BASE}. */
    static Path choose(Path stackDir, boolean root, Path base) throws IOException {
        Path inStack = stackDir.toAbsolutePath().normalize().resolve("catalog");
        // A database already there (a stack started before this rule, or a reachable directory) stays.
        if (!root || Files.exists(inStack.resolve("pgdata").resolve("PG_VERSION")) || othersCanPass(inStack.getParent())) {
            return inStack;
        }
        return base.resolve(name(stackDir));
    }

    /** "stack-" and 16 hex digits of the SHA-256 of the stack's absolute path: one database per stack. */
    static String name(Path stackDir) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest(stackDir.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return "stack-" + HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether users other than the owner may pass through {@code dir} and every directory above it. */
    static boolean othersCanPass(Path dir) throws IOException {
        for (Path p = dir.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            if (!Files.exists(p)) continue; // made later with this process's umask: checked again by the catalog
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) return false;
        }
        return true;
    }

    /**
     * Creates {@code base} and its parents up to /var/lib and lets others pass through them (mode x for
     * others, not read: nobody lists the stacks), whatever root's umask: the database account must reach
     * its directory below.
     */
    static void openForTraversal(Path base) throws IOException {
        Files.createDirectories(base);
        for (Path p = base; p != null && p.getNameCount() > 2; p = p.getParent()) {
            if (Files.isSymbolicLink(p) || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException(p + " must be a directory, not a link");
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (perms.add(PosixFilePermission.OTHERS_EXECUTE)) Files.setPosixFilePermissions(p, perms);
        }
    }
}
