// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.inet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

import io.cryostash.agent.linux.FdException;
import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SocketOptions;
import io.cryostash.agent.proc.FdInfo;
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
 * ({@link FdCaptureContext#beforeKill}), so that its death sends the peer neither FIN nor RST. Other TCP states (a connection
 * being opened or closed) are refused. UDP datagrams queued to read are not kept (UDP may lose
 * datagrams anyway; the capture's notes say how many bytes).
 */
public final class InetSocketCapture implements FdCapturer {
    static final int TCP_ESTABLISHED = 1;
    static final int TCP_CLOSE = 7;
    static final int TCP_LISTEN = 10;
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

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        LocalFd s = ctx.take(info.fd());
        boolean held = false;
        try {
            int family = s.getsockoptInt(SocketOptions.SOL_SOCKET, SocketOptions.SO_DOMAIN);
            byte[] local = s.sockname();
            byte[] peer = s.peername();
            Map<String, Integer> options = new LinkedHashMap<>();
            for (SocketOptions.IntOption o : SocketOptions.KEPT) {
                if (o.level() == SocketOptions.IPPROTO_TCP && kind != FdEntry.Kind.TCP_SOCKET
                        || o.level() == SocketOptions.IPPROTO_IPV6 && family != 10) {
                    continue;
                }
                try {
                    options.put(o.name(), s.getsockoptInt(o.level(), o.option()));
                } catch (FdException notForThisSocket) {
                    // an option this socket does not have
                }
            }
            if (kind == FdEntry.Kind.UDP_SOCKET) {
                int queued = s.available();
                if (queued > 0) {
                    ctx.note("fd " + info.fd() + " (" + info.target() + "), a UDP socket: the datagram(s) queued to read"
                            + " (" + queued + " bytes next) are not kept");
                }
                return slot.withFile(new InetSocketFile(family, 17, peer == null ? InetSocketFile.State.UNCONNECTED
                        : InetSocketFile.State.CONNECTED, local, peer, 0, options, null));
            }
            ByteBuffer tcpInfo = ByteBuffer.wrap(s.getsockopt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_INFO, 104))
                    .order(ByteOrder.LITTLE_ENDIAN);
            int state = tcpInfo.get(0) & 0xff;
            switch (state) {
                case TCP_LISTEN -> {
                    int waiting = tcpInfo.getInt(24);
                    if (waiting > 0) {
                        ctx.note("fd " + info.fd() + " (" + info.target() + "), a listening TCP socket: " + waiting
                                + " connection(s) not accepted yet are not kept (their clients see a reset)");
                    }
                    return slot.withFile(new InetSocketFile(family, 6, InetSocketFile.State.LISTENING, local, null,
                            tcpInfo.getInt(28), options, null));
                }
                case TCP_CLOSE -> {
                    return slot.withFile(new InetSocketFile(family, 6, InetSocketFile.State.UNCONNECTED, local, null, 0,
                            options, null));
                }
                case TCP_ESTABLISHED -> {
                    if (!ctx.readState()) {
                        return slot;
                    }
                    InetSocketFile.TcpRepair repair;
                    Runnable unguard = ctx.guardRepair(info.fd()); // an agent dying in repair mode: the helper ends it
                    try {
                        repair = TcpRepairReader.read(s, tcpInfo);
                    } finally {
                        unguard.run();
                    }
                    held = true;
                    java.util.concurrent.atomic.AtomicReference<Runnable> killGuard = new java.util.concurrent.atomic
                            .AtomicReference<>(() -> { });
                    ctx.beforeKill(() -> {
                        killGuard.set(ctx.guardRepair(info.fd())); // until the kill: the agent may die first
                        TcpRepairReader.enterRepair(s);
                    });
                    ctx.onRelease(killed -> { // after a kill, closed in repair mode: the peer is sent nothing
                        s.close();
                        killGuard.get().run();
                    });
                    return slot.withFile(new InetSocketFile(family, 6, InetSocketFile.State.ESTABLISHED, local, peer, 0,
                            options, repair));
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
