// SPDX-License-Identifier: Apache-2.0
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
 * @param embeddedSharedBuffers shared_buffers of the embedded PostgreSQL, e.g. {@code 2GB}; empty: a quarter of
 *                         the machine's memory, at least 128MB and at most 4GB (the chunk key indexes of a
 *                         catalog with 10 million chunks take about 1.2 GB and should stay in memory)
 * @param chunkFilter      keep an in-memory filter of chunk key prefixes, so that chunk queries ask the
 *                         database only about keys it may have (default true; about 8 bytes of heap per
 *                         chunk, 128 MiB for 10 million)
 */
@ConfigurationProperties("cryostash.catalog")
public record CatalogProperties(
        Path dataDir,
        boolean cleanDataDir,
        String adminUsername,
        String adminPassword,
        Duration hostOnlineWithin,
        Boolean embeddedFsync,
        String embeddedSharedBuffers,
        Boolean chunkFilter) {

    public CatalogProperties {
        if (dataDir == null) dataDir = Path.of(System.getProperty("user.home"), ".cryostash", "catalog");
        if (adminUsername == null || adminUsername.isBlank()) adminUsername = "admin";
        if (hostOnlineWithin == null) hostOnlineWithin = Duration.ofMinutes(2);
        if (embeddedFsync == null) embeddedFsync = true;
        if (embeddedSharedBuffers != null && embeddedSharedBuffers.isBlank()) embeddedSharedBuffers = null;
        if (chunkFilter == null) chunkFilter = true;
    }
}
