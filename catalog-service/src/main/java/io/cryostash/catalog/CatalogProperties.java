package io.cryostash.catalog;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings under {@code cryostash.catalog.*}.
 *
 * @param dataDir          where the embedded PostgreSQL keeps its data (used only without {@code spring.datasource.url})
 * @param cleanDataDir     wipe the embedded database at start (tests)
 * @param adminUsername    name of the first administrator, created when there is no user at all
 * @param adminPassword    that administrator's password; when empty one is generated and printed once
 * @param hostOnlineWithin a host whose last heartbeat is older than this is shown offline
 * @param embeddedFsync    whether the embedded PostgreSQL syncs to disk (default true; tests turn it off)
 * @param embeddedSharedBuffers shared_buffers of the embedded PostgreSQL (default 512MB: the chunk key
 *                         index of a large catalog should stay in memory)
 */
@ConfigurationProperties("cryostash.catalog")
public record CatalogProperties(
        Path dataDir,
        boolean cleanDataDir,
        String adminUsername,
        String adminPassword,
        Duration hostOnlineWithin,
        Boolean embeddedFsync,
        String embeddedSharedBuffers) {

    public CatalogProperties {
        if (dataDir == null) dataDir = Path.of(System.getProperty("user.home"), ".cryostash", "catalog");
        if (adminUsername == null || adminUsername.isBlank()) adminUsername = "admin";
        if (hostOnlineWithin == null) hostOnlineWithin = Duration.ofMinutes(2);
        if (embeddedFsync == null) embeddedFsync = true;
        if (embeddedSharedBuffers == null || embeddedSharedBuffers.isBlank()) embeddedSharedBuffers = "512MB";
    }
}
