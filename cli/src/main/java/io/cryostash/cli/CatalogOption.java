// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.cryostash.daemon.ClientConfig;
import io.cryostash.daemon.catalog.CatalogClient;
import picocli.CommandLine.Option;

/**
 * Which catalog the CLI talks to: {@code --catalog URL}, else {@code $CRYOSTASH_CATALOG}, else
 * {@code catalog.url} of the client config that {@code cryostash up} writes; the user API token
 * likewise ({@code --token}, {@code $CRYOSTASH_TOKEN}, {@code catalog.token}). A command given an
 * explicit {@code --store} (and no {@code --catalog}) works on that store alone, as without a catalog.
 */
final class CatalogOption {
    @Option(names = "--catalog", paramLabel = "<url>",
            description = "catalog base URL (else $CRYOSTASH_CATALOG, else catalog.url in the client config)")
    String url;

    @Option(names = "--token", paramLabel = "<csu_…>",
            description = "your catalog API token (else $CRYOSTASH_TOKEN, else catalog.token in the client config)")
    String token;

    @Option(names = "--config", paramLabel = "<file>",
            description = "client config (default: $CRYOSTASH_HOME/client.properties, written by cryostash up)")
    Path configFile;

    @Option(names = "--no-catalog", description = "work on the store alone even when a catalog is configured")
    boolean noCatalog;

    Path configFile() {
        return configFile != null ? configFile : ClientConfig.defaultFile();
    }

    ClientConfig config() {
        return ClientConfig.load(configFile());
    }

    Map<String, String> env() {
        return System.getenv();
    }

    /** The catalog URL to use, or null for local work. */
    String url(boolean storeGiven) {
        if (noCatalog) return null;
        if (url != null && !url.isBlank()) return url;
        String env = System.getenv("CRYOSTASH_CATALOG");
        if (env != null && !env.isBlank()) return env;
        return storeGiven ? null : config().get(ClientConfig.CATALOG_URL);
    }

    /** A client acting as the user whose token is configured. */
    CatalogClient client(String catalogUrl) {
        String t = config().resolve(token, env(), "CRYOSTASH_TOKEN", ClientConfig.CATALOG_TOKEN);
        if (t == null) {
            throw new IllegalArgumentException("no catalog API token: give --token, set CRYOSTASH_TOKEN or catalog.token in "
                    + configFile() + " (a user creates one in the web catalog or with POST /api/users/me/tokens)");
        }
        return new CatalogClient(catalogUrl, () -> t, Duration.ofSeconds(30));
    }
}
