// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import io.cryostash.daemon.AgentSettings;
import io.cryostash.daemon.ClientConfig;
import io.cryostash.store.backend.S3Config;

/**
 * With a catalog, the CLI captures as this machine's host (host.id of the client config): into the
 * shared store the agents use, signed with that host's own key, reported on that host's spool.
 */
final class CatalogStore {
    private CatalogStore() {
    }

    static AgentSettings hostSettings(CatalogOption catalog, StoreOption store, String catalogUrl) {
        ClientConfig config = catalog.config();
        return AgentSettings.resolve(new AgentSettings.Flags(null, catalogUrl, null, null, null, null, null, store.store,
                        new S3Config.Overrides(store.s3Endpoint, store.s3Region, store.s3AccessKey, store.s3SecretKey)),
                System.getenv(), config, catalog.configFile());
    }
}
