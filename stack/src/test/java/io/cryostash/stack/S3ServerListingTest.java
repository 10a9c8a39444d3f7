// SPDX-License-Identifier: Apache-2.0
package io.cryostash.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.Signer;
import io.minio.messages.Item;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An object being put is not listed until it is complete: the filesystem store behind S3Proxy
 * writes it under a temporary name in the same directory, on which a listing failed (500) or
 * which it showed as an object a reader would read half of.
 */
class S3ServerListingTest {
    private static final String ACCESS = "listing-access";
    private static final String SECRET = "listing-secret-key";
    private static final String BUCKET = "store";
    private static final int SIZE = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void aListingWaitsForTheHalfWrittenObjectAndShowsItComplete() throws Exception {
        try (S3Server s3 = new S3Server(dir.resolve("s3"), "127.0.0.1", 0, ACCESS, SECRET, BUCKET,
                Duration.ofSeconds(30))) {
            CountDownLatch rest = new CountDownLatch(1);
            CompletableFuture<Integer> put = CompletableFuture.supplyAsync(() -> slowPut(s3.endpoint(),
                    "index/aaaa", rest));
            CompletableFuture<List<String>> listing;
            try {
                Path temporary = awaitTemporaryFile(dir.resolve("s3").resolve(BUCKET).resolve("index"));
                assertThat(temporary.getFileName().toString()).startsWith("aaaa-");
                listing = CompletableFuture.supplyAsync(() -> {
                    try {
                        return listed(s3.endpoint(), "index/");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(500);
                assertThat(listing).as("a listing while the object is half written").isNotDone();
            } finally {
                rest.countDown();
            }
            assertThat(put.get(60, TimeUnit.SECONDS)).isEqualTo(200);
            assertThat(listing.get(60, TimeUnit.SECONDS)).containsExactly("index/aaaa");
        }
    }

    @Test
    void listingsRacingPutsSeeOnlyWholeObjects() throws Exception {
        try (S3Server s3 = new S3Server(dir.resolve("s3"), "127.0.0.1", 0, ACCESS, SECRET, BUCKET,
                Duration.ofSeconds(30))) {
            MinioClient minio = MinioClient.builder().endpoint(s3.endpoint()).credentials(ACCESS, SECRET).build();
            byte[] content = new byte[256 * 1024];
            new java.util.Random(7).nextBytes(content);
            int objects = 120;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
            try {
                List<java.util.concurrent.Future<?>> puts = new ArrayList<>();
                for (int i = 0; i < objects; i++) {
                    String name = "packs/" + i;
                    puts.add(pool.submit(() -> {
                        minio.putObject(io.minio.PutObjectArgs.builder().bucket(BUCKET).object(name)
                                .stream(new java.io.ByteArrayInputStream(content), content.length, -1).build());
                        return null;
                    }));
                }
                int listings = 0;
                while (!puts.stream().allMatch(java.util.concurrent.Future::isDone)) {
                    for (String name : listed(s3.endpoint(), "packs/")) {
                        assertThat(name).matches("packs/[0-9]+");
                        try (var in = minio.getObject(io.minio.GetObjectArgs.builder().bucket(BUCKET).object(name)
                                .build())) {
                            assertThat(in.readAllBytes()).as(name).isEqualTo(content);
                        }
                    }
                    listings++;
                }
                for (var p : puts) {
                    p.get();
                }
                assertThat(listings).isPositive();
                assertThat(listed(s3.endpoint(), "packs/")).hasSize(objects);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static List<String> listed(String endpoint, String prefix) throws Exception {
        MinioClient minio = MinioClient.builder().endpoint(endpoint).credentials(ACCESS, SECRET).build();
        List<String> names = new ArrayList<>();
        for (Result<Item> r : minio.listObjects(ListObjectsArgs.builder().bucket(BUCKET).prefix(prefix)
                .recursive(true).build())) {
            names.add(r.get().objectName());
        }
        return names;
    }

    private static Path awaitTemporaryFile(Path directory) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(directory)) {
                try (Stream<Path> files = Files.list(directory)) {
                    var temporary = files.filter(f -> f.getFileName().toString().matches(".+-[0-9a-f-]{36}"))
                            .findFirst();
                    if (temporary.isPresent()) {
                        return temporary.get();
                    }
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the put never started writing under " + directory);
    }

    /**
     * A put whose body stops after its first 64 KiB until {@code rest} opens: the server has the
     * object half written meanwhile. Signed by hand (unsigned payload) because the SDK would read
     * the whole body before sending any.
     */
    private static int slowPut(String endpoint, String name, CountDownLatch rest) {
        RequestBody body = new RequestBody() {
            @Override
            public MediaType contentType() {
                return MediaType.get("application/octet-stream");
            }

            @Override
            public long contentLength() {
                return SIZE;
            }

            @Override
            public void writeTo(BufferedSink sink) throws IOException {
                byte[] part = new byte[64 * 1024];
                sink.write(part);
                sink.flush();
                try {
                    if (!rest.await(60, TimeUnit.SECONDS)) {
                        throw new IOException("the test never let the put finish");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                for (int written = part.length; written < SIZE; written += part.length) {
                    sink.write(part);
                }
            }
        };
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"));
        try {
            Request unsigned = new Request.Builder().url(endpoint + "/" + BUCKET + "/" + name).put(body)
                    .header("Host", endpoint.substring("http://".length()))
                    .header("x-amz-date", date)
                    .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD").build();
            Request signed = Signer.signV4S3(unsigned, "us-east-1", ACCESS, SECRET, "UNSIGNED-PAYLOAD");
            OkHttpClient http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(90)).build();
            try (Response r = http.newCall(signed).execute()) {
                return r.code();
            }
        } catch (Exception e) {
            throw new IllegalStateException("put of " + name + " failed", e);
        }
    }
}
