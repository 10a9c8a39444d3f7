// SPDX-License-Identifier: Apache-2.0
package io.cryostash.stack;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * An S3 server in this JVM: S3Proxy over jclouds' {@code filesystem-nio2} provider on a local
 * directory, with AWS signature checking on and generated credentials, so that agents reach the
 * store of the all-in-one stack through the same MinIO SDK path as a production S3 or MinIO.
 */
public final class S3Server implements AutoCloseable {
    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final String endpoint;

    /**
     * @param dir         where buckets live (one subdirectory each)
     * @param bindAddress address to listen on
     * @param port        port, 0 for any
     * @param bucket      created when absent
     */
    public S3Server(Path dir, String bindAddress, int port, String accessKey, String secretKey, String bucket,
                    Duration timeout) throws Exception {
        Files.createDirectories(dir);
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", dir.toString());
        context = ContextBuilder.newBuilder("filesystem-nio2").credentials(accessKey, secretKey).overrides(p)
                .build(BlobStoreContext.class);
        if (!context.getBlobStore().containerExists(bucket)) {
            context.getBlobStore().createContainerInLocation(null, bucket);
        }
        proxy = S3Proxy.builder().blobStore(context.getBlobStore())
                .endpoint(URI.create("http://" + bindAddress + ":" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey).build();
        proxy.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline || "FAILED".equals(proxy.getState())) {
                context.close();
                throw new IllegalStateException("the S3 server did not start on " + bindAddress + ":" + port + ": "
                        + proxy.getState());
            }
            Thread.sleep(10);
        }
        endpoint = "http://" + bindAddress + ":" + proxy.getPort();
    }

    public String endpoint() {
        return endpoint;
    }

    public int port() {
        return proxy.getPort();
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
