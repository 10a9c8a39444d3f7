// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.Credentials;

/**
 * The file that receives a restored program's output bound for a terminal or pipe that is gone.
 *
 * <p>It is opened once, by the restored process itself (the husk), after its file-system ids are
 * the image's: created with the image's credentials, {@code O_CREAT|O_EXCL|O_NOFOLLOW} under a
 * name nobody can guess, with openat2's {@code RESOLVE_NO_SYMLINKS}, and then duplicated to each
 * descriptor that needs it — never reopened by path and never opened with root's rights. Before
 * that, the directory is checked: no component of its real path may be replaceable by the
 * image's user (a directory they may write holding one of their own, or one they may write
 * without the sticky bit), and the user must be able to create a file in it. Whatever the user
 * does to the name afterwards, the program writes into its own file and nowhere else
 * (issue 12, item 15: the log used to be created by root, handed over, and reopened by path
 * with root's rights, so a symlink put there in time sent the program's output into any file).
 *
 * <p>Logs are left only where they hold something or a process still writes them: a restore that
 * fails removes the log it made, and each restore removes the empty logs of earlier restores whose
 * processes have ended (item 13).
 */
public final class OutputLog {
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_APPEND = 02000;
    static final int O_NOFOLLOW = 0400000;
    static final int O_CLOEXEC = 02000000;
    static final int F_DUPFD_CLOEXEC = 1030;
    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_NO_SYMLINKS = 0x04;
    static final int ENOSYS = 38;
    static final int EACCES = 13;
    private static final String PREFIX = "cryostash-";
    private static final String PATTERN = "cryostash-[0-9a-f]{12}-[0-9a-f]{16}\\.log";
    /** A log younger than this may belong to a restore still setting up: never swept. */
    private static final Duration SWEEP_AGE = Duration.ofSeconds(30);

    private OutputLog() {
    }

