// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.List;
import java.util.concurrent.Callable;

import io.cryostash.agent.network.NetworkLocks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "network-locks", description = "List the TCP connections of killed processes whose packets this host"
        + " drops until their image is restored (checkpoint --kill locks them; restore releases them), or release"
        + " them: --release TABLE, or --release-all. A released connection's peer gets a reset on its next packet.")
final class NetworkLocksCommand implements Callable<Integer> {
    @Option(names = "--release", paramLabel = "<table>", description = "release this lock (as listed)")
    List<String> release = List.of();

    @Option(names = "--release-all", description = "release every Cryostash network lock on this host")
    boolean releaseAll;

    @Override
    public Integer call() {
        NetworkLocks locks = NetworkLocks.onThisHost();
        if (locks == null) {
            System.out.println("no network locks: " + NetworkLocks.unavailable());
            return 0;
        }
        List<String> todo = releaseAll ? locks.list().stream().map(NetworkLocks.Lock::table).toList() : release;
        if (todo.isEmpty()) {
            List<NetworkLocks.Lock> all = locks.list();
            all.forEach(l -> System.out.println(l.table() + "  " + l.description()));
            System.out.println(all.size() + " network lock(s)");
            return 0;
        }
        int missing = 0;
        for (String table : todo) {
            if (locks.release(table)) {
                System.out.println("released " + table);
            } else {
                System.out.println("no lock " + table + " on this host");
                missing++;
            }
        }
        return missing == 0 ? 0 : 1;
    }
}
