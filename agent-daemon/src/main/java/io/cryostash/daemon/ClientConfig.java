// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import io.cryostash.daemon.state.PrivateFiles;
import io.cryostash.daemon.state.PropertiesText;
import io.cryostash.store.image.ImageStore;

/**
 * The client configuration {@code cryostash up} writes and agents and the CLI read:
 * {@code $CRYOSTASH_HOME/client.properties} (default ~/.cryostash), mode 0600 because it holds
 * tokens and passwords. Its {@code s3.*} keys are the store's own config-file keys, so the file also
 * serves as the store configuration. Flags and environment win over it.
 */
public record ClientConfig(Map<String, String> values) {
    public static final String FILE = "client.properties";

    public static final String CATALOG_URL = "catalog.url";
    public static final String CATALOG_TOKEN = "catalog.token";
    public static final String ENROL_TOKEN = "enrol.token";
    public static final String HOST_ID = "host.id";
    public static final String KAFKA_BOOTSTRAP = "kafka.bootstrap";
    public static final String KAFKA_SECURITY_PROTOCOL = "kafka.security.protocol";
    public static final String KAFKA_SASL_MECHANISM = "kafka.sasl.mechanism";
    public static final String KAFKA_USERNAME = "kafka.username";
    public static final String KAFKA_PASSWORD = "kafka.password";
    public static final String STORE = "store";
    public static final String S3_ENDPOINT = "s3.endpoint";
    public static final String S3_ACCESS_KEY = "s3.access-key";
    public static final String S3_SECRET_KEY = "s3.secret-key";
    public static final String S3_REGION = "s3.region";

    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

    public ClientConfig {
        values = Map.copyOf(values);
    }

    public static ClientConfig empty() {
        return new ClientConfig(Map.of());
    }

    public static Path defaultFile() {
        return ImageStore.stateDir().resolve(FILE);
    }

    /** The file's settings, or none when it does not exist. */
    public static ClientConfig load(Path file) {
        if (!Files.exists(file)) return empty();
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the client config " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k).trim()));
        return new ClientConfig(m);
    }

    public static ClientConfig loadDefault() {
        return load(defaultFile());
    }

    /** Writes the file atomically, created 0600 (never readable by others, not even for a moment). */
    public void write(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            PrivateFiles.writeAtomically(file, PropertiesText.of(values,
                    "Cryostash client configuration (written by cryostash up); holds credentials: keep it 0600")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the client config " + file + ": " + e.getMessage(), e);
        }
    }

    public String get(String key) {
        String v = values.get(key);
        return v == null || v.isBlank() ? null : v;
    }

    /** The first non-blank of a flag, an environment variable and this file's key. */
    public String resolve(String flag, Map<String, String> env, String envName, String key) {
        if (flag != null && !flag.isBlank()) return flag;
        String e = envName == null ? null : env.get(envName);
        if (e != null && !e.isBlank()) return e;
        return get(key);
    }

    public ClientConfig with(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(values);
        if (value == null) m.remove(key);
        else m.put(key, value);
        return new ClientConfig(m);
    }
}
