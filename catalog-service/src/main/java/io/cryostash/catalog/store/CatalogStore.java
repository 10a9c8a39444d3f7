// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import io.cryostash.catalog.CatalogProperties;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.Backends;
import io.cryostash.store.backend.S3Config;
import io.cryostash.store.sign.HostKeys;
import jakarta.annotation.PreDestroy;
import org.springframework.stereotype.Component;

/**
 * The catalog's one way to the image store ({@link StoreProperties}): a single back end, opened on
 * first use (a store that is briefly away does not stop the catalog from starting) and shared by
 * everything the catalog does there: reading and verifying manifests ({@link ManifestStore}, which
 * keeps the store's index in memory), deleting the manifests of expired and deleted images, garbage
 * collection (which loads the index itself on each run) and the signed anchors of the audit chain.
 * The catalog signs with its own Ed25519 key, kept in {@code <data-dir>/keys} (created on first use,
 * like an agent's), never in the database: a database that is rewritten cannot forge an anchor.
 */
@Component
public class CatalogStore {

    /** Host name the catalog's store locks and GC runs carry. */
    public static final String HOST = "cryostash-catalog";
    private final StoreProperties settings;
    private final Path keyDir;
    private Backend backend;
    private HostKeys keys;

    public CatalogStore(StoreProperties settings, CatalogProperties catalog) {
        this.settings = settings;
        this.keyDir = catalog.dataDir().resolve("keys");
    }

    public boolean configured() {
        return settings.configured();
    }

    /** The store's location, for messages; empty when none is configured. */
    public Optional<String> location() {
        return configured() ? Optional.of(settings.store()) : Optional.empty();
    }

    /** The store's back end, or an {@link IOException} that says no store is configured and why that matters. */
    public Backend require(String purpose) throws IOException {
        if (!configured()) {
            throw new IOException("the catalog has no store to " + purpose + ": set cryostash.catalog.store");
        }
        try {
            return backend().orElseThrow();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The store's back end (with retries); empty when no store is configured. */
    public synchronized Optional<Backend> backend() {
        if (!configured()) return Optional.empty();
        if (backend == null) {
            try {
                backend = Backends.open(settings.store(), new S3Config.Overrides(settings.s3Endpoint(), settings.s3Region(),
                        settings.s3AccessKey(), settings.s3SecretKey()), Map.of(), null);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the store " + settings.store() + ": " + e.getMessage(), e);
            }
        }
        return Optional.of(backend);
    }

    /** The catalog's own signing key pair (audit anchors). */
    public synchronized HostKeys signingKeys() {
        if (keys == null) {
            try {
                keys = HostKeys.loadOrCreate(keyDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load or create the catalog's key in " + keyDir + ": " + e.getMessage(), e);
            }
        }
        return keys;
    }

    @PreDestroy
    public synchronized void close() throws IOException {
        if (backend != null) {
            backend.close();
            backend = null;
        }
    }
}
