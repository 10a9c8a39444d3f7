// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cryostash.catalog.CatalogProperties;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.flyway.autoconfigure.FlywayDataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Without {@code spring.datasource.url}, the catalog runs its own PostgreSQL ({@link EmbeddedDatabase}:
 * an unprivileged account, 127.0.0.1 only, SCRAM passwords) with its data under
 * {@code cryostash.catalog.data-dir}/pgdata, kept across starts. Flyway migrates as the owner role;
 * the catalog's requests run as the app role, which is no superuser.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedDatabaseConfig.NoJdbcUrl.class)
public class EmbeddedDatabaseConfig {

    /** Where a catalog run by root keeps its database unless told otherwise (root's home is closed to the account). */
    static final Path ROOT_DEFAULT_DATA_DIR = Path.of("/var/lib/cryostash/catalog");

    /**
     * The data directory: as configured; else, for root, {@link #ROOT_DEFAULT_DATA_DIR}, unless an older
     * catalog's database is in the former default (~/.cryostash/catalog), which is then used, or refused
     * with the command that moves it when the database account cannot reach it.
     */
    static Path dataDirectory(Environment env, CatalogProperties props) throws IOException {
        if (env.containsProperty("cryostash.catalog.data-dir") || DatabaseAccount.currentUid() != 0) return props.dataDir();
        if (Files.exists(props.dataDir().resolve("pgdata").resolve("PG_VERSION"))) return props.dataDir();
        return ROOT_DEFAULT_DATA_DIR;
    }

    @Bean(destroyMethod = "close")
    EmbeddedDatabase embeddedDatabase(CatalogProperties props, Environment env,
                                      @Value("${cryostash.catalog.embedded-db-user:cryostash-db}") String account)
            throws IOException, SQLException {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("max_connections", "50");
        config.put("shared_buffers", props.embeddedSharedBuffers() != null
                ? props.embeddedSharedBuffers() : defaultSharedBuffers(physicalMemory()));
        // Registration inserts keys at random places in three large B-trees; after every
        // checkpoint the first change to each page writes the whole page to the WAL again.
        // Fewer checkpoints, fewer of those full-page images.
        config.put("checkpoint_timeout", "15min");
        config.put("max_wal_size", "4GB");
        // The catalog's statements are short. A chunk lookup of 100,000 keys is costed above
        // jit_above_cost and would spend tens of milliseconds compiling what runs in fewer.
        config.put("jit", "off");
        config.put("fsync", props.embeddedFsync() ? "on" : "off");
        // Commits stay synchronous even without fsync: a commit is then written to the kernel
        // before it is acknowledged, so a crash of PostgreSQL alone (not of the machine) loses
        // nothing, e.g. a registration whose Kafka offset is already committed. Without fsync
        // that write costs a system call, not a disk flush.
        config.put("synchronous_commit", "on");
        return EmbeddedDatabase.start(new EmbeddedDatabase.Settings(dataDirectory(env, props), props.cleanDataDir(), account,
                config));
    }

    static final long CONNECTION_TIMEOUT_MS = 10_000;

    /** The catalog's connections: the app role (no superuser, owns nothing). */
    @Bean(destroyMethod = "close")
    @Primary
    DataSource dataSource(EmbeddedDatabase db) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(db.jdbcUrl());
        cfg.setUsername(db.appUser());
        cfg.setPassword(db.appPassword());
        cfg.setMaximumPoolSize(10);
        cfg.setPoolName("catalog-embedded");
        // While the database is away a request waits this long for a connection, then is answered 503
        // (DatabaseOutageFilter), rather than holding its thread for Hikari's default 30 s.
        cfg.setConnectionTimeout(CONNECTION_TIMEOUT_MS);
        return new HikariDataSource(cfg);
    }

    /** Flyway's connections: the owner role, which owns the schema. */
    @Bean
    @FlywayDataSource
    DataSource migrationDataSource(EmbeddedDatabase db) {
        return db.ownerDataSource();
    }

    /** After every migration, the app role gets its rights on whatever tables there are now. */
    @Bean
    Callback grantTablesToApp() {
        return new Callback() {
            @Override
            public boolean supports(Event event, Context context) {
                return event == Event.AFTER_MIGRATE;
            }

            @Override
            public boolean canHandleInTransaction(Event event, Context context) {
                return true;
            }

            @Override
            public void handle(Event event, Context context) {
                try {
                    EmbeddedDatabase.grantToApp(context.getConnection());
                } catch (SQLException e) {
                    throw new IllegalStateException("Could not grant the catalog's tables to its database role", e);
                }
            }

            @Override
            public String getCallbackName() {
                return "cryostash-grant-tables-to-app";
            }
        };
    }

    /** A quarter of the machine's memory, at least 128 MB and at most 4 GB, in PostgreSQL's notation. */
    static String defaultSharedBuffers(long physicalBytes) {
        long mb = Math.max(128, Math.min(4096, physicalBytes / 4 / (1024 * 1024)));
        return mb + "MB";
    }

    private static long physicalMemory() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getTotalMemorySize();
        return 2L << 30;  // unknown: as if 2 GB, which gives 512MB, the former fixed default
    }

    static class NoJdbcUrl implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String url = context.getEnvironment().getProperty("spring.datasource.url");
            return url == null || url.isBlank();
        }
    }
}
