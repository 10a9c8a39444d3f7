// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.ServerException;
import io.minio.messages.Item;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Objects in an S3 bucket under a prefix, through the MinIO SDK (MinIO, AWS, S3Proxy, Ceph…).
 *
 * <p>S3 PUTs are atomic, so no temporary names are needed. Each PUT costs a couple of
 * milliseconds of CPU whatever its size, which is why the repository sends packs of several
 * MiB and never single chunks. Errors are sorted into missing objects, transient failures
 * (I/O, 5xx, throttling: retried by {@link RetryingBackend}) and the rest.
 */
public final class S3Backend implements Backend {
    private static final long MIN_PART = 5L << 20;
    private static final Set<String> TRANSIENT_CODES = Set.of(
            "InternalError", "SlowDown", "ServiceUnavailable", "RequestTimeout", "RequestTimeTooSkewed", "Throttling");

    private final MinioClient client;
    private final S3Config config;

    private S3Backend(MinioClient client, S3Config config) {
        this.client = client;
        this.config = config;
    }

    /**
     * One HTTP client for every S3 back end in the JVM: building a MinioClient with its own
     * client costs 1–3 s here (TLS and trust-store set-up), a shared one costs nothing and
     * shares the connection pool. Its sockets send at once ({@link NoDelaySockets}).
     */
    static final class SharedHttp {
        static final okhttp3.OkHttpClient CLIENT = io.minio.http.HttpUtils.newDefaultHttpClient(
                java.util.concurrent.TimeUnit.MINUTES.toMillis(1), java.util.concurrent.TimeUnit.MINUTES.toMillis(5),
                java.util.concurrent.TimeUnit.MINUTES.toMillis(5)).newBuilder().socketFactory(new NoDelaySockets()).build();
    }

    /** Connects, creating the bucket when it does not exist. */
    public static S3Backend open(S3Config config) throws IOException {
        MinioClient client = MinioClient.builder()
                .httpClient(SharedHttp.CLIENT)
                .endpoint(config.endpoint())
                .region(config.region())
                .credentials(config.accessKey(), config.secretKey())
                .build();
        S3Backend b = new S3Backend(client, config);
        b.call("bucket " + config.bucket(), () -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(config.bucket()).build())) {
                try {
                    client.makeBucket(MakeBucketArgs.builder().bucket(config.bucket()).build());
                } catch (ErrorResponseException e) {
                    String code = e.errorResponse().code();
                    if (!"BucketAlreadyOwnedByYou".equals(code) && !"BucketAlreadyExists".equals(code)) {
                        throw e;
                    }
                }
            }
            return null;
        });
        return b;
    }

    private String key(String name) {
        ObjectNames.check(name);
        return config.prefix().isEmpty() ? name : config.prefix() + "/" + name;
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        String key = key(name);
        // one PUT for anything up to 64 MiB: packs are cheap as single requests
        long part = data.length <= (64L << 20) ? Math.max(MIN_PART, data.length) : 16L << 20;
        call(name, () -> client.putObject(PutObjectArgs.builder().bucket(config.bucket()).object(key)
                .stream(new ByteArrayInputStream(data), data.length, part)
                .contentType("application/octet-stream").build()));
    }

    @Override
    public byte[] get(String name) throws IOException {
        String key = key(name);
        return call(name, () -> {
            try (GetObjectResponse r = client.getObject(GetObjectArgs.builder().bucket(config.bucket()).object(key).build())) {
                return r.readAllBytes();
            }
        });
    }

    @Override
    public byte[] getRange(String name, long offset, int length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("bad range " + offset + "+" + length);
        }
        if (length == 0) {
            stat(name).orElseThrow(() -> new ObjectNotFoundException(location(), name));
            return new byte[0];
        }
        String key = key(name);
        try {
            return call(name, () -> {
                try (GetObjectResponse r = client.getObject(GetObjectArgs.builder().bucket(config.bucket()).object(key)
                        .offset(offset).length((long) length).build())) {
                    return readUpTo(r, length);
                }
            });
        } catch (RangeNotSatisfiable e) {
            return new byte[0];
        }
    }

    /**
     * Up to {@code length} bytes, fewer at the end of the stream, read straight into one array:
     * {@code readNBytes(int)} gathers 8 KiB pieces and copies them again, a second copy of every
     * byte restore reads.
     */
    static byte[] readUpTo(java.io.InputStream in, int length) throws IOException {
        byte[] out = new byte[length];
        int n = in.readNBytes(out, 0, length);
        return n == length ? out : java.util.Arrays.copyOf(out, n);
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        ObjectNames.checkPrefix(prefix);
        String full = config.prefix().isEmpty() ? prefix : config.prefix() + "/" + prefix;
        int strip = config.prefix().isEmpty() ? 0 : config.prefix().length() + 1;
        return call("list " + prefix, () -> {
            List<ObjectInfo> out = new ArrayList<>();
            for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(config.bucket())
                    .prefix(full).recursive(true).build())) {
                Item it = r.get();
                if (it.isDir()) {
                    continue;
                }
                out.add(new ObjectInfo(it.objectName().substring(strip), it.size(),
                        it.lastModified() == null ? java.time.Instant.EPOCH : it.lastModified().toInstant()));
            }
            out.sort(java.util.Comparator.comparing(ObjectInfo::name));
            return out;
        });
    }

    @Override
    public void delete(String name) throws IOException {
        String key = key(name);
        call(name, () -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(config.bucket()).object(key).build());
            return null;
        });
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        String key = key(name);
        try {
            return call(name, () -> {
                StatObjectResponse s = client.statObject(StatObjectArgs.builder().bucket(config.bucket()).object(key).build());
                return Optional.of(new ObjectInfo(name, s.size(), s.lastModified().toInstant()));
            });
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public String location() {
        return config.uri();
    }

    @Override
    public void close() throws IOException {
        try {
            client.close();
        } catch (Exception e) {
            throw new IOException("closing S3 client", e);
        }
    }

    private interface S3Call<T> {
        T run() throws Exception;
    }

    /** Signals HTTP 416 on a range starting at or past the end: an empty read, not an error. */
    private static final class RangeNotSatisfiable extends IOException {
    }

    private <T> T call(String what, S3Call<T> c) throws IOException {
        try {
            return c.run();
        } catch (ErrorResponseException e) {
            String code = e.errorResponse().code();
            if ("NoSuchKey".equals(code) || "NoSuchObject".equals(code)) {
                throw new ObjectNotFoundException(location(), what);
            }
            if ("InvalidRange".equals(code)) {
                throw new RangeNotSatisfiable();
            }
            if (TRANSIENT_CODES.contains(code)) {
                throw new TransientBackendException(location() + ": " + what + ": " + code, e);
            }
            throw new IOException(location() + ": " + what + ": " + code + " " + e.getMessage(), e);
        } catch (ServerException e) {
            throw new TransientBackendException(location() + ": " + what + ": server error " + e.statusCode(), e);
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            throw new TransientBackendException(location() + ": " + what + ": " + e, e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            // InsufficientData, InvalidResponse, XmlParser, Internal: a broken exchange, worth a retry
            throw new TransientBackendException(location() + ": " + what + ": " + e, e);
        }
    }
}
