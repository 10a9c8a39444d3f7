// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs a command as another local user ({@code nobody}, uid 65534), as an unprivileged person on the
 * catalog's machine would: no supplementary groups, an empty environment (no PGPASSWORD, no
 * ~/.pgpass). The tests run as root, which is what the catalog must protect against.
 */
final class OtherUser {

    static final int NOBODY = 65534;

    private OtherUser() {
    }

    static Commands.Result run(List<String> command) throws IOException {
        if (!Files.isExecutable(Path.of("/usr/bin/setpriv"))) throw new IllegalStateException("needs setpriv (util-linux)");
        if (command.get(0).equals("psql") && !Files.isExecutable(Path.of("/usr/bin/psql"))) {
            throw new IllegalStateException("needs /usr/bin/psql (Debian's postgresql-client) to try connecting as another user");
        }
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        c.addAll(command);
        return Commands.run(c, null, Path.of("/"));
    }

    /** The real, effective, saved and file-system uids of a process (/proc/PID/status "Uid:"). */
    static Set<Integer> realAndEffectiveUids(long pid) throws IOException {
        Set<Integer> uids = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith("Uid:")) {
                for (String f : line.substring(4).trim().split("\\s+")) uids.add(Integer.parseInt(f));
            }
        }
        return uids;
    }

    /** Local addresses with a TCP socket listening on {@code port} (/proc/net/tcp and tcp6, state 0A). */
    static Set<String> listeningAddresses(int port) throws IOException {
        Set<String> out = new TreeSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table)).stream().skip(1).toList()) {
                String[] f = line.trim().split("\\s+");
                String[] local = f[1].split(":");
                if (!f[3].equals("0A") || Integer.parseInt(local[1], 16) != port) continue;
                out.add(address(local[0]));
            }
        }
        return out;
    }

    /** /proc/net/tcp's hex address (little-endian words) as text; IPv6 ones stay hex. */
    private static String address(String hex) {
        if (hex.length() != 8) return hex;
        long v = Long.parseLong(hex, 16);
        return (v & 0xff) + "." + ((v >> 8) & 0xff) + "." + ((v >> 16) & 0xff) + "." + ((v >> 24) & 0xff);
    }
}
