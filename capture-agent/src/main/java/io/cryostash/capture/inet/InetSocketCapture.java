// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.inet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.LoggerFactory;

import io.cryostash.agent.linux.FdException;
import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SocketOptions;
import io.cryostash.agent.network.LockedConnection;
import io.cryostash.agent.network.NetworkLockException;
import io.cryostash.agent.network.NetworkLocks;
import io.cryostash.agent.proc.FdInfo;
import io.cryostash.capture.CaptureException;
import io.cryostash.capture.files.ConnectionPolicy;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.FdCapturer;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.InetSocketFile;

/**
 * TCP and UDP sockets, read on the agent's copy (pidfd_getfd). Listening and unconnected
 * sockets keep their address, backlog and options. An established TCP connection is put in
 * repair mode (TCP_REPAIR) while the process is frozen and read as the kernel keeps it:
 * sequence numbers, the bytes sent and not acknowledged, written and not sent, received and not
 * read, window, MSS, window scales, SACK and the timestamp clock, then switched off again at once
 * (an agent dying later must not leave the program with sockets in repair mode; one dying
 * meanwhile is covered by the tracer helper, see {@link io.cryostash.capture.files.RepairGuard}). The agent keeps
 * its copy of the socket; if the process is to be killed, repair mode goes on again just before
 * ({@link FdCaptureContext#beforeKill}), so that its death sends the peer neither FIN nor RST.
 * The established connections of a process are read together ({@link #prepare}): one request
 * to the tracer helper registers them all before repair mode goes on and one forgets them, and
 * the same again around the kill, instead of four round trips per connection. A UDP socket keeps
 * the datagrams queued to read, with their senders ({@link UdpQueue}). When the process
 * is to be killed, its connections are locked on the network first ({@link NetworkLocks}), so
 * that nothing its peers send from then until the restore is acknowledged or reset; the lock's
 * name goes into each connection's entry for the restore to release, and a capture that fails
 * releases it. Other TCP states (a connection
 * being opened or closed) are refused.
 */
public final class InetSocketCapture implements FdCapturer {
    static final int TCP_ESTABLISHED = SocketOptions.TCP_ESTABLISHED;
    static final int TCP_CLOSE = SocketOptions.TCP_CLOSE;
    static final int TCP_LISTEN = SocketOptions.TCP_LISTEN;
    private final FdEntry.Kind kind;

    private InetSocketCapture(FdEntry.Kind kind) {
        this.kind = kind;
    }

    public static InetSocketCapture tcp() {
        return new InetSocketCapture(FdEntry.Kind.TCP_SOCKET);
    }

    public static InetSocketCapture udp() {
        return new InetSocketCapture(FdEntry.Kind.UDP_SOCKET);
    }

    @Override
    public FdEntry.Kind kind() {
        return kind;
    }

    /** An established connection read in {@link #prepare}: the agent's copy, tcp_info, and the repair state or why not. */
    private record Prepared(LocalFd socket, Addresses addresses, ByteBuffer tcpInfo, InetSocketFile.TcpRepair repair,
                            RuntimeException failure, String networkLock) {
    }

