// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.network;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Locks the network of TCP connections as CRIU does: from just before a capture that kills the
 * process reads their queues until their restore, the host drops every packet of theirs, both
 * ways, so that the kernel neither acknowledges bytes the image will not hold nor answers the
 * peer with a reset while no socket exists. The peer sees silence and retransmits; once the
 * connection is rebuilt and the lock released, its next retransmission is received.
 *
 * <p>Each lock is one nftables table of its own ({@code inet cryostash_lock_<pid>_<random>}),
 * made and removed in one atomic nft transaction each, so concurrent captures and restores never
 * touch each other's rules. The table is its own record: it stays in the kernel until a restore
 * (or {@code cryostash network-locks --release}) deletes it, and its comment names the process
 * and the connections. The image names the table, so its restore releases it, after a failure
 * too. Driven through the {@code nft} program (Debian's nftables package).
 */
public final class NetworkLocks {
    public static final String TABLE_PREFIX = "cryostash_lock_";
    private static final Pattern TABLE = Pattern.compile("table inet (" + TABLE_PREFIX + "[A-Za-z0-9_]+)");
    private static final Pattern COMMENT = Pattern.compile("comment \"([^\"]*)\"");
    private static final long TIMEOUT_SECONDS = 20;
    private final String nft;

    private NetworkLocks(String nft) {
        this.nft = nft;
    }

    /** The host's nft program, or null when it is not installed. */
    public static NetworkLocks onThisHost() {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(dir, "nft");
            if (Files.isExecutable(p)) {
                return new NetworkLocks(p.toString());
            }
        }
        return null;
    }

    /** Why there is no lock here, for a capture's notes. */
    public static String unavailable() {
        return "nft (Debian package nftables) is not installed";
    }

    /** A lock table that exists now: its name and what its comment says. */
    public record Lock(String table, String description) {
    }

    /**
     * Drops every packet of these connections, both ways, until {@link #release}. One
     * transaction: the connections are all locked, or none is.
     *
     * @param owner who holds them, for the table's comment ("pid 12 (server)")
     * @param pid   the process, part of the table's name
     * @return the table's name, to keep in the image
     */
    public String lock(int pid, String owner, Collection<LockedConnection> connections) {
        String table = TABLE_PREFIX + pid + "_" + HexFormat.of().formatHex(randomBytes(6));
        Set<LockedConnection> unique = new LinkedHashSet<>(connections);
        List<String> v4 = new ArrayList<>();
        List<String> v6 = new ArrayList<>();
        for (LockedConnection c : unique) {
            (c.ipv4() ? v4 : v6).add(c.element());
        }
        String comment = (owner + ", " + unique.size() + " TCP connection(s)").replace('"', '\'');
        StringBuilder s = new StringBuilder();
        s.append("table inet ").append(table).append(" {\n");
        s.append("  comment \"").append(comment, 0, Math.min(comment.length(), 120)).append("\"\n");
        set(s, "c4", "ipv4_addr", v4);
        set(s, "c6", "ipv6_addr", v6);
        // raw priority: before conntrack and any other filter; the sets hold (local, port, peer, port)
        s.append("  chain in {\n    type filter hook input priority raw; policy accept;\n");
        s.append("    ip daddr . tcp dport . ip saddr . tcp sport @c4 drop\n");
        s.append("    ip6 daddr . tcp dport . ip6 saddr . tcp sport @c6 drop\n  }\n");
        s.append("  chain out {\n    type filter hook output priority raw; policy accept;\n");
        s.append("    ip saddr . tcp sport . ip daddr . tcp dport @c4 drop\n");
        s.append("    ip6 saddr . tcp sport . ip6 daddr . tcp dport @c6 drop\n  }\n}\n");
        run(s.toString(), "-f", "-");
        return table;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static void set(StringBuilder s, String name, String type, List<String> elements) {
        s.append("  set ").append(name).append(" {\n    type ").append(type).append(" . inet_service . ")
                .append(type).append(" . inet_service\n");
        if (!elements.isEmpty()) {
            s.append("    elements = { ").append(String.join(",\n      ", elements)).append(" }\n");
        }
        s.append("  }\n");
    }

    /**
     * Removes a lock: its connections' packets pass again. A lock that is not there (released
     * already) is no error.
     *
     * @return whether it was there
     */
    public boolean release(String table) {
        if (!table.startsWith(TABLE_PREFIX) || !table.matches("[A-Za-z0-9_]+")) {
            throw new IllegalArgumentException("not a Cryostash network lock: " + table);
        }
        Result r = exec(null, "delete", "table", "inet", table);
        if (r.status == 0) {
            return true;
        }
        if (r.output.contains("No such file or directory")) {
            return false;
        }
        throw new NetworkLockException("cannot release network lock " + table + ": nft said " + r.output.strip());
    }

    /** The locks that exist on this host now (every Cryostash table, whoever made it). */
    public List<Lock> list() {
        String tables = run(null, "list", "tables", "inet");
        List<Lock> out = new ArrayList<>();
        Matcher m = TABLE.matcher(tables);
        while (m.find()) {
            String table = m.group(1);
            Result r = exec(null, "list", "table", "inet", table);
            if (r.status != 0) {
                continue; // released meanwhile
            }
            Matcher c = COMMENT.matcher(r.output);
            out.add(new Lock(table, c.find() ? c.group(1) : ""));
        }
        return out;
    }

    private String run(String stdin, String... args) {
        Result r = exec(stdin, args);
        if (r.status != 0) {
            throw new NetworkLockException("nft " + String.join(" ", args) + " failed (exit " + r.status + "): "
                    + r.output.strip());
        }
        return r.output;
    }

    private record Result(int status, String output) {
    }

    private Result exec(String stdin, String... args) {
        List<String> command = new ArrayList<>();
        command.add(nft);
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (InputStream o = p.getInputStream()) {
                o.transferTo(out);
            }
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NetworkLockException("nft " + String.join(" ", args) + " did not finish in "
                        + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new NetworkLockException("cannot run " + nft + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetworkLockException("interrupted while nft ran", e);
        }
    }
}
