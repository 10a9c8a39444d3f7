// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.store;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where the image store is, as the pipeline contract names the settings: {@code cryostash.catalog.store}
 * (a directory or {@code s3://bucket/prefix}), {@code s3-endpoint}, {@code s3-access-key},
 * {@code s3-secret-key}, {@code s3-region}. Without {@code store} the catalog runs as before:
 * expired images stay in the store and no garbage collection runs.
 */
@ConfigurationProperties("cryostash.catalog")
public record StoreProperties(String store, String s3Endpoint, String s3AccessKey, String s3SecretKey, String s3Region) {

    public boolean configured() {
        return store != null && !store.isBlank();
    }
}