    /**
     * Reads every established connection in repair mode under one guard request, and registers
     * one kill hook and one release for all of them; {@link #capture} then only assembles.
     */
    @Override
    public void prepare(FdCaptureContext ctx, List<FdInfo> descriptors) {
        if (!ctx.readState() || kind != FdEntry.Kind.TCP_SOCKET) {
            return;
        }
        Map<Integer, LocalFd> established = new LinkedHashMap<>();
        Map<Integer, ByteBuffer> infos = new LinkedHashMap<>();
        Map<Integer, Addresses> addresses = new LinkedHashMap<>();
        try {
            for (FdInfo info : descriptors) {
                LocalFd s = ctx.take(info.fd());
                ByteBuffer tcpInfo = tcpInfo(s);
                if ((tcpInfo.get(0) & 0xff) == TCP_ESTABLISHED) {
                    established.put(info.fd(), s);
                    infos.put(info.fd(), tcpInfo);
                    addresses.put(info.fd(), addresses(s));
                } else {
                    s.close(); // read again in capture: a listener or unconnected socket costs no guard
                }
            }
        } catch (RuntimeException e) {
            established.values().forEach(LocalFd::close);
            return; // each is then captured alone, which reports what is wrong with it
        }
        if (established.isEmpty()) {
            return;
        }
        int[] fds = established.keySet().stream().mapToInt(Integer::intValue).toArray();
        ConnectionPolicy policy = ctx.connections();
        String lock;
        try {
            lock = policy.locksNetwork() ? lockNetwork(ctx, policy.locks(), addresses) : null; // before the queues are read
        } catch (RuntimeException e) {
            established.values().forEach(LocalFd::close);
            throw e;
        }
        if (lock == null && policy.kill()) {
            ctx.note(established.size() + " TCP connection(s) not locked on the network (--no-network-lock): bytes"
                    + " their peers send from now until the restore are lost, or answered with a reset once the process"
                    + " is killed");
        }
        Runnable unguard = ctx.guardRepairs(fds); // an agent dying in repair mode: the helper ends it
        try {
            for (Map.Entry<Integer, LocalFd> c : established.entrySet()) {
                ByteBuffer tcpInfo = infos.get(c.getKey());
                InetSocketFile.TcpRepair repair = null;
                RuntimeException failure = null;
                try {
                    repair = TcpRepairReader.read(c.getValue(), tcpInfo);
                } catch (RuntimeException e) {
                    failure = e;
                }
                ctx.learn(new PreparedKey(c.getKey()), new Prepared(c.getValue(), addresses.get(c.getKey()), tcpInfo, repair,
                        failure, lock));
            }
        } finally {
            unguard.run();
        }
        AtomicReference<Runnable> killGuard = new AtomicReference<>(() -> { });
        ctx.beforeKill(() -> {
            killGuard.set(ctx.guardRepairs(fds)); // until the kill: the agent may die first
            for (LocalFd s : established.values()) {
                try {
                    TcpRepairReader.enterRepair(s);
                } catch (RuntimeException e) {
                    // the process is killed either way; this connection then ends with a FIN
                }
            }
        });
        ctx.onRelease(killed -> { // after a kill, closed in repair mode: the peer is sent nothing
            established.values().forEach(LocalFd::close);
            killGuard.get().run();
            if (lock != null && !killed) { // it runs on (the capture failed): its connections must flow again
                unlock(lock);
            }
        });
    }

    /** Never throws: a release that fails must not keep the process from being resumed. */
    private static void unlock(String table) {
        try {
            NetworkLocks.onThisHost().release(table);
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(InetSocketCapture.class).warn("the capture failed and the process runs on, but its"
                    + " network lock {} could not be released ({}): run `cryostash network-locks --release {}`", table,
                    e.getMessage(), table);
        }
    }

