// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.store;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where the image store is, the catalog's only settings for reaching it: {@code cryostash.catalog.store}
 * (a directory or {@code s3://bucket/prefix}) and, for S3, {@code cryostash.catalog.s3-endpoint},
 * {@code -access-key}, {@code -secret-key}, {@code -region}. {@link CatalogStore} opens the store with
 * them, once, for everything the catalog does there: reading and verifying the manifests agents
 * announce ({@link ManifestStore}), deleting expired ones and collecting garbage, anchoring the audit
 * chain. Without a store the catalog cannot verify a registration, so it does not consume
 * checkpoint.completed (the events wait in Kafka), and expired images stay in the store.
 */
@ConfigurationProperties("cryostash.catalog")
public record StoreProperties(String store, String s3Endpoint, String s3AccessKey, String s3SecretKey, String s3Region) {

    public boolean configured() {
        return store != null && !store.isBlank();
    }
}
