// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operating-system account the embedded PostgreSQL runs as. A catalog started by root runs it
 * as an unprivileged system account (created with useradd when missing), so that whatever runs
 * inside the database server runs without root's rights; a catalog started by anyone else runs it
 * as that same user, who is unprivileged already.
 *
 * @param name     account name
 * @param uid      its user id
 * @param gid      its primary group id
 * @param separate whether it differs from the catalog's own user (commands then go through setpriv)
 */
public record DatabaseAccount(String name, int uid, int gid, boolean separate) {

    private static final Logger log = LoggerFactory.getLogger(DatabaseAccount.class);
    /** What useradd accepts and what is safe on a command line. */
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z_][a-z0-9_-]{0,31}");

    /**
     * The account for a catalog running as the current user: {@code wanted} (created when missing)
     * when that user is root, else the current user.
     */
    public static DatabaseAccount forCatalog(String wanted) throws IOException {
        int euid = currentUid();
        if (euid != 0) {
            int egid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
            return new DatabaseAccount(System.getProperty("user.name"), euid, egid, false);
        }
        if (!NAME.matcher(wanted).matches()) {
            throw new IllegalStateException("Database account name '" + wanted + "' is not a valid user name "
                    + "(cryostash.catalog.embedded-db-user: lower-case letters, digits, _ and -)");
        }
        Optional<DatabaseAccount> found = lookup(wanted);
        if (found.isPresent()) return refuseRoot(found.get());
        log.info("Creating system account {} for the embedded PostgreSQL", wanted);
        Commands.Result r = Commands.run(List.of("useradd", "--system", "--user-group", "--no-create-home",
                "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                "--comment", "Cryostash catalog database", wanted), null);
        // Another catalog may have created it at the same moment: look again before giving up.
        return refuseRoot(lookup(wanted).orElseThrow(() -> new IllegalStateException(
                "Could not create the system account " + wanted + " for the embedded PostgreSQL (useradd: "
                        + r.output().strip() + "). Create it yourself (useradd --system --user-group " + wanted
                        + ") or name another one with cryostash.catalog.embedded-db-user.")));
    }

    /** The effective uid of this process (the owner of /proc/self). */
    public static int currentUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    private static DatabaseAccount refuseRoot(DatabaseAccount a) {
        if (a.uid == 0 || a.gid == 0) {
            throw new IllegalStateException("The database account " + a.name + " has uid " + a.uid + " and gid " + a.gid
                    + ": the embedded PostgreSQL must not run with root's ids; name an unprivileged account");
        }
        return a;
    }

    private static Optional<DatabaseAccount> lookup(String name) throws IOException {
        Commands.Result r = Commands.run(List.of("getent", "passwd", name), null);
        if (r.exitCode() != 0) return Optional.empty();
        String[] f = r.output().strip().split(":");
        if (f.length < 4) throw new IllegalStateException("getent passwd " + name + " answered " + r.output().strip());
        return Optional.of(new DatabaseAccount(name, Integer.parseInt(f[2]), Integer.parseInt(f[3]), true));
    }

    /**
     * {@code command} as this account runs it: through setpriv with the account's uid and gid, no
     * supplementary groups and no way to gain privileges again (setuid programs included).
     */
    public List<String> command(List<String> command) {
        if (!separate) return command;
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"));
        c.addAll(command);
        return c;
    }
}