    /**
     * Locks the network of the established connections (see {@link NetworkLocks}) until their
     * restore, or refuses the capture: killing the process with its connections unlocked would
     * lose what their peers send meanwhile, which only {@code --no-network-lock} accepts.
     *
     * @return the lock's table
     */
    private static String lockNetwork(FdCaptureContext ctx, NetworkLocks locks, Map<Integer, Addresses> established) {
        List<LockedConnection> connections = new ArrayList<>();
        for (Addresses a : established.values()) {
            if (a.local() != null && a.peer() != null) {
                connections.add(LockedConnection.of(a.local(), a.peer()));
            }
        }
        String why;
        if (locks == null) {
            why = NetworkLocks.unavailable();
        } else {
            try {
                long t0 = System.nanoTime();
                String table = locks.lock(ctx.pid(), FdCaptureContext.describe(ctx.pid()) + " captured at " + Instant.now(),
                        connections);
                long micros = (System.nanoTime() - t0) / 1000; // inside the freeze: the output shows what it cost
                ctx.note(connections.size() + " TCP connection(s) locked on the network (nftables table inet " + table
                        + ", " + String.format("%.1f", micros / 1000.0) + " ms while frozen) until restored: their peers'"
                        + " packets are dropped, not answered; `cryostash network-locks"
                        + " --release " + table + "` lets them go if this image is not restored");
                return table;
            } catch (NetworkLockException e) {
                why = e.getMessage();
            }
        }
        throw new CaptureException(FdCaptureContext.describe(ctx.pid()) + " has " + connections.size() + " established TCP"
                + " connection(s) and is to be killed, but they cannot be locked on the network (" + why + "): bytes"
                + " their peers send until the restore would be lost, or answered with a reset. Nothing was killed and"
                + " the process runs on. Install nftables, or checkpoint again with --no-network-lock to accept that loss.");
    }

    /**
     * Connections waiting in a listener's accept queue cannot be put back into one: a capture that
     * kills the process would reset them, so it refuses unless the user gave them up.
     */
    private static void inFlight(FdCaptureContext ctx, FdInfo info, int waiting) {
        String what = "fd " + info.fd() + " (" + info.target() + "), a listening TCP socket, has " + waiting
                + " connection(s) not accepted yet";
        ConnectionPolicy policy = ctx.connections();
        if (policy.kill() && !policy.skipInFlight()) {
            throw new CaptureException(FdCaptureContext.describe(ctx.pid()) + ": " + what + ", which an image cannot"
                    + " hold: killing the process would reset them. Nothing was killed and the process runs on. Checkpoint"
                    + " again once it has accepted them, or with --tcp-skip-in-flight to give them up (their clients see"
                    + " a reset).");
        }
        ctx.note(what + (policy.kill() ? ": given up (--tcp-skip-in-flight), their clients see a reset"
                : ": not in the image (the process runs on and can still accept them)"));
    }

    /** What {@link #prepare} learned about a descriptor is kept under this key. */
    private record PreparedKey(int fd) {
    }

    /** Family, addresses and kept options: read before repair mode, whose end clears SO_REUSEADDR. */
    private record Addresses(int family, byte[] local, byte[] peer, Map<String, Integer> options) {
    }

    private Addresses addresses(LocalFd s) {
        int family = s.getsockoptInt(SocketOptions.SOL_SOCKET, SocketOptions.SO_DOMAIN);
        byte[] local = s.sockname();
        byte[] peer = s.peername();
        Map<String, Integer> options = new LinkedHashMap<>();
        for (SocketOptions.IntOption o : SocketOptions.KEPT) {
            if (o.level() == SocketOptions.IPPROTO_TCP && kind != FdEntry.Kind.TCP_SOCKET
                    || o.level() == SocketOptions.IPPROTO_IPV6 && family != SocketOptions.AF_INET6) {
                continue;
            }
            try {
                options.put(o.name(), s.getsockoptInt(o.level(), o.option()));
            } catch (FdException notForThisSocket) {
                // an option this socket does not have
            }
        }
        return new Addresses(family, local, peer, options);
    }

