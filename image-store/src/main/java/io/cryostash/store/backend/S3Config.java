// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Where and how to reach an S3 store: {@code s3://bucket/prefix} plus endpoint and credentials.
 *
 * <p>Endpoint and credentials are looked up in a fixed order — explicit values (command-line
 * flags), then the environment, then a properties file — so the same agent binary works from a
 * terminal, a systemd unit and a container without code changes. Environment names:
 * {@code CRYOSTASH_S3_ENDPOINT}, {@code CRYOSTASH_S3_REGION} (or {@code AWS_REGION}),
 * {@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}; file keys: {@code s3.endpoint},
 * {@code s3.region}, {@code s3.access-key}, {@code s3.secret-key}.
 */
public record S3Config(String endpoint, String region, String accessKey, String secretKey, String bucket, String prefix) {
    public S3Config {
        Objects.requireNonNull(endpoint, "S3 endpoint is not configured (flag, CRYOSTASH_S3_ENDPOINT or s3.endpoint)");
        Objects.requireNonNull(accessKey, "S3 access key is not configured (flag, AWS_ACCESS_KEY_ID or s3.access-key)");
        Objects.requireNonNull(secretKey, "S3 secret key is not configured (flag, AWS_SECRET_ACCESS_KEY or s3.secret-key)");
        if (region == null || region.isEmpty()) {
            region = "us-east-1";
        }
        if (bucket == null || bucket.isEmpty()) {
            throw new IllegalArgumentException("S3 bucket missing");
        }
        prefix = prefix == null ? "" : stripSlashes(prefix);
    }

    /** Explicit values (null when not given), used before the environment and the file. */
    public record Overrides(String endpoint, String region, String accessKey, String secretKey) {
        public static final Overrides NONE = new Overrides(null, null, null, null);
    }

    /**
     * Resolves {@code s3://bucket/prefix} with the lookup order above.
     *
     * @param configFile a properties file, or null
     */
    public static S3Config resolve(String storeUri, Overrides flags, Map<String, String> env, Path configFile)
            throws IOException {
        URI uri = URI.create(storeUri);
        if (!"s3".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("not an s3://bucket/prefix URI: " + storeUri);
        }
        Properties file = new Properties();
        if (configFile != null && Files.exists(configFile)) {
            try (Reader r = Files.newBufferedReader(configFile)) {
                file.load(r);
            }
        }
        String endpoint = first(flags.endpoint(), env.get("CRYOSTASH_S3_ENDPOINT"), file.getProperty("s3.endpoint"));
        String region = first(flags.region(), env.get("CRYOSTASH_S3_REGION"), env.get("AWS_REGION"), file.getProperty("s3.region"));
        String access = first(flags.accessKey(), env.get("AWS_ACCESS_KEY_ID"), file.getProperty("s3.access-key"));
        String secret = first(flags.secretKey(), env.get("AWS_SECRET_ACCESS_KEY"), file.getProperty("s3.secret-key"));
        return new S3Config(endpoint, region, access, secret, uri.getHost(), uri.getPath());
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }

    private static String stripSlashes(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && s.charAt(a) == '/') {
            a++;
        }
        while (b > a && s.charAt(b - 1) == '/') {
            b--;
        }
        return s.substring(a, b);
    }

    /** {@code s3://bucket/prefix}. */
    public String uri() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    @Override
    public String toString() {
        // never print the secret
        return "S3Config[" + uri() + " at " + endpoint + ", region " + region + ", key " + accessKey + "]";
    }
}
