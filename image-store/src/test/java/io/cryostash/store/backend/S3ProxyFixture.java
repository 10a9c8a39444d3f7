// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real S3 server in the test JVM: S3Proxy over jclouds' filesystem-nio2 provider in a
 * temporary directory, with signature checking on. One per test class (start ≈ 1 s).
 */
public final class S3ProxyFixture implements AutoCloseable {
    public static final String ACCESS = "cryostash-test";
    public static final String SECRET = "cryostash-test-secret";
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final String endpoint;

    public S3ProxyFixture(Path dir) throws Exception {
        this("filesystem-nio2", dir);
    }

    /**
     * S3Proxy over jclouds' in-memory provider ({@code transient}: one map entry per object), for
     * tests that race writers against listings. The filesystem provider lists a prefix from a
     * directory walk, and under many concurrent PUTs and DELETEs in the same directory it was seen to
     * answer a LIST of objects written seconds before with nothing; both nio2 providers
     * ({@code filesystem-nio2}, {@code transient-nio2}) write an object to {@code <name>-<uuid>}
     * beside its name and move it there, and a LIST meanwhile names that temporary file as an object
     * (GcRaceS3Test caught a capture's index refresh reading {@code index/<sha256>-<uuid>}: "stored
     * under the wrong name"). S3 itself lists only whole objects under their names.
     */
    public static S3ProxyFixture inMemory() throws Exception {
        return new S3ProxyFixture("transient", null);
    }

    private S3ProxyFixture(String provider, Path dir) throws Exception {
        quietLogging();
        Properties p = new Properties();
        if (dir != null) {
            p.setProperty("jclouds.filesystem.basedir", dir.toString());
        }
        context = ContextBuilder.newBuilder(provider).credentials(ACCESS, SECRET).overrides(p)
                .build(BlobStoreContext.class);
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET).build();
        proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        endpoint = "http://127.0.0.1:" + proxy.getPort();
    }

    /**
     * s3proxy brings logback, which then wins over slf4j-simple and logs Jetty at DEBUG: tens of
     * MiB per test class and seconds of CPU. Raise the root level to WARN when logback is the binding.
     */
    private static void quietLogging() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
            ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }

    /** A config for a fresh, empty prefix of bucket {@code cryostash}. */
    public S3Config freshConfig() {
        return new S3Config(endpoint, "us-east-1", ACCESS, SECRET, "cryostash", "t" + PREFIXES.incrementAndGet());
    }

    /** A connected back end on a fresh prefix. */
    public S3Backend freshBackend() throws IOException {
        return S3Backend.open(freshConfig());
    }

    public String endpoint() {
        return endpoint;
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
