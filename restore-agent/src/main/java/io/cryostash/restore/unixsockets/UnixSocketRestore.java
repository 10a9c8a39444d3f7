// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.unixsockets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.FdRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.UnixSocketFile;

/**
 * Unix sockets, in an order that lets connections find their targets: bound and listening ones
 * first (their names must exist before anything connects to them), then pairs (socketpair), then
 * datagram sockets sending to a name; a socket whose peer was closed is one end of a new pair
 * whose other end sends its queue and is closed. A path a dead process left behind as a socket file is
 * removed before binding (nothing else is). Queued data goes back by the way it came: sent by
 * the peer of a pair, or to the socket's address for a bound datagram socket.
 */
public final class UnixSocketRestore implements FdRestorer {
    static final int AF_UNIX = 1;
    static final int O_NONBLOCK = 04000;
    static final int EADDRINUSE = 98;
    static final int SOCK_STREAM = 1;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.UNIX_SOCKET;
    }

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        Map<Long, FdEntry> byInode = new HashMap<>();
        entries.forEach(e -> byInode.put(file(e).inode(), e));
        List<FdEntry> later = new ArrayList<>();
        for (FdEntry e : entries) { // names first
            UnixSocketFile u = file(e);
            if (u.role() == UnixSocketFile.Role.LISTENING || u.role() == UnixSocketFile.Role.UNCONNECTED) {
                long fd = socket(ctx, e, u);
                bind(ctx, e, fd, u.address());
                if (u.role() == UnixSocketFile.Role.LISTENING) {
                    ctx.check(e, "listen", ctx.remote().raw(SyscallNumbers.LISTEN, fd, Math.max(u.backlog(), 1)));
                }
                place(ctx, e, fd);
                if (!u.queue().isEmpty()) {
                    try (LocalFd sender = LocalFd.socket(AF_UNIX, u.type(), 0)) {
                        sender.connect(u.address());
                        u.queue().forEach(m -> sender.send(m, 0));
                    }
                }
            } else {
                later.add(e);
            }
        }
        List<Long> done = new ArrayList<>();
        for (FdEntry e : later) {
            UnixSocketFile u = file(e);
            if (u.role() == UnixSocketFile.Role.PAIRED && !done.contains(u.inode())) {
                FdEntry other = byInode.get(u.peer());
                if (other == null && ctx.tree() != null && pairedAcrossTree(ctx, e, u)) {
                    done.add(u.inode());
                    continue;
                }
                if (other == null) {
                    throw new RestoreException("unix socket " + e.fd() + " is paired with socket inode " + u.peer()
                            + ", which the image does not hold");
                }
                pair(ctx, e, other);
                done.add(u.inode());
                done.add(u.peer());
            }
        }
        for (FdEntry e : later) {
            if (file(e).role() == UnixSocketFile.Role.PEER_CLOSED) {
                peerClosed(ctx, e);
            }
        }
        for (FdEntry e : later) {
            UnixSocketFile u = file(e);
            if (u.role() == UnixSocketFile.Role.CONNECTED) {
                long fd = socket(ctx, e, u);
                if (u.address().length > 2) {
                    bind(ctx, e, fd, u.address());
                }
                ctx.memory().write(ctx.scratch(), u.peerAddress());
                ctx.check(e, "connect to " + display(u.peerAddress()), ctx.remote().raw(SyscallNumbers.CONNECT, fd,
                        ctx.scratch(), u.peerAddress().length));
                place(ctx, e, fd);
            }
        }
    }

    private static void pair(FdRestoreContext ctx, FdEntry a, FdEntry b) {
        UnixSocketFile ua = file(a);
        ctx.check(a, "socketpair", ctx.remote().raw(SyscallNumbers.SOCKETPAIR, AF_UNIX, ua.type(), 0, ctx.scratch()));
        long both = ctx.memory().readLong(ctx.scratch());
        ctx.placeAll(new long[] {(int) both, (int) (both >>> 32)}, new FdEntry[] {a, b});
        ctx.statusFlags(a, O_NONBLOCK);
        ctx.statusFlags(b, O_NONBLOCK);
        resend(ctx, b.fd(), ua.queue());   // what a had to read, b sent
        resend(ctx, a.fd(), file(b).queue());
    }

    /** Closing the new peer shuts the survivor down both ways, as the original's peer did when it went. */
    private static void peerClosed(FdRestoreContext ctx, FdEntry e) {
        UnixSocketFile u = file(e);
        ctx.check(e, "socketpair", ctx.remote().raw(SyscallNumbers.SOCKETPAIR, AF_UNIX, u.type(), 0, ctx.scratch()));
        long both = ctx.memory().readLong(ctx.scratch());
        int peer = ctx.park((int) (both >>> 32)); // off the entry's number before the survivor goes there
        ctx.install((int) both, e);
        resend(ctx, peer, u.queue());
        ctx.remote().raw(SyscallNumbers.CLOSE, peer);
        ctx.statusFlags(e, O_NONBLOCK);
    }

    /**
     * A pair whose other end another process of the tree holds: taken from the copy the earlier
     * of the two parked, or made here (this process is the earlier), its other end parked for the
     * later one; what either end had queued to read is sent through the other one at once.
     *
     * @return false when no other process of the tree holds the peer
     */
    private static boolean pairedAcrossTree(FdRestoreContext ctx, FdEntry e, UnixSocketFile u) {
        int[] made = ctx.tree().socketMadeEarlier(u.inode());
        if (made != null) {
            ctx.install(ctx.takeFrom(made[0], made[1], e), e);
            ctx.statusFlags(e, O_NONBLOCK);
            return true;
        }
        UnixSocketFile peer = ctx.tree().socketHeldLater(u.peer());
        if (peer == null) {
            return false;
        }
        ctx.check(e, "socketpair", ctx.remote().raw(SyscallNumbers.SOCKETPAIR, AF_UNIX, u.type(), 0, ctx.scratch()));
        long both = ctx.memory().readLong(ctx.scratch());
        int parked = ctx.park((int) (both >>> 32));
        ctx.install((int) both, e);
        ctx.statusFlags(e, O_NONBLOCK);
        resend(ctx, parked, u.queue());      // what this end had to read, its peer sent
        resend(ctx, e.fd(), peer.queue());
        ctx.tree().parkedSocket(u.peer(), parked);
        return true;
    }

    private static void resend(FdRestoreContext ctx, int fromFd, List<byte[]> queue) {
        if (queue.isEmpty()) {
            return;
        }
        try (LocalFd from = ctx.take(fromFd)) {
            queue.forEach(m -> from.send(m, 0));
        }
    }

    private static long socket(FdRestoreContext ctx, FdEntry e, UnixSocketFile u) {
        return ctx.park(ctx.check(e, "socket", ctx.remote().raw(SyscallNumbers.SOCKET, AF_UNIX, u.type(), 0)));
    }

    private static void place(FdRestoreContext ctx, FdEntry e, long fd) {
        ctx.install(fd, e);
        ctx.statusFlags(e, O_NONBLOCK);
    }

    /** Binds to the saved address; a socket file left at a path by the dead original is removed first. */
    private static void bind(FdRestoreContext ctx, FdEntry e, long fd, byte[] address) {
        if (address.length <= 2) {
            return; // unnamed
        }
        ctx.memory().write(ctx.scratch(), address);
        long r = ctx.remote().raw(SyscallNumbers.BIND, fd, ctx.scratch(), address.length);
        if (r == -EADDRINUSE && address[2] != 0 && staleSocketFile(display(address))) {
            ctx.memory().writeString(ctx.scratch() + 512, display(address));
            ctx.remote().raw(SyscallNumbers.UNLINK, ctx.scratch() + 512);
            r = ctx.remote().raw(SyscallNumbers.BIND, fd, ctx.scratch(), address.length);
        }
        ctx.check(e, "bind to " + display(address), r);
    }

    /** A socket file nobody listens on any more (connecting to it is refused). */
    private static boolean staleSocketFile(String path) {
        try {
            int mode = (Integer) Files.getAttribute(Path.of(path), "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & 0170000) != 0140000) {
                return false;
            }
        } catch (NoSuchFileException gone) {
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
        byte[] addr = sockaddr(path);
        try (LocalFd probe = LocalFd.socket(AF_UNIX, SOCK_STREAM, 0)) {
            probe.connect(addr);
            return false; // someone listens there now
        } catch (RuntimeException refused) {
            return true;
        }
    }

    private static byte[] sockaddr(String path) {
        byte[] p = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] a = new byte[2 + p.length + 1];
        a[0] = AF_UNIX;
        System.arraycopy(p, 0, a, 2, p.length);
        return a;
    }

    static String display(byte[] sockaddr) {
        if (sockaddr.length > 2 && sockaddr[2] == 0) {
            return "@" + new String(sockaddr, 3, sockaddr.length - 3, java.nio.charset.StandardCharsets.UTF_8);
        }
        int end = 2;
        while (end < sockaddr.length && sockaddr[end] != 0) {
            end++;
        }
        return new String(sockaddr, 2, end - 2, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static UnixSocketFile file(FdEntry e) {
        return (UnixSocketFile) e.file();
    }
}
