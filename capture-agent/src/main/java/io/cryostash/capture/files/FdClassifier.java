// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.proc.FdInfo;
import io.cryostash.schema.image.FdEntry;

/**
 * Decides what a descriptor is, from its link, the mode of the file it opens (stat of
 * /proc/PID/fd/N, which follows to the open inode, not to whatever the path names now) and, for
 * sockets, the family and type of the socket itself. A kind Cryostash cannot save comes back
 * with no kind and a description that the refusal names.
 */
public final class FdClassifier {
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFIFO = 0010000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_TYPE = 3;
    private static final int SO_PROTOCOL = 38;
    private static final int SO_DOMAIN = 39;

    /** Devices that are the same everywhere and keep no state: reopened by path. */
    private static final Set<String> STATELESS_DEVICES = Set.of("/dev/null", "/dev/zero", "/dev/full",
            "/dev/random", "/dev/urandom");
    private static final Map<String, FdEntry.Kind> ANON = Map.of(
            "anon_inode:[eventfd]", FdEntry.Kind.EVENTFD,
            "anon_inode:[timerfd]", FdEntry.Kind.TIMERFD,
            "anon_inode:[signalfd]", FdEntry.Kind.SIGNALFD,
            "anon_inode:[eventpoll]", FdEntry.Kind.EPOLL,
            "anon_inode:inotify", FdEntry.Kind.INOTIFY);

    private FdClassifier() {
    }

    /** A kind, or none and what the descriptor is (for the refusal). */
    public record Classification(FdEntry.Kind kind, String what) {
        static Classification of(FdEntry.Kind kind, String what) {
            return new Classification(kind, what);
        }

        static Classification unsupported(String what) {
            return new Classification(null, what);
        }
    }

    public static Classification classify(FdCaptureContext ctx, FdInfo fd) {
        String t = fd.target();
        if (t.startsWith("anon_inode:")) {
            FdEntry.Kind k = ANON.get(t);
            String name = t.substring("anon_inode:".length()).replace("[", "").replace("]", "");
            return k != null ? Classification.of(k, "an " + name) : Classification.unsupported(anonName(name));
        }
        Map<String, Object> st;
        try {
            st = Files.readAttributes(Path.of("/proc/" + ctx.pid() + "/fd/" + fd.fd()), "unix:mode,nlink,ino,dev");
        } catch (NoSuchFileException e) {
            return Classification.unsupported("a descriptor closed while it was being read");
        } catch (IOException | UnsupportedOperationException e) {
            return Classification.unsupported("a file that cannot be examined (" + e.getMessage() + ")");
        }
        int mode = (Integer) st.get("mode");
        int type = mode & S_IFMT;
        if (t.startsWith("pipe:")) {
            return Classification.of(FdEntry.Kind.PIPE, "a pipe");
        }
        if (t.startsWith("socket:") || type == S_IFSOCK) {
            return socket(ctx, fd);
        }
        if (!t.startsWith("/")) { // mnt:[…], net:[…], pidfd, …: kernel objects without a path
            int colon = t.indexOf(':');
            return Classification.unsupported(colon > 0
                    ? "a " + t.substring(0, colon) + " namespace or kernel object" : "a kernel object");
        }
        boolean deleted = ((Integer) st.get("nlink")) == 0 || t.endsWith(" (deleted)");
        if (t.startsWith("/memfd:")) {
            return Classification.of(FdEntry.Kind.MEMFD, "a memfd");
        }
        switch (type) {
            case S_IFREG:
                if (deleted) {
                    return Classification.of(FdEntry.Kind.DELETED_FILE, "a deleted file");
                }
                if (!samePath(t, st)) {
                    return Classification.unsupported("a file whose path now names another file (moved or replaced"
                            + " since it was opened)");
                }
                return Classification.of(FdEntry.Kind.REGULAR, "a file");
            case S_IFDIR:
                return deleted || !samePath(t, st) ? Classification.unsupported("a directory that was deleted or moved")
                        : Classification.of(FdEntry.Kind.DIRECTORY, "a directory");
            case S_IFIFO:
                return deleted ? Classification.unsupported("a deleted FIFO")
                        : Classification.of(FdEntry.Kind.FIFO, "a FIFO");
            case S_IFCHR:
                if (STATELESS_DEVICES.contains(t)) {
                    return Classification.of(FdEntry.Kind.CHARACTER_DEVICE, "a device");
                }
                if (t.equals("/dev/ptmx") || t.equals("/dev/pts/ptmx")) {
                    return Classification.unsupported("a pseudo-terminal master (the terminal emulator's side)");
                }
                if (isTerminal(t)) {
                    return Classification.of(FdEntry.Kind.TERMINAL, "a terminal");
                }
                return Classification.unsupported("the character device " + t);
            case S_IFBLK:
                return Classification.unsupported("the block device " + t);
            default:
                return Classification.unsupported("a file of unknown type");
        }
    }

    static boolean isTerminal(String path) {
        return path.startsWith("/dev/pts/") || path.startsWith("/dev/tty") || path.equals("/dev/console")
                || path.equals("/dev/ptmx") || path.equals("/dev/pts/ptmx");
    }

    private static boolean samePath(String path, Map<String, Object> open) {
        try {
            Map<String, Object> now = Files.readAttributes(Path.of(path), "unix:ino,dev", LinkOption.NOFOLLOW_LINKS);
            return now.get("ino").equals(open.get("ino")) && now.get("dev").equals(open.get("dev"));
        } catch (IOException | java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    private static String anonName(String name) {
        return switch (name) {
            case "io_uring" -> "an io_uring instance";
            case "perf_event" -> "a perf event";
            case "bpf-map", "bpf-prog", "bpf_link" -> "a BPF object (" + name + ")";
            case "pidfd" -> "a pidfd";
            case "fanotify" -> "a fanotify instance";
            case "userfaultfd" -> "a userfaultfd";
            default -> "an anonymous kernel object (" + name + ")";
        };
    }

    private static Classification socket(FdCaptureContext ctx, FdInfo fd) {
        int domain;
        int type;
        int protocol;
        try (LocalFd s = ctx.take(fd.fd())) {
            domain = s.getsockoptInt(SOL_SOCKET, SO_DOMAIN);
            type = s.getsockoptInt(SOL_SOCKET, SO_TYPE);
            protocol = s.getsockoptInt(SOL_SOCKET, SO_PROTOCOL);
        } catch (RuntimeException e) {
            return Classification.unsupported("a socket that cannot be examined (" + e.getMessage() + ")");
        }
        String typeName = switch (type) {
            case 1 -> "stream";
            case 2 -> "datagram";
            case 3 -> "raw";
            case 5 -> "seqpacket";
            default -> "type " + type;
        };
        return switch (domain) {
            case 1 -> Classification.of(FdEntry.Kind.UNIX_SOCKET, "a unix " + typeName + " socket");
            case 2, 10 -> {
                String fam = domain == 2 ? "IPv4" : "IPv6";
                if (type == 1 && protocol == 6) {
                    yield Classification.of(FdEntry.Kind.TCP_SOCKET, "a TCP (" + fam + ") socket");
                }
                if (type == 2 && protocol == 17) {
                    yield Classification.of(FdEntry.Kind.UDP_SOCKET, "a UDP (" + fam + ") socket");
                }
                yield Classification.unsupported("a socket of kind " + fam + " " + typeName + " protocol " + protocol);
            }
            case 16 -> Classification.unsupported("a socket of kind NETLINK");
            case 17 -> Classification.unsupported("a socket of kind PACKET");
            default -> Classification.unsupported("a socket of family " + domain + " (" + typeName + ")");
        };
    }
}
