// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import io.cryostash.store.backend.S3Config;

/**
 * A real S3 server in this JVM: S3Proxy over jclouds' filesystem-nio2 provider in a directory,
 * signatures checked. A copy of agent-core's test fixture, because benchmarks are built without
 * test jars (bench/run skips tests).
 */
final class S3Server implements AutoCloseable {
    private static final String ACCESS = "cryostash-bench";
    private static final String SECRET = "cryostash-bench-secret";

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final String endpoint;

    S3Server(Path dir) throws Exception {
        this(dir, null);
    }

    /**
     * @param requests when not null, counts every call the S3 server makes on its blob store, by
     *                 method (putBlob, getBlob, list, removeBlob, blobMetadata, …): one per S3 request
     *                 the clients send, whichever client that is
     */
    S3Server(Path dir, java.util.Map<String, java.util.concurrent.atomic.AtomicLong> requests) throws Exception {
        java.nio.file.Files.createDirectories(dir); // jclouds refuses a base directory that does not exist
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", dir.toString());
        context = ContextBuilder.newBuilder("filesystem-nio2").credentials(ACCESS, SECRET).overrides(p)
                .build(BlobStoreContext.class);
        org.jclouds.blobstore.BlobStore store = context.getBlobStore();
        if (requests != null) {
            org.jclouds.blobstore.BlobStore real = store;
            store = (org.jclouds.blobstore.BlobStore) java.lang.reflect.Proxy.newProxyInstance(
                    org.jclouds.blobstore.BlobStore.class.getClassLoader(), new Class<?>[] {org.jclouds.blobstore.BlobStore.class},
                    (self, m, args) -> {
                        requests.computeIfAbsent(m.getName(), k -> new java.util.concurrent.atomic.AtomicLong()).incrementAndGet();
                        try {
                            return m.invoke(real, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
        proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET).build();
        proxy.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start within 10 s: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        endpoint = "http://127.0.0.1:" + proxy.getPort();
    }

    /** Settings for {@code s3://cryostash/<prefix>} on this server. */
    S3Config.Overrides overrides() {
        return new S3Config.Overrides(endpoint, "us-east-1", ACCESS, SECRET);
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
