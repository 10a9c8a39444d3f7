// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * Finds the {@code cryostash-tracer} executable that agent-core's build compiles into its
 * classes. Run from a classes directory (the build), it is used where it lies; from a jar, it is
 * copied once, named by its hash, into {@code $CRYOSTASH_HOME/bin} (default ~/.cryostash/bin), a
 * directory only this user may write: the agent runs it as root, so nobody else may be able to
 * put a file there.
 */
final class TracerBinary {
    static final String NAME = "cryostash-tracer";

    private TracerBinary() {
    }

    static Path path() {
        URL url = TracerBinary.class.getResource(NAME);
        if (url == null) {
            throw new IllegalStateException(NAME + " is missing from agent-core's classes: it is compiled by the"
                    + " agent-core build with gcc (install gcc and rebuild)");
        }
        if ("file".equals(url.getProtocol())) {
            try {
                Path p = Path.of(url.toURI());
                if (Files.isExecutable(p)) {
                    return p;
                }
            } catch (URISyntaxException e) {
                // fall through to the copy
            }
        }
        try {
            Path dir = binDir();
            // the build wrote the helper's SHA-256 beside it: an installed copy is found by its name
            // alone, without inflating 700 KB from the jar and hashing it again for every command
            String sha = expectedSha();
            if (sha != null) {
                Path exe = dir.resolve(NAME + "-" + sha.substring(0, 16));
                if (Files.isRegularFile(exe, LinkOption.NOFOLLOW_LINKS) && Files.isExecutable(exe)) {
                    return exe;
                }
            }
            byte[] bytes;
            try (InputStream s = url.openStream()) {
                bytes = s.readAllBytes();
            }
            String actual = sha256(bytes);
            if (sha != null && !sha.equals(actual)) {
                throw new IOException("its bytes in the jar hash to " + actual + ", not to " + sha + " as built");
            }
            return install(dir, actual, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install " + NAME + ": " + e.getMessage(), e);
        }
    }

    /** The SHA-256 the build recorded (hex), or null when the classes came without it. */
    private static String expectedSha() throws IOException {
        try (InputStream s = TracerBinary.class.getResourceAsStream(NAME + ".sha256")) {
            if (s == null) {
                return null;
            }
            String sha = new String(s.readNBytes(128), java.nio.charset.StandardCharsets.US_ASCII).trim();
            return sha.matches("[0-9a-f]{64}") ? sha : null;
        }
    }

    /** {@code $CRYOSTASH_HOME/bin}, made if missing, refused unless only this user may write it. */
    private static Path binDir() throws IOException {
        Path dir = stateDir().resolve("bin");
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        Object owner = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (Files.isSymbolicLink(dir) || perms.contains(PosixFilePermission.GROUP_WRITE)
                || perms.contains(PosixFilePermission.OTHERS_WRITE) || ((Integer) owner) != Syscalls.geteuid()) {
            throw new IOException(dir + " must be a directory of this user that nobody else may write to");
        }
        return dir;
    }

    private static Path install(Path dir, String sha, byte[] bytes) throws IOException {
        Path exe = dir.resolve(NAME + "-" + sha.substring(0, 16));
        if (Files.isRegularFile(exe, LinkOption.NOFOLLOW_LINKS) && Files.size(exe) == bytes.length
                && Files.isExecutable(exe)) {
            return exe;
        }
        Path tmp = Files.createTempFile(dir, NAME, ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, exe, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, exe, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return exe;
    }

    private static Path stateDir() {
        String env = System.getenv("CRYOSTASH_HOME");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cryostash");
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
