// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench.catalog;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import io.cryostash.catalog.CatalogLauncher;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.store.ManifestStore;
import io.cryostash.catalog.system.EmbeddedDatabase;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.Credentials;
import io.cryostash.schema.image.FsState;
import io.cryostash.schema.image.HostInfo;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MmLayout;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ProcessTimers;
import io.cryostash.schema.image.ProcessInfo;
import io.cryostash.schema.image.ThreadState;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.store.backend.S3Config;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.store.repository.StoreSettings;
import io.cryostash.store.sign.HostKeys;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Catalog benchmark against the real service (HTTP, Spring Security, embedded PostgreSQL 14).
 *
 * <p>Loading: hosts, jobs and {@code images} images with SQL (generate_series), chunk keys the
 * SHA-256 of their number (so they spread like real keys), about {@code chunks/images} chunk
 * links per image, all {@code chunks} rows in the chunk table. Then, measured from a client in
 * the same JVM through the loopback interface: listing a page of 50 images (several filters and
 * pages), asking for 10,000 chunk keys (half known), and registering images with 100 chunks each
 * on 4 client threads for a fixed count. Prints p50/p99 per kind; the numbers go to bench/RESULTS.md.
 */
public final class CatalogBench {

    static final int HOSTS = 20;
    static final int JOBS_PER_HOST = 10;
    static final int ROUNDS = 3;
    static final int PER_ROUND = 3_000;

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        int images = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        long chunks = args.length > 2 ? Long.parseLong(args[2]) : 10_000_000L;
        deleteTree(data);
        Path storeDir = data.resolveSibling("store");
        deleteTree(storeDir);
        long w0 = System.nanoTime();
        SignedImages signed = SignedImages.write(storeDir, data.resolveSibling("keys"), ROUNDS, PER_ROUND + 1);
        System.out.printf("wrote %,d signed images (%d chunks each) to %s in %.1f s%n", ROUNDS * (PER_ROUND + 1),
                SignedImages.CHUNKS, storeDir, (System.nanoTime() - w0) / 1e9);
        ConfigurableApplicationContext ctx = CatalogLauncher.run(0, data, null,
                "--cryostash.catalog.admin-password=bench-password-1", "--logging.level.root=WARN",
                "--cryostash.catalog.clean-data-dir=true", "--cryostash.catalog.store=" + storeDir);
        try {
            String base = CatalogLauncher.url(ctx).replaceAll("/$", "");
            JdbcClient jdbc = ctx.getBean(JdbcClient.class);
            // The bulk load changes the tables (indexes off, then rebuilt): as the owner role. The
            // catalog's own role may only read and write rows.
            JdbcClient owner = JdbcClient.create(ctx.getBean("migrationDataSource", DataSource.class));
            long t0 = System.nanoTime();
            load(owner, images, chunks, signed.sharedKeys());
            // The agent of bench-host-0 enrolled the key that signed the images.
            ctx.getBean(HostRepository.class).setPublicKey(SignedImages.HOST, signed.publicKey());
            System.out.printf("loaded %,d images, %,d chunks, %,d image-chunk links in %.1f s%n",
                    count(jdbc, "images"), count(jdbc, "chunks"), count(jdbc, "image_chunks"), (System.nanoTime() - t0) / 1e9);
            // The rows were written behind the catalog's back: load its chunk key filter again.
            var filter = ctx.getBean(io.cryostash.catalog.chunk.ChunkFilterService.class);
            t0 = System.nanoTime();
            while (!filter.reload()) Thread.sleep(100);
            System.out.printf("chunk key filter: %,d keys, %d MiB of heap, loaded in %.1f s%n", filter.filter().size(),
                    filter.filter().bytes() >> 20, (System.nanoTime() - t0) / 1e9);
            String token = ctx.getBean(io.cryostash.catalog.security.AgentTokenService.class).issue(SignedImages.HOST).token();
            HttpClient session = login(base, "admin", "bench-password-1");
            HttpClient plain = HttpClient.newHttpClient();

            explain(jdbc, chunks);
            sqlVariants(jdbc, chunks);
            listing(session, base);
            chunkQuery(plain, base, token, chunks);
            chunkQueryBinary(plain, base, token, chunks);
            chunkQueryInProcess(ctx, chunks);
            // Round 1 right after the bulk load: nearly every index page it touches is touched for the
            // first time since a checkpoint and goes to the WAL whole. Round 2 continues in the same
            // checkpoint cycle, as a long-running catalog mostly would; round 3 as round 2 with
            // wal_compression on, to see whether compressing those full-page images pays.
            verification(ctx, signed);
            registration(ctx, plain, base, token, jdbc, signed, 0, "round 1");
            registration(ctx, plain, base, token, jdbc, signed, 1, "round 2");
            JdbcClient superuser = superuser(ctx);
            superuser.sql("ALTER SYSTEM SET wal_compression = on").update();
            superuser.sql("SELECT pg_reload_conf()").query(Boolean.class).single();
            registration(ctx, plain, base, token, jdbc, signed, 2, "round 3, wal_compression = on");
        } finally {
            ctx.close();
        }
    }

    /** The embedded database's superuser, with the password from the catalog's password file (ALTER SYSTEM needs it). */
    static JdbcClient superuser(ConfigurableApplicationContext ctx) throws java.io.IOException {
        EmbeddedDatabase db = ctx.getBean(EmbeddedDatabase.class);
        Properties passwords = new Properties();
        try (var r = Files.newBufferedReader(db.passwordFile())) {
            passwords.load(r);
        }
        return JdbcClient.create(new DriverManagerDataSource(db.jdbcUrl(), "postgres", passwords.getProperty("superuser")));
    }

    static long count(JdbcClient jdbc, String table) {
        return jdbc.sql("SELECT count(*) FROM " + table).query(Long.class).single();
    }

    static void load(JdbcClient jdbc, int images, long chunks, List<byte[]> sharedKeys) {
        jdbc.sql("SET work_mem = '512MB'").update();
        jdbc.sql("SET maintenance_work_mem = '1GB'").update();
        jdbc.sql("""
                INSERT INTO hosts (id, name, arch, kernel, cpu_flags, vdso_fingerprint, last_heartbeat)
                SELECT 'bench-host-' || h, 'bench-host-' || h, 'x86_64', '6.18', ARRAY['sse2','avx','avx2'], 'vdso-1', now()
                FROM generate_series(0, ?) h""").param(HOSTS - 1).update();
        jdbc.sql("""
                INSERT INTO jobs (host_id, name, labels)
                SELECT 'bench-host-' || h, 'job-' || j, jsonb_build_object('team', 'team-' || (j % 3))
                FROM generate_series(0, ?) h, generate_series(0, ?) j""").params(HOSTS - 1, JOBS_PER_HOST - 1).update();
        jdbc.sql("ALTER TABLE chunks DROP CONSTRAINT chunks_pkey").update();
        jdbc.sql("DROP INDEX chunks_pack").update();
        jdbc.sql("""
                INSERT INTO chunks (key, pack_key, pack_offset, raw_bytes, stored_bytes)
                SELECT sha256(int8send(g)), 'pack-' || (g / 500), (g % 500) * 16000, 65536, 16000
                FROM generate_series(0, ? - 1) g""").param(chunks).update();
        // The chunks the registered images share (80 % of each), among the 10 million: a registration's
        // known chunks are then found in a large, cold table, as an agent's would be.
        jdbc.sql("""
                INSERT INTO chunks (key, pack_key, pack_offset, raw_bytes, stored_bytes)
                SELECT k, 'pack-shared', 0, 4096, 1000 FROM unnest(?::bytea[]) k""").param(sharedKeys.toArray(byte[][]::new)).update();
        jdbc.sql("ALTER TABLE chunks ADD PRIMARY KEY (key)").update();
        jdbc.sql("CREATE INDEX chunks_pack ON chunks (pack_key)").update();
        jdbc.sql("""
                INSERT INTO images (id, host_id, job_id, captured_at, state, logical_bytes, stored_bytes, chunk_count,
                                    manifest_key, signature, arch, cpu_flags, vdso_fingerprint, process_summary)
                SELECT 'bench-' || i, j.host_id, j.id, timestamptz '2026-01-01' + i * interval '5 minutes', 'COMPLETE',
                       (1 + i % 64)::bigint << 26, (1 + i % 7)::bigint << 22, ? / ?, 'manifests/bench-' || i, 'sig',
                       'x86_64', ARRAY['sse2'], 'vdso-1', '{"threads": 4}'::jsonb
                FROM generate_series(0, ? - 1) i
                JOIN LATERAL (SELECT id, host_id FROM jobs ORDER BY id OFFSET (i % ?) LIMIT 1) j ON true""")
                .params(chunks, images, images, HOSTS * JOBS_PER_HOST).update();
        // Each image names chunks/images chunks: a run of consecutive chunk numbers (shared with its neighbours).
        // Bulk load: indexes off, then built by sorting (as a restore of a dump would), same definitions as V1.
        long per = chunks / images;
        jdbc.sql("ALTER TABLE image_chunks DROP CONSTRAINT image_chunks_pkey").update();
        jdbc.sql("DROP INDEX image_chunks_chunk").update();
        jdbc.sql("""
                INSERT INTO image_chunks (image_id, chunk_key)
                SELECT 'bench-' || i, sha256(int8send((i * ? + c) % ?))
                FROM generate_series(0, ? - 1) i, generate_series(0, ? - 1) c""")
                .params(per, chunks, images, per).update();
        jdbc.sql("ALTER TABLE image_chunks ADD PRIMARY KEY (image_id, chunk_key)").update();
        jdbc.sql("CREATE INDEX image_chunks_chunk ON image_chunks (chunk_key)").update();
        // Registration writes each image's list (V9) and the worker fills image_chunks from it; loaded
        // in bulk, the lists are made from the links, as V9 does for images registered before it.
        jdbc.sql("""
                INSERT INTO image_chunk_lists (image_id, keys)
                SELECT image_id, array_agg(chunk_key ORDER BY chunk_key) FROM image_chunks GROUP BY image_id""").update();
        jdbc.sql("VACUUM ANALYZE").update();
    }

    /** Server-side cost of the two hot queries (execution time and buffers), apart from HTTP and JSON. */
    static void explain(JdbcClient jdbc, long chunks) {
        Random rnd = new Random(2);
        byte[][] keys = new byte[10_000][];
        for (int k = 0; k < keys.length; k++) keys[k] = sha256(k % 2 == 0 ? (long) (rnd.nextDouble() * chunks) : chunks + 1 + k);
        for (int round = 0; round < 3; round++) {
            List<String> plan = jdbc.sql("EXPLAIN (ANALYZE, BUFFERS) SELECT key FROM chunks WHERE key = ANY (?)")
                    .param(keys).query(String.class).list();
            if (round == 2) {
                System.out.println("EXPLAIN chunk query (10,000 keys), third run:");
                plan.stream().map(l -> l.length() > 160 ? l.substring(0, 160) + "…" : l).forEach(l -> System.out.println("    " + l));
            }
        }
        byte[][] sorted = keys.clone();
        Arrays.sort(sorted, Arrays::compareUnsigned);
        for (int round = 0; round < 3; round++) {
            List<String> plan = jdbc.sql("EXPLAIN (ANALYZE, BUFFERS) " + UNNEST_JOIN).param(sorted).query(String.class).list();
            if (round == 2) {
                System.out.println("EXPLAIN chunk query as a join with the sorted keys, third run:");
                plan.stream().map(l -> l.length() > 160 ? l.substring(0, 160) + "…" : l).forEach(l -> System.out.println("    " + l));
            }
        }
        List<String> hostJob = jdbc.sql("""
                EXPLAIN (ANALYZE, BUFFERS) SELECT i.id, h.name, j.name FROM images i JOIN jobs j ON j.id = i.job_id
                JOIN hosts h ON h.id = i.host_id WHERE i.host_id = 'bench-host-7' AND i.job_id IN (SELECT id FROM jobs WHERE host_id = 'bench-host-7' AND name = 'job-3')
                ORDER BY i.captured_at DESC, i.id DESC LIMIT 50 OFFSET 150""").query(String.class).list();
        System.out.println("EXPLAIN one host and job, page 4:");
        hostJob.forEach(l -> System.out.println("    " + l));
        List<String> plan = jdbc.sql("""
                EXPLAIN (ANALYZE, BUFFERS) SELECT i.id, h.name, j.name FROM images i JOIN jobs j ON j.id = i.job_id
                JOIN hosts h ON h.id = i.host_id WHERE true ORDER BY i.captured_at DESC, i.id DESC LIMIT 50 OFFSET 0""")
                .query(String.class).list();
        System.out.println("EXPLAIN first image page:");
        plan.forEach(l -> System.out.println("    " + l));
        plan = jdbc.sql("EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM images i WHERE true").query(String.class).list();
        System.out.println("EXPLAIN image count:");
        plan.forEach(l -> System.out.println("    " + l));
    }

    static final String UNNEST_JOIN = """
            SELECT c.key FROM unnest(?::bytea[]) WITH ORDINALITY AS q(key, n) JOIN chunks c ON c.key = q.key ORDER BY q.n""";

    /** The chunk statement's candidates, timed in process on one connection: 10,000 keys, half known. */
    static void sqlVariants(JdbcClient jdbc, long chunks) {
        String[][] variants = {
                {"key = ANY, keys in query order", "SELECT key FROM chunks WHERE key = ANY (?)", "no"},
                {"key = ANY, keys sorted", "SELECT key FROM chunks WHERE key = ANY (?)", "sort"},
                {"join with unnest(sorted keys) ORDER BY ordinality", UNNEST_JOIN, "sort"},
        };
        for (String[] v : variants) {
            Random rnd = new Random(4);
            long[] ns = new long[100];
            for (int i = -10; i < ns.length; i++) {
                byte[][] keys = new byte[10_000][];
                for (int k = 0; k < keys.length; k++) keys[k] = sha256(k % 2 == 0 ? (long) (rnd.nextDouble() * chunks) : chunks + 1 + rnd.nextInt(1 << 30));
                long t = System.nanoTime();
                if (v[2].equals("sort")) Arrays.sort(keys, Arrays::compareUnsigned);
                int found = jdbc.sql(v[1]).param(keys).query((rs, n) -> rs.getBytes(1)).list().size();
                long d = System.nanoTime() - t;
                if (found < 4_000) throw new IllegalStateException(v[0] + ": only " + found + " found");
                if (i >= 0) ns[i] = d;
            }
            report("SQL " + v[0], ns);
        }
    }

    static HttpClient login(String base, String user, String password) throws Exception {
        HttpClient c = HttpClient.newBuilder().cookieHandler(new CookieManager()).followRedirects(HttpClient.Redirect.NEVER).build();
        String page = c.send(HttpRequest.newBuilder(URI.create(base + "/login")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(page);
        if (!m.find()) throw new IllegalStateException("no CSRF token on the login page");
        String form = "username=" + enc(user) + "&password=" + enc(password) + "&_csrf=" + enc(m.group(1));
        var r = c.send(HttpRequest.newBuilder(URI.create(base + "/login")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.discarding());
        if (r.headers().firstValue("Location").orElse("").contains("error")) throw new IllegalStateException("login failed");
        return c;
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static void listing(HttpClient c, String base) throws Exception {
        String[] queries = {
                "/api/images?size=50",
                "/api/images?size=50&page=100",
                "/api/images?size=50&host=bench-host-7",
                "/api/images?size=50&host=bench-host-7&job=job-3&page=3",
                "/api/images?size=50&label=team%3Dteam-1",
                "/api/images?size=50&sort=logicalBytes&dir=desc",
                "/api/images?size=50&state=COMPLETE&from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z",
        };
        // Warm up every query first (JIT, caches), then measure each.
        for (int w = 0; w < 100; w++) {
            for (String q : queries) c.send(HttpRequest.newBuilder(URI.create(base + q)).build(), HttpResponse.BodyHandlers.discarding());
        }
        for (String q : queries) {
            long[] ns = new long[300];
            for (int i = -10; i < ns.length; i++) {
                long t = System.nanoTime();
                var r = c.send(HttpRequest.newBuilder(URI.create(base + q)).build(), HttpResponse.BodyHandlers.ofString());
                long d = System.nanoTime() - t;
                if (r.statusCode() != 200) throw new IllegalStateException(q + " -> " + r.statusCode() + " " + r.body());
                if (i >= 0) ns[i] = d;
            }
            report("list " + q, ns);
        }
    }

    static void chunkQuery(HttpClient c, String base, String token, long chunks) throws Exception {
        Random rnd = new Random(1);
        long[] ns = new long[200];
        for (int i = -20; i < ns.length; i++) {
            StringBuilder body = new StringBuilder("{\"keys\":[");
            for (int k = 0; k < 10_000; k++) {
                if (k > 0) body.append(',');
                // Half known (SHA-256 of a loaded chunk number), half unknown (beyond the loaded range).
                long n = k % 2 == 0 ? (long) (rnd.nextDouble() * chunks) : chunks + 1 + rnd.nextInt(1 << 30);
                body.append('"').append(HexFormat.of().formatHex(sha256(n))).append('"');
            }
            body.append("]}");
            long t = System.nanoTime();
            var r = c.send(HttpRequest.newBuilder(URI.create(base + "/api/chunks/query"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
            long d = System.nanoTime() - t;
            if (r.statusCode() != 200) throw new IllegalStateException("chunk query -> " + r.statusCode() + " " + r.body());
            if (i == 0 && !r.body().contains("\"known\":[\"")) throw new IllegalStateException("no known chunk found");
            if (i >= 0) ns[i] = d;
        }
        report("chunk query, 10,000 keys (half known)", ns);
    }

    /** The binary form: raw 32-byte keys in, one bit per key out. */
    static void chunkQueryBinary(HttpClient c, String base, String token, long chunks) throws Exception {
        Random rnd = new Random(1);
        long[] ns = new long[200];
        for (int i = -20; i < ns.length; i++) {
            byte[] body = new byte[10_000 * 32];
            for (int k = 0; k < 10_000; k++) {
                long n = k % 2 == 0 ? (long) (rnd.nextDouble() * chunks) : chunks + 1 + rnd.nextInt(1 << 30);
                System.arraycopy(sha256(n), 0, body, k * 32, 32);
            }
            long t = System.nanoTime();
            var r = c.send(HttpRequest.newBuilder(URI.create(base + "/api/chunks/query"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
            long d = System.nanoTime() - t;
            if (r.statusCode() != 200) throw new IllegalStateException("binary chunk query -> " + r.statusCode() + " " + new String(r.body()));
            int known = 0;
            for (byte b : r.body()) known += Integer.bitCount(b & 0xff);
            if (known < 4_000 || known > 5_000) throw new IllegalStateException("binary chunk query: " + known + " known of 10,000 (5,000 expected)");
            if (i >= 0) ns[i] = d;
        }
        report("chunk query, binary (application/octet-stream), 10,000 keys (half known)", ns);
    }

    /** The same lookups without HTTP: the database alone, and the filter in front of it. */
    static void chunkQueryInProcess(ConfigurableApplicationContext ctx, long chunks) {
        var split = ctx.getBean(io.cryostash.catalog.chunk.ChunkLookup.class);
        // The same lookup with one lookup thread: the database part is not split over connections.
        var oneThread = new org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor();
        oneThread.setCorePoolSize(1);
        oneThread.setMaxPoolSize(1);
        oneThread.initialize();
        var unsplit = new io.cryostash.catalog.chunk.ChunkLookup(ctx.getBean(JdbcClient.class),
                ctx.getBean(io.cryostash.catalog.chunk.ChunkFilterService.class), oneThread);
        for (int variant = 0; variant < 3; variant++) {
            boolean filtered = variant > 0;
            var lookup = variant == 2 ? unsplit : split;
            Random rnd = new Random(3);
            long[] ns = new long[200];
            for (int i = -20; i < ns.length; i++) {
                byte[][] keys = new byte[10_000][];
                for (int k = 0; k < keys.length; k++) {
                    keys[k] = sha256(k % 2 == 0 ? (long) (rnd.nextDouble() * chunks) : chunks + 1 + rnd.nextInt(1 << 30));
                }
                long t = System.nanoTime();
                boolean[] known = filtered ? lookup.known(keys) : lookup.inDatabase(keys);
                long d = System.nanoTime() - t;
                int n = 0;
                for (int k = 0; k < known.length; k++) {
                    if (known[k] && k % 2 == 1) throw new IllegalStateException("key " + k + " was never loaded but is reported known");
                    if (known[k]) n++;
                }
                if (n < 4_000) throw new IllegalStateException("only " + n + " known");
                if (i >= 0) ns[i] = d;
            }
            report(variant == 2 ? "chunk lookup in process, filter then database on one connection"
                    : filtered ? "chunk lookup in process, filter then database (ChunkLookup.known)"
                    : "chunk lookup in process, database only (ChunkLookup.inDatabase)", ns);
        }
        oneThread.shutdown();
    }

    /**
     * What registration costs before the database, in process: reading a manifest and its chunk table
     * from the (directory) store and verifying them with the host's key, as every registration does.
     */
    static void verification(ConfigurableApplicationContext ctx, SignedImages signed) throws Exception {
        var store = ctx.getBean(ManifestStore.class);
        PublicKey key = KeyFactory.getInstance("Ed25519")
                .generatePublic(new X509EncodedKeySpec(signed.publicKey()));
        long t0 = System.nanoTime();
        store.read(signed.id(0, PER_ROUND), key); // opens the store and loads its index, as a running catalog has
        System.out.printf("store opened, index of %,d images loaded in %.1f s%n", signed.count(), (System.nanoTime() - t0) / 1e9);
        long[] ns = new long[1000];
        for (int i = -100; i < ns.length; i++) {
            long t = System.nanoTime();
            store.read(signed.id(2, Math.floorMod(i, PER_ROUND)), key);
            if (i >= 0) ns[i] = System.nanoTime() - t;
        }
        report("manifest + chunk table read and verified (in process, directory store)", ns);
    }

    static void registration(ConfigurableApplicationContext ctx, HttpClient c, String base, String token, JdbcClient jdbc,
                             SignedImages signed, int round, String label) throws Exception {
        long jobs = jdbc.sql("SELECT count(*) FROM jobs WHERE host_id = ?").param(SignedImages.HOST).query(Long.class).single();
        int n = PER_ROUND;
        int threads = 4;
        AtomicLong next = new AtomicLong();
        long[] ns = new long[n];
        long[] doneAt = new long[n];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            fs.add(pool.submit(() -> {
                long i;
                while ((i = next.getAndIncrement()) < n) {
                    // What an agent posts: a checkpoint.completed pointing at the signed manifest in the store.
                    String id = signed.id(round, (int) i);
                    String body = """
                            {"version":1,"hostId":"%s","job":"job-%d","imageId":"%s","manifestKey":"manifests/%s",
                             "capturedAt":"2026-11-28T00:00:00Z","logicalBytes":%d,"storedBytes":%d}"""
                            .formatted(SignedImages.HOST, i % jobs, id, id, SignedImages.CHUNKS * 4096L, 20 * 1000L);
                    long t = System.nanoTime();
                    var r = c.send(HttpRequest.newBuilder(URI.create(base + "/api/images"))
                            .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    long now = System.nanoTime();
                    ns[(int) i] = now - t;
                    doneAt[(int) i] = now;
                    if (r.statusCode() != 201) throw new IllegalStateException("register -> " + r.statusCode() + " " + r.body());
                }
                return null;
            }));
        }
        for (Future<?> f : fs) f.get();
        double secs = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        report("register image (signed manifest, 100 chunks + 1 table, 4 client threads), " + label, ns);
        System.out.printf("registration, %s: %,d images in %.1f s = %.0f images/s%n", label, n, secs, n / secs);
        // Sustained: the slowest whole 5-second window of the run.
        double slowest = Double.MAX_VALUE;
        for (long w = t0; w + 5_000_000_000L <= t0 + (long) (secs * 1e9); w += 1_000_000_000L) {
            int in = 0;
            for (long d : doneAt) if (d >= w && d < w + 5_000_000_000L) in++;
            slowest = Math.min(slowest, in / 5.0);
        }
        if (slowest != Double.MAX_VALUE) System.out.printf("registration, %s: slowest 5-s window %.0f images/s%n", label, slowest);
        // Packs' live bytes are applied by a background worker (PackLiveBytesWorker, every 2 s): what
        // it still had to do when the round ended, and how long the rest took.
        var packs = ctx.getBean(io.cryostash.catalog.pack.PackRepository.class);
        var runs = ctx.getBean(io.micrometer.core.instrument.MeterRegistry.class).timer("cryostash.catalog.pack.live.apply");
        System.out.printf("registration, %s: live_bytes worker so far: %d runs, %.0f ms in all, slowest of the last 2 minutes %.0f ms%n",
                label, runs.count(), runs.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS), runs.max(java.util.concurrent.TimeUnit.MILLISECONDS));
        long pending = packs.pendingLiveChanges();
        long a0 = System.nanoTime();
        packs.applyLiveChanges();
        System.out.printf("registration, %s: %d image changes still queued for live_bytes at the end, applied in %.0f ms%n",
                label, pending, (System.nanoTime() - a0) / 1e6);
        // What recounting the one pack every registration adds to would cost instead.
        long inP = jdbc.sql("SELECT count(*) FROM chunks WHERE pack_key = 'p'").query(Long.class).single();
        long r0 = System.nanoTime();
        long recount = packs.countLiveBytes("p");
        System.out.printf("registration, %s: recounting pack p from scratch (%,d chunks): %.0f ms; live_bytes %s the recount%n",
                label, inP, (System.nanoTime() - r0) / 1e6,
                packs.find("p").orElseThrow().liveBytes() == recount ? "equals" : "DIFFERS FROM");
    }

    static byte[] sha256(long n) {
        try {
            byte[] b = new byte[8];
            for (int i = 0; i < 8; i++) b[i] = (byte) (n >>> (56 - 8 * i));
            return java.security.MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void report(String what, long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        System.out.printf("%-90s n=%4d  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms%n", what, s.length,
                s[s.length / 2] / 1e6, s[(int) Math.ceil(s.length * 0.99) - 1] / 1e6, s[s.length - 1] / 1e6);
    }

    static void deleteTree(Path p) throws Exception {
        if (!Files.exists(p)) return;
        try (var files = Files.walk(p)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /**
     * The images the registration rounds register, written beforehand (not timed) into a directory
     * store, signed with bench-host-0's key, as that host's agent would have: one anonymous area of
     * {@link #CHUNKS} one-page chunks each. Chunk k of image n holds bytes drawn from n*7+k for the
     * first {@link #SHARED} chunks (so neighbouring images share most of them, and the bulk load puts
     * them among its 10 million rows) and from a number of its own for the rest, as before.
     */
    static final class SignedImages {
        static final String HOST = "bench-host-0";
        static final int CHUNKS = 100;
        static final int SHARED = 80;
        static final long START = 0x7f00_0000_0000L;

        private final String[][] ids;
        private final List<byte[]> sharedKeys;
        private final byte[] publicKey;

        private SignedImages(String[][] ids, List<byte[]> sharedKeys, byte[] publicKey) {
            this.ids = ids;
            this.sharedKeys = sharedKeys;
            this.publicKey = publicKey;
        }

        static SignedImages write(Path storeDir, Path keyDir, int rounds, int perRound) throws Exception {
            Files.createDirectories(storeDir);
            String[][] ids = new String[rounds][perRound];
            Set<String> shared = new LinkedHashSet<>();
            try (var st = ImageStore.open(new StoreSettings(
                    storeDir.toString(), S3Config.Overrides.NONE, Map.of(), null, keyDir, null,
                    null, HOST, ChunkStore.Options.defaults()))) {
                byte[] memory = new byte[CHUNKS * 4096];
                ByteBuffer longs = ByteBuffer.wrap(memory);
                for (int round = 0; round < rounds; round++) {
                    for (int i = 0; i < perRound; i++) {
                        long id = round * 1_000_000L + i;
                        for (int k = 0; k < CHUNKS; k++) {
                            long x = (k < SHARED ? id * 7 + k : 50_000_000_000L + id * 100 + k) * 0x9E3779B97F4A7C15L | 1;
                            for (int q = 0; q < 512; q++) {
                                x ^= x << 13; x ^= x >>> 7; x ^= x << 17;
                                longs.putLong(k * 4096 + q * 8, x);
                            }
                        }
                        var w = st.newImage();
                        var area = w.putArea(new AreaChunker(4096, 1), START, memory.length,
                                AreaChunker.PagePresence.all(),
                                (address, dst) -> dst.put(memory, (int) (address - START), dst.remaining()));
                        for (int k = 0; k < SHARED; k++) shared.add(area.chunks().get(k).key().hex());
                        ids[round][i] = st.commit(w, image((int) (id % 4_000_000) + 1, area)).id();
                    }
                }
                byte[] key = HostKeys.loadOrCreate(keyDir).publicKey().getEncoded();
                List<byte[]> keys = shared.stream().map(HexFormat.of()::parseHex).toList();
                return new SignedImages(ids, keys, key);
            }
        }

        private static ProcessImage image(int pid, AreaChunks area) {
            var regs = CpuRegisters.fromArray(new long[CpuRegisters.COUNT]);
            return new ProcessImage(ProcessImage.FORMAT_VERSION, null, null,
                    "full", Instant.parse("2026-11-28T00:00:00Z"),
                    new HostInfo(HOST, "6.18.0", "amd64", "vdso-1", 2432),
                    new ProcessInfo(pid, 1, pid, pid, "x", List.of("/usr/bin/x"), "/usr/bin/x", 0),
                    new Credentials(0, 0, 0, 0, 0, 0, 0, 0, List.of()),
                    new MmLayout(0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000, 0x8000, 0x9000,
                            0xa000, 0xb000, new byte[] {1}, "/usr/bin/x"),
                    List.of(new MemoryArea(START, START + area.length(), "rw-p", 0, null,
                            MemoryArea.Kind.ANONYMOUS, area, java.util.Set.of())),
                    List.of(new ThreadState(pid, regs, new byte[] {0}, 0, null, null, 0, 0, 0, "x", List.of(), false)),
                    List.of(), new FsState("/tmp", "/", 022), List.of(), List.of(), List.of(),
                    ProcessTimers.NONE, List.of(), null, null);
        }

        String id(int round, int i) {
            return ids[round][i];
        }

        int count() {
            return ids.length * ids[0].length;
        }

        List<byte[]> sharedKeys() {
            return sharedKeys;
        }

        byte[] publicKey() {
            return publicKey;
        }
    }
}
