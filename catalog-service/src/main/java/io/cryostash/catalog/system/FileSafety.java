// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/**
 * Ownership and mode checks for the files the embedded database trusts: its programs, its password
 * file and the directories above them. Each refusal says which path and what to do about it.
 */
final class FileSafety {

    private static final int GROUP_OR_OTHER_WRITE = 0022;
    private static final int GROUP_OR_OTHER_ANY = 0077;
    private static final int STICKY = 01000;

    private FileSafety() {
    }

    static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    static int owner(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    static void setOwner(Path p, int uid, int gid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    /** Gives {@code root} and everything below it (links themselves, never their targets) to uid:gid. */
    static void setOwnerOfTree(Path root, int uid, int gid) throws IOException {
        try (var all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) setOwner(p, uid, gid);
        }
    }

    /** A directory of ours that no one else can change (not a link, owned by us, no group or other write). */
    static void requireNotWritableByOthers(Path dir) throws IOException {
        if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalStateException(dir + " must be a directory, not a link");
        }
        int me = DatabaseAccount.currentUid();
        if (owner(dir) != me || (mode(dir) & GROUP_OR_OTHER_WRITE) != 0) {
            throw new IllegalStateException(dir + " must belong to uid " + me + " and be writable by no one else "
                    + "(it holds programs the catalog runs); it is uid " + owner(dir) + ", mode "
                    + Integer.toOctalString(mode(dir)) + ". Delete it: the catalog unpacks it again.");
        }
    }

    /** A secret: a regular file of ours (not a link) that no group and no other user may read. */
    static void requirePrivateFile(Path file) throws IOException {
        if (Files.isSymbolicLink(file) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalStateException(file + " must be a regular file, not a link");
        }
        int me = DatabaseAccount.currentUid();
        if (owner(file) != me || (mode(file) & GROUP_OR_OTHER_ANY) != 0) {
            throw new IllegalStateException(file + " holds the database passwords and must belong to uid " + me
                    + " with mode 600; it is uid " + owner(file) + ", mode " + Integer.toOctalString(mode(file))
                    + ". Fix it (chown, chmod 600) and consider the passwords seen: delete the file and the catalog "
                    + "sets new ones at its next start.");
        }
    }

    /**
     * Refuses a data directory that others could swap from under the catalog: the directory itself or
     * one above it that a group or other users may write, unless sticky (like /tmp, where only owners
     * rename).
     */
    static void requireSafeAncestors(Path dir) throws IOException {
        Path p = dir.toAbsolutePath().normalize();
        while (p != null) {
            int mode = mode(p.toRealPath());
            if ((mode & GROUP_OR_OTHER_WRITE) != 0 && (mode & STICKY) == 0) {
                throw new IllegalStateException(p + " (the catalog's data directory " + dir + " or one above it) is writable by "
                        + "other users (mode " + Integer.toOctalString(mode) + "), who could replace the database's "
                        + "files; choose a data directory whose parents only their owners can change");
            }
            p = p.getParent();
        }
    }

    static List<String> tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of("(no log: " + e.getMessage() + ")");
        }
    }
}
