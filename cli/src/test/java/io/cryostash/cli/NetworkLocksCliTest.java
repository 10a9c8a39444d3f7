// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import io.cryostash.agent.network.LockedConnection;
import io.cryostash.agent.network.NetworkLocks;

class NetworkLocksCliTest {
    @Test
    void networkLocksListsALockAndReleasesIt() {
        NetworkLocks locks = NetworkLocks.onThisHost();
        Assumptions.assumeTrue(locks != null, "needs nft");
        InetAddress lo = InetAddress.getLoopbackAddress();
        String table = locks.lock(4242, "pid 4242 (cli-test)", List.of(new LockedConnection(lo, 1, lo, 2)));
        try {
            CliRoundTripTest.Run list = CliRoundTripTest.cli("network-locks");
            assertThat(list.exit()).as(list.err()).isZero();
            assertThat(list.out()).contains(table + "  pid 4242 (cli-test), 1 TCP connection(s)");

            CliRoundTripTest.Run release = CliRoundTripTest.cli("network-locks", "--release", table);
            assertThat(release.exit()).as(release.err()).isZero();
            assertThat(release.out()).contains("released " + table);
            assertThat(locks.list()).noneMatch(l -> l.table().equals(table));

            CliRoundTripTest.Run again = CliRoundTripTest.cli("network-locks", "--release", table);
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.out()).contains("no lock " + table);
        } finally {
            locks.release(table);
        }
    }
}
