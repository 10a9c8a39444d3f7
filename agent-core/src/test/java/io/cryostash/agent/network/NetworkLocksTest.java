// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.network;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class NetworkLocksTest {
    @Test
    void anIpv4MappedPeerOfAnIpv6SocketIsLockedAsIpv4() {
        byte[] v6 = new byte[28];
        v6[0] = 10;
        v6[3] = 80; // port 80
        v6[18] = (byte) 0xff;
        v6[19] = (byte) 0xff;
        v6[20] = 127;
        v6[23] = 1;
        byte[] v4 = {2, 0, (byte) 0x9c, 0x40, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}; // 127.0.0.1:40000

        LockedConnection c = LockedConnection.of(v6, v4);

        assertThat(c.ipv4()).isTrue();
        assertThat(c.element()).isEqualTo("127.0.0.1 . 80 . 127.0.0.1 . 40000");
    }

    @Test
    void aLockedConnectionReceivesNothingUntilReleasedThenEverything() throws Exception {
        NetworkLocks locks = NetworkLocks.onThisHost();
        Assumptions.assumeTrue(locks != null, "needs nft");
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                 Socket accepted = server.accept()) {
                LockedConnection c = new LockedConnection(accepted.getLocalAddress(), accepted.getLocalPort(),
                        accepted.getInetAddress(), accepted.getPort());
                String table = locks.lock(1, "pid 1 (test)", List.of(c));
                try {
                    assertThat(locks.list()).anySatisfy(l -> {
                        assertThat(l.table()).isEqualTo(table);
                        assertThat(l.description()).contains("pid 1 (test)").contains("1 TCP connection");
                    });
                    client.getOutputStream().write('x');
                    accepted.setSoTimeout(1000);
                    InputStream in = accepted.getInputStream();
                    boolean arrived;
                    try {
                        arrived = in.read() >= 0;
                    } catch (SocketTimeoutException dropped) {
                        arrived = false;
                    }
                    assertThat(arrived).as("a byte got through the lock").isFalse();
                } finally {
                    assertThat(locks.release(table)).isTrue();
                }
                accepted.setSoTimeout(60_000); // the client's retransmission
                assertThat(accepted.getInputStream().read()).isEqualTo('x');
                assertThat(locks.release(table)).as("released already").isFalse();
                assertThat(locks.list()).noneMatch(l -> l.table().equals(table));
            }
        }
    }
}
