// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Opens a back end from the {@code --store} value: a directory path or {@code s3://bucket/prefix}. */
public final class Backends {
    private Backends() {
    }

    /**
     * Opens {@code store}, wrapped in retries.
     *
     * @param s3Flags    explicit S3 settings (may be {@link S3Config.Overrides#NONE})
     * @param configFile properties file with {@code s3.*} keys, or null
     */
    public static Backend open(String store, S3Config.Overrides s3Flags, Map<String, String> env, Path configFile)
            throws IOException {
        Backend b = store.startsWith("s3://")
                ? S3Backend.open(S3Config.resolve(store, s3Flags, env, configFile))
                : new DirectoryBackend(Path.of(store.startsWith("file://") ? store.substring(7) : store));
        return RetryingBackend.withDefaults(b);
    }
}