    private static ByteBuffer tcpInfo(LocalFd s) {
        return ByteBuffer.wrap(s.getsockopt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_INFO, 104))
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        Prepared prepared = ctx.learned(new PreparedKey(info.fd()));
        if (prepared != null && prepared.failure() != null) {
            throw prepared.failure();
        }
        LocalFd s = prepared != null ? prepared.socket() : ctx.take(info.fd());
        boolean held = prepared != null; // prepare's release closes it
        try {
            Addresses a = prepared != null ? prepared.addresses() : addresses(s);
            int family = a.family();
            byte[] local = a.local();
            byte[] peer = a.peer();
            Map<String, Integer> options = a.options();
            if (kind == FdEntry.Kind.UDP_SOCKET) {
                List<InetSocketFile.Datagram> queued = ctx.readState() ? UdpQueue.peek(s) : List.of();
                return slot.withFile(new InetSocketFile(family, 17, peer == null ? InetSocketFile.State.UNCONNECTED
                        : InetSocketFile.State.CONNECTED, local, peer, 0, options, null, null, queued));
            }
            ByteBuffer tcpInfo = prepared != null ? prepared.tcpInfo() : tcpInfo(s);
            int state = tcpInfo.get(0) & 0xff;
            switch (state) {
                case TCP_LISTEN -> {
                    int waiting = tcpInfo.getInt(24); // tcpi_unacked of a listener: its accept queue
                    if (waiting > 0) {
                        inFlight(ctx, info, waiting);
                    }
                    return slot.withFile(new InetSocketFile(family, 6, InetSocketFile.State.LISTENING, local, null,
                            tcpInfo.getInt(28), options, null, null, null));
                }
                case TCP_CLOSE -> {
                    return slot.withFile(new InetSocketFile(family, 6, InetSocketFile.State.UNCONNECTED, local, null, 0,
                            options, null, null, null));
                }
                case TCP_ESTABLISHED -> {
                    if (!ctx.readState()) {
                        return slot;
                    }
                    if (prepared != null) {
                        return slot.withFile(new InetSocketFile(family, 6, InetSocketFile.State.ESTABLISHED, local, peer,
                                0, options, prepared.repair(), prepared.networkLock(), null));
                    }
                    InetSocketFile.TcpRepair repair;
                    // read alone (prepare could not read it with the others): locked alone
                    ConnectionPolicy policy = ctx.connections();
                    String lock = policy.locksNetwork() ? lockNetwork(ctx, policy.locks(), Map.of(info.fd(), a)) : null;
                    if (lock == null && policy.kill()) {
                        ctx.note("fd " + info.fd() + ", a TCP connection not locked on the network (--no-network-lock):"
                                + " bytes its peer sends from now until the restore are lost, or answered with a reset");
                    }
                    Runnable unguard = ctx.guardRepair(info.fd()); // an agent dying in repair mode: the helper ends it
                    try {
                        repair = TcpRepairReader.read(s, tcpInfo);
                    } catch (RuntimeException e) {
                        if (lock != null) {
                            unlock(lock); // refused: the process runs on
                        }
                        throw e;
                    } finally {
                        unguard.run();
                    }
                    held = true;
                    AtomicReference<Runnable> killGuard = new AtomicReference<>(() -> { });
                    ctx.beforeKill(() -> {
                        killGuard.set(ctx.guardRepair(info.fd())); // until the kill: the agent may die first
                        TcpRepairReader.enterRepair(s);
                    });
                    ctx.onRelease(killed -> { // after a kill, closed in repair mode: the peer is sent nothing
                        s.close();
                        killGuard.get().run();
                        if (lock != null && !killed) {
                            unlock(lock);
                        }
                    });
                    return slot.withFile(new InetSocketFile(family, 6, InetSocketFile.State.ESTABLISHED, local, peer, 0,
                            options, repair, lock, null));
                }
                default -> throw new Unsavable("a TCP connection in state " + stateName(state)
                        + " (being opened or closed; only established ones can be saved)");
            }
        } finally {
            if (!held) {
                s.close();
            }
        }
    }

    static String stateName(int state) {
        return switch (state) {
            case 2 -> "SYN_SENT";
            case 3 -> "SYN_RECV";
            case 4 -> "FIN_WAIT1";
            case 5 -> "FIN_WAIT2";
            case 6 -> "TIME_WAIT";
            case 8 -> "CLOSE_WAIT";
            case 9 -> "LAST_ACK";
            case 11 -> "CLOSING";
            default -> Integer.toString(state);
        };
    }
}
