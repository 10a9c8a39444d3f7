// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.backend.S3Config;

import java.nio.file.Path;
import java.util.Map;

/**
 * Everything an agent or the CLI needs to open a store, in one value built from flags,
 * environment and config file.
 *
 * @param store          a directory path or {@code s3://bucket/prefix}
 * @param s3             explicit S3 settings from flags ({@link S3Config.Overrides#NONE} if none)
 * @param env            the environment to read S3 settings from (normally {@code System.getenv()})
 * @param configFile     properties file with {@code s3.*} keys, or null
 * @param keyDir         where this host's key pair lives (created on first use), e.g. /etc/cryostash/keys
 * @param trustedKeysDir directory of other hosts' {@code *.pub} keys to trust, or null
 * @param cacheDir       local content-addressed file cache for restore, or null
 * @param hostName       recorded in manifests this host signs
 * @param options        compression level, pack size, threads
 */
public record StoreSettings(String store, S3Config.Overrides s3, Map<String, String> env, Path configFile, Path keyDir,
                            Path trustedKeysDir, Path cacheDir, String hostName, ChunkStore.Options options) {

    /** A local directory store with keys and cache under {@code stateDir}. */
    public static StoreSettings local(Path storeDir, Path stateDir, String hostName) {
        return new StoreSettings(storeDir.toString(), S3Config.Overrides.NONE, Map.of(), null, stateDir.resolve("keys"),
                stateDir.resolve("trusted-keys"), stateDir.resolve("cache"), hostName, ChunkStore.Options.defaults());
    }
}
