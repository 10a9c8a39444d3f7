// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class S3BackendTest extends BackendContractTest {
    static Path dir;
    static S3ProxyFixture s3;

    @BeforeAll
    static void startS3() throws Exception {
        dir = Files.createTempDirectory("s3proxy");
        s3 = new S3ProxyFixture(dir);
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    @Override
    protected Backend newBackend() throws Exception {
        return s3.freshBackend();
    }

    /**
     * With Nagle's algorithm on, a small PUT's body waited for the server's delayed ACK of its
     * headers: 50 ms a manifest instead of 7-10 (bench/RESULTS.md).
     */
    @Test
    void theSharedClientSendsWithoutNaglesDelay() throws Exception {
        java.util.List<Boolean> noDelay = new java.util.concurrent.CopyOnWriteArrayList<>();
        okhttp3.OkHttpClient watched = S3Backend.SharedHttp.CLIENT.newBuilder().eventListener(new okhttp3.EventListener() {
            @Override
            public void connectionAcquired(okhttp3.Call call, okhttp3.Connection connection) {
                try {
                    noDelay.add(connection.socket().getTcpNoDelay());
                } catch (java.net.SocketException e) {
                    throw new IllegalStateException(e);
                }
            }
        }).connectionPool(new okhttp3.ConnectionPool()).build(); // a connection of its own, made by the shared factory
        try (okhttp3.Response r = watched.newCall(new okhttp3.Request.Builder().url(s3.endpoint() + "/").build()).execute()) {
            assertThat(r.code()).isPositive();
        }
        assertThat(noDelay).isNotEmpty().containsOnly(true);
    }

    @Test
    void configComesFromFlagsThenEnvironmentThenFile() throws Exception {
        Path file = Files.createTempFile("s3", ".properties");
        Files.writeString(file, "s3.endpoint=http://file:9000\ns3.access-key=fileKey\ns3.secret-key=fileSecret\ns3.region=eu-1\n");
        S3Config fromFile = S3Config.resolve("s3://bkt/some/prefix/", S3Config.Overrides.NONE, Map.of(), file);
        assertThat(fromFile.endpoint()).isEqualTo("http://file:9000");
        assertThat(fromFile.bucket()).isEqualTo("bkt");
        assertThat(fromFile.prefix()).isEqualTo("some/prefix");
        assertThat(fromFile.region()).isEqualTo("eu-1");

        S3Config fromEnv = S3Config.resolve("s3://bkt", S3Config.Overrides.NONE,
                Map.of("CRYOSTASH_S3_ENDPOINT", "http://env:9000", "AWS_ACCESS_KEY_ID", "envKey"), file);
        assertThat(fromEnv.endpoint()).isEqualTo("http://env:9000");
        assertThat(fromEnv.accessKey()).isEqualTo("envKey");
        assertThat(fromEnv.secretKey()).isEqualTo("fileSecret");
        assertThat(fromEnv.prefix()).isEmpty();

        S3Config fromFlags = S3Config.resolve("s3://bkt/p", new S3Config.Overrides("http://flag:1", null, "flagKey", null),
                Map.of("CRYOSTASH_S3_ENDPOINT", "http://env:9000"), file);
        assertThat(fromFlags.endpoint()).isEqualTo("http://flag:1");
        assertThat(fromFlags.accessKey()).isEqualTo("flagKey");
        assertThat(fromFlags.toString()).doesNotContain("fileSecret");
    }

    @Test
    void missingEndpointIsNamedInTheError() {
        assertThatThrownBy(() -> S3Config.resolve("s3://bkt/p", S3Config.Overrides.NONE, Map.of(), null))
                .hasMessageContaining("CRYOSTASH_S3_ENDPOINT");
    }

    @Test
    void wrongCredentialsAreRejectedByTheServer() {
        S3Config good = s3.freshConfig();
        S3Config bad = new S3Config(good.endpoint(), good.region(), good.accessKey(), "wrong", good.bucket(), good.prefix());
        assertThatThrownBy(() -> {
            try (S3Backend b = S3Backend.open(bad)) {
                b.put("x", new byte[1]);
            }
        }).isInstanceOf(java.io.IOException.class);
    }
}