    /**
     * Checks that {@code dir} is a safe place for a log the image's user will create, removes
     * the empty logs of ended restores there, and returns the path the new log will have (not
     * created yet).
     */
    public static Path plan(Path dir, String imageId, Credentials creds) {
        Path real;
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                // made like /tmp: every user may create a log, none may touch another's
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
                Files.setAttribute(dir, "unix:mode", 01777);
            }
            real = dir.toRealPath();
        } catch (IOException e) {
            throw new RestoreException("the output log directory " + dir + " does not exist or cannot be reached: "
                    + e.getMessage(), e);
        }
        if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new RestoreException("the output log directory " + dir + " is not a directory");
        }
        try {
            checkNotReplaceable(real, creds);
        } catch (IOException e) {
            throw new RestoreException("cannot check the output log directory " + dir + ": " + e.getMessage(), e);
        }
        sweep(real);
        byte[] r = new byte[8];
        new SecureRandom().nextBytes(r);
        String id = imageId.length() > 12 ? imageId.substring(0, 12) : imageId;
        return real.resolve(PREFIX + id + "-" + HexFormat.of().formatHex(r) + ".log");
    }

    /**
     * Every directory from / down to {@code dir} must be one the image's user cannot rename or
     * replace: they would need to write its parent, and a sticky parent lets them do that only
     * to what they own. Root's images need no such care: root may change any of it anyway.
     */
    static void checkNotReplaceable(Path dir, Credentials c) throws IOException {
        int uid = c.fsuid();
        if (uid == 0) {
            return;
        }
        Set<Integer> groups = new HashSet<>(c.groups());
        groups.add(c.fsgid());
        Path parent = null;
        for (Path p = dir.getRoot(); ; ) {
            Map<String, Object> a = Files.readAttributes(p, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            int owner = (Integer) a.get("uid");
            if (parent != null) {
                Map<String, Object> pa = Files.readAttributes(parent, "unix:uid,gid,mode", LinkOption.NOFOLLOW_LINKS);
                int pmode = (Integer) pa.get("mode");
                boolean sticky = (pmode & 01000) != 0;
                if (may(pa, uid, groups, 2) && (!sticky || owner == uid || (Integer) pa.get("uid") == uid)) {
                    throw new RestoreException("the output log directory " + dir + " is not safe for a process of uid "
                            + uid + ": that user may replace " + p + " (through " + parent + "); use a directory whose"
                            + " path only root can change, such as /tmp or /var/log/cryostash");
                }
            }
            if (p.equals(dir)) {
                break;
            }
            parent = p;
            p = p.resolve(dir.getName(p.getNameCount()));
        }
        for (Path p = dir; p != null; p = p.getParent()) {
            Map<String, Object> a = Files.readAttributes(p, "unix:uid,gid,mode", LinkOption.NOFOLLOW_LINKS);
            if (!may(a, uid, groups, 1) || (p.equals(dir) && !may(a, uid, groups, 2))) {
                throw new RestoreException("a process of uid " + uid + " cannot create its output log in " + dir
                        + " (no permission on " + p + "); use a directory that user may write, such as /tmp");
            }
        }
    }

    /** Whether uid (with those groups) has permission {@code bit} (4 read, 2 write, 1 search) on a file with these attributes. */
    private static boolean may(Map<String, Object> a, int uid, Set<Integer> groups, int bit) {
        int mode = (Integer) a.get("mode");
        if ((Integer) a.get("uid") == uid) {
            return (mode & (bit << 6)) != 0;
        }
        if (groups.contains((Integer) a.get("gid"))) {
            return (mode & (bit << 3)) != 0;
        }
        return (mode & bit) != 0;
    }

    /**
     * Creates the log inside the husk (its file-system ids must already be the image's) and
     * returns the descriptor it got there, moved to {@code freeFrom} or above so that it does not
     * stand on a number the image uses.
     */
    public static int openInHusk(RemoteSyscalls remote, ProcessMemory mem, long scratch, Path log, int freeFrom) {
        long path = scratch + 64;
        mem.writeString(path, log.toString());
        int flags = O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
        byte[] how = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(flags).putLong(0600)
                .putLong(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS).array();
        mem.write(scratch, how);
        long fd = remote.raw(SyscallNumbers.OPENAT2, -100 /* AT_FDCWD */, path, scratch, how.length);
        if (fd == -ENOSYS) { // before Linux 5.6: the checked directory and O_EXCL|O_NOFOLLOW still hold
            fd = remote.raw(SyscallNumbers.OPEN, path, flags, 0600);
        }
        if (fd < 0) {
            throw new RestoreException("the restored process could not create its output log " + log + " (errno "
                    + -fd + (fd == -EACCES ? ": its user may not create files there" : "") + ")");
        }
        long moved = remote.call("move the output log's descriptor", SyscallNumbers.FCNTL, fd, F_DUPFD_CLOEXEC,
                freeFrom);
        remote.raw(SyscallNumbers.CLOSE, fd);
        return (int) moved;
    }

    /** After a failed restore: removes the log it created, if nothing was written to it. */
    public static void discard(Path log) {
        if (log == null) {
            return;
        }
        try {
            if (Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS) && Files.size(log) == 0) {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            // left for the next restore's sweep
        }
    }

    /** Removes empty logs of earlier restores that no process has open any more. */
    static void sweep(Path dir) {
        Set<String> candidates = new HashSet<>();
        Instant young = Instant.now().minus(SWEEP_AGE);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, PREFIX + "*.log")) {
            for (Path p : s) {
                if (p.getFileName().toString().matches(PATTERN) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                        && Files.size(p) == 0 && Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant()
                        .isBefore(young)) {
                    candidates.add(p.toString());
                }
            }
        } catch (IOException e) {
            return; // nothing swept this time
        }
        if (candidates.isEmpty()) {
            return;
        }
        candidates.removeAll(openFiles());
        for (String c : candidates) {
            try {
                Path p = Path.of(c);
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.size(p) == 0) {
                    Files.delete(p);
                }
            } catch (IOException ignored) {
                // changed or gone meanwhile
            }
        }
    }

    /** Every path some process on this host has open (the targets of /proc/PID/fd). */
    private static Set<String> openFiles() {
        Set<String> out = new HashSet<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(p.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            out.add(Files.readSymbolicLink(fd).toString());
                        } catch (IOException gone) {
                            // closed meanwhile
                        }
                    }
                } catch (NoSuchFileException gone) {
                    // exited
                } catch (IOException unreadable) {
                    // not ours to read
                }
            });
        } catch (IOException e) {
            throw new RestoreException("cannot list processes to find unused output logs: " + e.getMessage(), e);
        }
        return out;
    }
}
