// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.inet;

import static io.cryostash.agent.linux.SocketOptions.SOCK_DGRAM;
import static io.cryostash.agent.linux.SocketOptions.SOCK_STREAM;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.FdException;
import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SocketOptions;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.files.BatchedFdRestorer;
import io.cryostash.restore.files.DescriptorBatch;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.InetSocketFile;

/**
 * TCP and UDP sockets: created in the husk at their numbers (all of the image's in one
 * {@link DescriptorBatch}), then set up on the agent's copy (the same socket): options, address,
 * listen or connect, status flags. Listeners and unconnected sockets
 * come first, then established connections, which {@link TcpRepairWriter} rebuilds in repair
 * mode — or, when the restore was asked to close them ({@code --tcp-close}), leaves as fresh
 * unconnected sockets on which the program's next read or write fails. The network lock the
 * capture put on the connections is released once all are rebuilt, before they leave repair mode.
 * A UDP socket gets its queued datagrams again, from their senders ({@link UdpRequeue}).
 */
public final class InetSocketRestore implements BatchedFdRestorer {
    static final int O_NONBLOCK = 04000;
    private final FdEntry.Kind kind;

    private InetSocketRestore(FdEntry.Kind kind) {
        this.kind = kind;
    }

    public static InetSocketRestore tcp() {
        return new InetSocketRestore(FdEntry.Kind.TCP_SOCKET);
    }

    public static InetSocketRestore udp() {
        return new InetSocketRestore(FdEntry.Kind.UDP_SOCKET);
    }

    @Override
    public FdEntry.Kind kind() {
        return kind;
    }

    @Override
    public void create(FdRestoreContext ctx, List<FdEntry> entries, DescriptorBatch batch) {
        int type = kind == FdEntry.Kind.TCP_SOCKET ? SOCK_STREAM : SOCK_DGRAM;
        for (FdEntry e : entries) {
            InetSocketFile f = (InetSocketFile) e.file();
            batch.create(e, "socket", SyscallNumbers.SOCKET, f.family(), type, f.protocol());
        }
    }

    @Override
    public void finish(FdRestoreContext ctx, List<FdEntry> entries) {
        Map<LocalFd, InetSocketFile> repaired = new LinkedHashMap<>();
        try {
            for (boolean established : new boolean[] {false, true}) {
                for (FdEntry e : entries) {
                    InetSocketFile f = (InetSocketFile) e.file();
                    if ((f.state() == InetSocketFile.State.ESTABLISHED) == established) {
                        LocalFd kept = restoreOne(ctx, e, f);
                        if (kept != null) {
                            repaired.put(kept, f);
                        }
                    }
                }
            }
            // every connection exists again (in repair mode, or closed with --tcp-close): their packets may pass
            NetworkLockRelease.release(NetworkLockRelease.tables(entries));
            repaired.forEach(TcpRepairWriter::finish);
        } finally {
            repaired.keySet().forEach(LocalFd::close);
        }
    }

    /** @return the agent's copy of a connection left in repair mode, to finish once all are rebuilt */
    private LocalFd restoreOne(FdRestoreContext ctx, FdEntry e, InetSocketFile f) {
        LocalFd kept = null;
        LocalFd s = ctx.take(e.fd());
        try {
            setOptions(s, f.options());
            switch (f.state()) {
                case LISTENING -> {
                    bind(s, e, f.local());
                    s.listen(Math.max(f.backlog(), 1));
                }
                case UNCONNECTED -> {
                    if (port(f.local()) != 0) {
                        bind(s, e, f.local());
                    }
                    UdpRequeue.deliver(f.local(), f.queued());
                }
                case CONNECTED -> {
                    if (port(f.local()) != 0) {
                        bind(s, e, f.local());
                    }
                    s.connect(f.peer());
                    UdpRequeue.deliver(s.sockname(), f.queued());
                }
                case ESTABLISHED -> {
                    if (!ctx.closeTcpConnections()) {
                        TcpRepairWriter.rebuild(s, e, f);
                        kept = s;
                    }
                }
                default -> throw new IllegalStateException(f.state().toString());
            }
            ctx.statusFlags(e, O_NONBLOCK, s);
        } catch (FdException ex) {
            throw new RestoreException("cannot restore descriptor " + e.fd() + " (" + e.target() + ", "
                    + InetAddresses.describe(f.local()) + (f.peer() == null ? "" : " to " + InetAddresses.describe(f.peer()))
                    + "): " + ex.getMessage() + (f.state() == InetSocketFile.State.ESTABLISHED
                    ? " (restore on the host and address it had, or with --tcp-close)" : ""), ex);
        } finally {
            if (kept == null) {
                s.close();
            }
        }
        return kept;
    }

    private static void bind(LocalFd s, FdEntry e, byte[] address) {
        try {
            s.bind(address);
        } catch (FdException ex) {
            throw new RestoreException("cannot bind descriptor " + e.fd() + " to " + InetAddresses.describe(address)
                    + ": " + (ex.errno() == 98 ? "the address is in use (is the original still running?)"
                    : ex.errno() == 99 ? "this host does not have that address" : ex.getMessage()), ex);
        }
    }

    static void setOptions(LocalFd s, Map<String, Integer> options) {
        for (SocketOptions.IntOption o : SocketOptions.KEPT) {
            Integer v = options.get(o.name());
            if (v != null) {
                s.setsockoptInt(o.level(), o.option(), v);
            }
        }
    }

    static int port(byte[] sockaddr) {
        return ((sockaddr[2] & 0xff) << 8) | (sockaddr[3] & 0xff);
    }
}
