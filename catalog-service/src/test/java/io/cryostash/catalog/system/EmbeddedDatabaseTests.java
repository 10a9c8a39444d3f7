// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import javax.sql.DataSource;

import io.cryostash.catalog.CatalogTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The catalog's embedded PostgreSQL as an attacker on the same machine meets it: another local
 * user, the catalog's own database role after an SQL injection, the files on disk.
 */
@CatalogTest
class EmbeddedDatabaseTests {

    @Autowired EmbeddedDatabase db;
    @Autowired DataSource dataSource;
    @Autowired JdbcClient jdbc;

    @Test
    void theServerAndEveryOneOfItsProcessesRunAsTheUnprivilegedAccount() throws Exception {
        DatabaseAccount account = db.account();
        assertThat(account.uid()).isNotZero();
        assertThat(account.name()).isEqualTo("cryostash-db");
        long pid = db.postmasterPid().orElseThrow();
        List<ProcessHandle> processes = ProcessHandle.of(pid).orElseThrow().descendants().toList();
        assertThat(processes).as("checkpointer, background writer, walwriter, … of the postmaster").isNotEmpty();
        assertThat(OtherUser.realAndEffectiveUids(pid)).containsOnly(account.uid());
        for (ProcessHandle p : processes) assertThat(OtherUser.realAndEffectiveUids(p.pid())).containsOnly(account.uid());
    }

    @Test
    void anotherLocalUserCannotConnectWithoutThePasswordNorReadIt() throws Exception {
        for (String role : List.of("postgres", "cryostash_owner", "cryostash_app")) {
            var r = OtherUser.run(List.of("psql", "host=127.0.0.1 port=" + db.port() + " user=" + role + " dbname=postgres",
                    "-w", "-c", "SELECT 1"));
            assertThat(r.exitCode()).as(r.output()).isNotZero();
            assertThat(r.output()).contains("no password supplied");
            r = OtherUser.run(List.of("psql", "host=127.0.0.1 port=" + db.port() + " user=" + role + " dbname=postgres"
                    + " password=postgres", "-w", "-c", "SELECT 1"));
            assertThat(r.output()).contains("password authentication failed");
        }
        assertThat(Path.of("/tmp/.s.PGSQL." + db.port())).as("no unix socket in world-writable /tmp").doesNotExist();
        var read = OtherUser.run(List.of("cat", db.passwordFile().toString()));
        assertThat(read.exitCode()).isNotZero();
        assertThat(read.output()).contains("Permission denied");
        var list = OtherUser.run(List.of("ls", db.dataDirectory().toString()));
        assertThat(list.output()).contains("Permission denied");
    }

    @Test
    void onlyScramPasswordsAreAcceptedAndOnlyOnTheLoopback() throws Exception {
        List<String> rules = Files.readAllLines(db.dataDirectory().resolve("pg_hba.conf")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertThat(rules).containsExactly("host all all 127.0.0.1/32 scram-sha-256");
        String cmdline = Files.readString(Path.of("/proc", String.valueOf(db.postmasterPid().orElseThrow()), "cmdline"));
        assertThat(cmdline).contains("listen_addresses=127.0.0.1").contains("unix_socket_directories=\0");
        assertThat(OtherUser.listeningAddresses(db.port())).containsExactly("127.0.0.1");
        assertThat(jdbc.sql("SELECT setting FROM pg_settings WHERE name = 'password_encryption'").query(String.class).single())
                .isEqualTo("scram-sha-256");
    }

    @Test
    void theCatalogsRoleIsNoSuperuserAndCannotRunPrograms() throws Exception {
        assertThat(jdbc.sql("SELECT current_user").query(String.class).single()).isEqualTo("cryostash_app");
        assertThat(jdbc.sql("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user")
                .query(Boolean.class).single()).isFalse();
        assertThat(jdbc.sql("SELECT count(*) FROM pg_class WHERE relowner = 'cryostash_app'::regrole").query(Long.class).single())
                .as("owns nothing").isZero();
        Path marker = Files.createTempDirectory("cryostash-copy-program").resolve("ran");
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.execute("COPY (SELECT 1) TO PROGRAM 'touch " + marker + "'"))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"));
        }
        assertThat(marker).doesNotExist();
        for (String sql : List.of("ALTER SYSTEM SET archive_command = 'true'", "CREATE TABLE evil (x int)",
                "CREATE FUNCTION evil() RETURNS int LANGUAGE sql AS 'SELECT 1'", "SELECT pg_read_file('/etc/passwd')")) {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.execute(sql)).as(sql).isInstanceOf(SQLException.class)
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"));
            }
        }
    }

    @Test
    void theCatalogsRoleCanAddToTheAuditLogButNotRewriteIt() throws Exception {
        long before = jdbc.sql("SELECT count(*) FROM audit_log").query(Long.class).single();
        jdbc.sql("INSERT INTO audit_log (actor, actor_kind, action) VALUES ('t', 'SYSTEM', 'test.append')").update();
        for (String sql : List.of("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                "UPDATE audit_chain SET hash = prev_hash", "DELETE FROM audit_chain", "TRUNCATE audit_chain",
                "UPDATE audit_anchors SET hash = hash", "DELETE FROM audit_anchors")) {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.execute(sql)).as(sql).isInstanceOf(SQLException.class)
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("42501"));
            }
        }
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log").query(Long.class).single()).isEqualTo(before + 1);
    }

    @Test
    void theDataBelongsToTheAccountAndThePasswordsToTheCatalogAlone() throws Exception {
        assertThat(FileSafety.owner(db.dataDirectory())).isEqualTo(db.account().uid());
        assertThat(FileSafety.mode(db.dataDirectory())).isEqualTo(0700);
        assertThat(FileSafety.owner(db.passwordFile())).isEqualTo(DatabaseAccount.currentUid());
        assertThat(FileSafety.mode(db.passwordFile())).isEqualTo(0600);
        assertThat(Files.readString(db.passwordFile())).doesNotContain("trust");
    }
}
