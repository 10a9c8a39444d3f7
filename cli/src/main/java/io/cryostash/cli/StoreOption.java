// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.Backends;
import io.cryostash.store.backend.S3Config;
import io.cryostash.store.repository.ChunkStore;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Where images live: a directory or {@code s3://bucket/prefix}, plus S3 settings. */
final class StoreOption {
    @Option(names = "--store", paramLabel = "<dir|s3://bucket/prefix>",
            description = "image store (default: $CRYOSTASH_STORE, else ~/.cryostash/store)")
    String store;

    @Option(names = "--s3-endpoint", paramLabel = "<url>",
            description = "S3 endpoint (else $CRYOSTASH_S3_ENDPOINT or s3.endpoint in --store-config)")
    String s3Endpoint;

    @Option(names = "--s3-region", paramLabel = "<region>", description = "S3 region (else $CRYOSTASH_S3_REGION)")
    String s3Region;

    @Option(names = "--s3-access-key", paramLabel = "<key>", description = "S3 access key (else $AWS_ACCESS_KEY_ID)")
    String s3AccessKey;

    @Option(names = "--s3-secret-key", paramLabel = "<secret>",
            description = "S3 secret key (else $AWS_SECRET_ACCESS_KEY)")
    String s3SecretKey;

    @Option(names = "--store-config", paramLabel = "<file>", description = "properties file with s3.* settings")
    Path configFile;

    @Option(names = "--compression-level", paramLabel = "<n>", defaultValue = "1",
            description = "zstd level for new chunks (default: ${DEFAULT-VALUE})")
    int compressionLevel;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /** The bare back end, for repairs of a store that does not open as a repository. */
    Backend openBackend() {
        try {
            return Backends.open(location(), s3Flags(), System.getenv(), configFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open store: " + e.getMessage(), e);
        }
    }

    /** Opens the store; what it had to work around (a damaged index object) is said on stderr. */
    ImageStore open() {
        ImageStore images = ImageStore.open(location(), s3Flags(), configFile,
                ChunkStore.Options.defaults().withCompressionLevel(compressionLevel));
        images.warnings().forEach(w -> System.err.println("warning: " + w));
        return images;
    }

    private String location() {
        if (store != null && !store.contains("://") && mixee != null) {
            return Cryostash.callerOf(mixee).resolve(store).toString(); // a directory, as the caller means it
        }
        return store != null ? store : ImageStore.defaultStore();
    }

    private S3Config.Overrides s3Flags() {
        return new S3Config.Overrides(s3Endpoint, s3Region, s3AccessKey, s3SecretKey);
    }
}
