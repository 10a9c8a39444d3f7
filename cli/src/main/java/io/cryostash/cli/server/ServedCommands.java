// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.server;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which command lines a daemon runs for a client. Not: the services (they run for as long as
 * their own process), a terminal relay (it needs the client's terminal), argument files (read
 * relative to a working directory picocli takes from the JVM), and any command of a client whose
 * configuration differs from the daemon's: the environment variables Cryostash reads (its own,
 * S3's, HOME) decide stores, catalogs and credentials, and a daemon only answers for the one it
 * was started with. What is not served runs in a JVM of its own, as without a daemon.
 */
final class ServedCommands {
    private static final Set<String> SERVICES = Set.of("agent", "up", "catalog", "kafka", "demo", "daemon");

    private ServedCommands() {
    }

    /** Why this request is not served here, or empty when it is. */
    static Optional<String> refusal(ClientRequest r, Map<String, String> ownEnv) {
        String command = r.args().stream().filter(a -> !a.startsWith("-")).findFirst().orElse("");
        if (SERVICES.contains(command)) {
            return Optional.of("'" + command + "' is a service: it runs in a process of its own");
        }
        if (r.args().contains("--new-pty")) {
            return Optional.of("--new-pty relays the client's terminal");
        }
        if (r.args().stream().anyMatch(a -> a.startsWith("@"))) {
            return Optional.of("argument files are read by the command's own process");
        }
        for (String key : union(r.env(), ownEnv)) {
            if (configures(key) && !Objects.equals(r.env().get(key), ownEnv.get(key))) {
                return Optional.of("the client's $" + key + " is not the daemon's");
            }
        }
        return Optional.empty();
    }

    /** Environment variables that change what a command works on or with. */
    static boolean configures(String key) {
        return key.startsWith("CRYOSTASH_") || key.startsWith("AWS_") || key.equals("HOME");
    }

    private static Set<String> union(Map<String, String> a, Map<String, String> b) {
        java.util.Set<String> keys = new java.util.TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        return keys;
    }
}
