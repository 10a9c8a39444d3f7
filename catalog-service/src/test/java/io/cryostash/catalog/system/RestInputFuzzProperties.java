// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.WebSession;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.security.EnrolmentTokenService;
import io.cryostash.catalog.security.UserTokenService;
import io.cryostash.catalog.user.Role;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.PropertyDefaults;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestContextManager;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

/**
 * Fuzzing the catalog's REST inputs (issue 12's fault suite): random and hostile values (huge and
 * negative numbers, NUL and control characters, long strings, invalid UTF-8, wrong JSON types,
 * nested junk, dates outside the years 1 to 9999, traversal ids) thrown at what agents and people
 * can reach, over real HTTP to the running catalog on its real PostgreSQL: registration,
 * heartbeat, enrolment, chunk queries, restore requests and reports, jobs, schedules, retention,
 * quotas, users and tokens, every list filter, the audit export, the pages, login. Every answer is
 * below 500, every refusal is a problem (application/problem+json) that passes on no database
 * message, nothing stored breaks the documented bounds, and the dashboard still answers.
 *
 * <p>jqwik runs beside JUnit Jupiter on the JUnit platform; Spring's {@link TestContextManager}
 * gives each property the same cached context (one database) as the {@link CatalogTest} classes.
 * Tries are few on purpose: each one is a real request (logins a bcrypt check).
 */
@CatalogTest
@PropertyDefaults(tries = 60, shrinking = ShrinkingMode.BOUNDED)
class RestInputFuzzProperties {

    private static final TestContextManager SPRING = new TestContextManager(RestInputFuzzProperties.class);
    /** Each login try comes from an address of its own (198.18.0.0/15, for benchmarks): locks stay with the try. */
    private static final AtomicInteger ADDRESSES = new AtomicInteger();

    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @Autowired MockMvc mvc;
    @Autowired UserTokenService userTokens;
    @Autowired EnrolmentTokenService enrolmentTokens;
    @Value("${local.server.port}") int port;

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private World world;

    /** Who the tries act as, and things of theirs to point at. */
    record World(Fixtures.Agent agent, Fixtures.Agent other, Fixtures.Agent target, String image, long jobId, String viewer, String operator,
                 String admin, String adminName, String patchedUser, String enrolment) {
        String bearer(Role role) {
            return "Bearer " + switch (role) {
                case VIEWER -> viewer;
                case OPERATOR -> operator;
                case ADMIN -> admin;
            };
        }
    }

    @BeforeProperty
    void world() throws Exception {
        SPRING.prepareTestInstance(this);
        Fixtures.Agent agent = fx.host("fuzz");
        Fixtures.Agent other = fx.host("fuzz-other");
        // restores go to a host whose heartbeats the tries leave alone (a fuzzed one may no longer fit the image)
        Fixtures.Agent target = fx.host("fuzz-target");
        String image = fx.image(agent, "fuzz-job");
        long jobId = jdbc.sql("SELECT job_id FROM images WHERE id = ?").param(image).query(Long.class).single();
        String adminName = fx.user(Role.ADMIN);
        world = new World(agent, other, target, image, jobId, token(fx.user(Role.VIEWER)), token(fx.user(Role.OPERATOR)),
                token(adminName), adminName, fx.user(Role.VIEWER),
                enrolmentTokens.issue("fuzz", Instant.now().plus(Duration.ofHours(1)), new Actor("fuzz", "SYSTEM", null)).token());
    }

    private String token(String name) {
        return userTokens.issue(name, "fuzz", new Actor(name, "USER", "127.0.0.1")).token();
    }

    /** What the tries created that would change other tests' results: default retention policies, schedules. */
    @AfterProperty
    void boundsHoldAndTheDashboardAnswers() throws Exception {
        jdbc.sql("DELETE FROM retention_policies WHERE job_id IS NULL AND created_by = ?").param(world.adminName()).update();
        jdbc.sql("DELETE FROM schedules WHERE job_id = ?").param(world.jobId()).update();
        Map<String, String> bounds = new LinkedHashMap<>();
        bounds.put("hosts",
                "length(name) > 200 OR name ~ '[\\x01-\\x1f\\x7f]' OR arch !~ '^[A-Za-z0-9_]{1,32}$' OR length(kernel) > 64"
                        + " OR length(cpu_model) > 256 OR cardinality(cpu_flags) > 2048 OR length(vdso_fingerprint) > 256"
                        + " OR length(capture_agent_version) > 64 OR length(restore_agent_version) > 64 OR id IN ('.', '..')");
        bounds.put("images", "logical_bytes > 144115188075855872 OR stored_bytes > 144115188075855872"
                + " OR extract(year FROM captured_at) NOT BETWEEN 1 AND 9999 OR id IN ('.', '..')");
        bounds.put("jobs", "length(command_pattern) > 1000 OR pid NOT BETWEEN 1 AND 4194304");
        bounds.put("restore_requests", "length(error) > 4200 OR restored_pid NOT BETWEEN 1 AND 4194304");
        bounds.put("schedules", "interval_seconds > 31536000");
        bounds.put("retention_policies", "length(name) > 100");
        bounds.put("enrolment_tokens", "length(label) > 200");
        bounds.put("user_tokens", "length(label) > 200");
        bounds.put("audit_log", "length(actor) > 200 OR length(target_id) > 300");
        for (var b : bounds.entrySet()) {
            List<String> bad = jdbc.sql("SELECT row_to_json(t)::text FROM " + b.getKey() + " t WHERE " + b.getValue() + " LIMIT 3")
                    .query(String.class).list();
            assertThat(bad).as("rows of %s out of bounds (%s)", b.getKey(), b.getValue()).isEmpty();
        }
        String viewer = fx.user(Role.VIEWER);
        WebSession person = WebSession.login(port, viewer, viewer + "-password");
        for (String page : List.of("/", "/stats.json", "/images", "/audit", "/hosts", "/restores")) {
            assertThat(person.get(page).statusCode()).as("GET %s after the fuzzing", page).isEqualTo(200);
        }
    }

    // --- properties ---

    /** What an agent sends: registration pointers, heartbeats, chunk queries, restore reports, quota checks, enrolment. */
    @Property
    void agentInputs(@ForAll("agentRequests") Request r) throws Exception {
        Request resolved = r.resolve(world);
        if (resolved.path().contains("{RESTORE}")) {
            resolved = new Request(resolved.method(), resolved.path().replace("{RESTORE}", newRestore()), resolved.auth(),
                    resolved.contentType(), resolved.body());
        }
        check(r, send(resolved));
    }

    /** A restore request of the world's image to the target host, as an operator makes it. */
    private String newRestore() throws Exception {
        HttpResponse<String> made = send(new Request("POST", "/api/restores", world.bearer(Role.OPERATOR), "application/json",
                utf8(object(fields("imageId", quote(world.image()), "hostId", quote(world.target().hostId()))))));
        assertThat(made.statusCode()).as("restore request: %s", made.body()).isEqualTo(201);
        java.util.regex.Matcher id = java.util.regex.Pattern.compile("\"id\":\"([0-9a-f-]{36})\"").matcher(made.body());
        assertThat(id.find()).isTrue();
        return id.group(1);
    }

    /** What operators and admins send: restore requests, jobs, schedules, retention, quotas, users, tokens, pins. */
    @Property
    void peopleBodies(@ForAll("peopleRequests") Request r) throws Exception {
        check(r, send(r.resolve(world)));
    }

    /** Every list filter and query parameter, in the API, the audit export and the pages. */
    @Property
    void queriesAndFilters(@ForAll("queryRequests") Request r) throws Exception {
        check(r, send(r.resolve(world)));
    }

    /** Ids in paths: traversal, encoded slashes, NUL, invalid UTF-8, huge numbers, wrong types. */
    @Property
    void pathIds(@ForAll("pathRequests") Request r) throws Exception {
        check(r, send(r.resolve(world)));
    }

    /** The login form with any user name and password, as a browser and as a program asking for JSON. */
    @Property(tries = 40)
    void login(@ForAll("hostileText") String username, @ForAll("hostileText") String password,
               @ForAll boolean wantsJson) throws Exception {
        int n = ADDRESSES.incrementAndGet();
        String address = "198.18." + (n / 250 % 250) + "." + (n % 250 + 1);
        MvcResult res = mvc.perform(post("/login").param("username", username).param("password", password).with(csrf())
                .header("Accept", wantsJson ? "application/json" : "text/html")
                .with(rq -> {
                    rq.setRemoteAddr(address);
                    return rq;
                })).andReturn();
        int status = res.getResponse().getStatus();
        String body = res.getResponse().getContentAsString();
        assertThat(status).as("login as %s: %s", shortly(username), body).isLessThan(500);
        if (wantsJson) {
            assertThat(status).as("login as %s", shortly(username)).isIn(400, 401, 413, 429);
            assertThat(res.getResponse().getContentType()).startsWith("application/problem+json");
        } else {
            assertThat(status).as("login as %s", shortly(username)).isIn(302, 400, 413);
        }
        assertNoDatabaseMessage(body);
    }

    // --- requests ---

    /** One request; the path and body may name the world's things with {HOST}, {OTHER}, {IMAGE}, {JOB}, {USER}. */
    record Request(String method, String path, String auth, String contentType, byte[] body) {
        Request resolve(World w) {
            String p = fill(path, w);
            byte[] b = body == null ? null : fill(new String(body, StandardCharsets.ISO_8859_1), w).getBytes(StandardCharsets.ISO_8859_1);
            String bearer = switch (auth) {
                case "agent" -> w.agent().bearer();
                case "target" -> w.target().bearer();
                case "enrol" -> "Bearer " + w.enrolment();
                case "viewer" -> w.bearer(Role.VIEWER);
                case "operator" -> w.bearer(Role.OPERATOR);
                case "admin" -> w.bearer(Role.ADMIN);
                default -> null;
            };
            return new Request(method, p, bearer, contentType, b);
        }

        private static String fill(String s, World w) {
            return s.replace("{HOST}", w.agent().hostId()).replace("{OTHER}", w.other().hostId()).replace("{IMAGE}", w.image())
                    .replace("{JOB}", String.valueOf(w.jobId())).replace("{USER}", w.patchedUser());
        }

        @Override
        public String toString() {
            String b = body == null ? "" : " " + shortly(new String(body, StandardCharsets.UTF_8));
            return method + " " + shortly(path) + " as " + auth + b;
        }
    }

    HttpResponse<String> send(Request r) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + r.path()))
                .timeout(Duration.ofSeconds(120)).header("Accept", "application/json");
        if (r.auth() != null) b.header("Authorization", r.auth());
        if (r.contentType() != null) b.header("Content-Type", r.contentType());
        b.method(r.method(), r.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(r.body()));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void check(Request r, HttpResponse<String> res) {
        assertThat(res.statusCode()).as("%s answered %s", r, shortly(res.body())).isLessThan(500);
        if (res.statusCode() >= 400) {
            assertThat(res.headers().firstValue("Content-Type").orElse(""))
                    .as("%s answered %d", r, res.statusCode()).startsWith("application/problem+json");
        }
        assertNoDatabaseMessage(res.body());
    }

    static void assertNoDatabaseMessage(String body) {
        assertThat(body).doesNotContain("org.postgresql", "PSQLException", "SQL state", "ERROR: ", "violates", "Exception:");
    }

    static String shortly(String s) {
        String t = s.length() > 160 ? s.substring(0, 160) + "…(" + s.length() + ")" : s;
        StringBuilder b = new StringBuilder();
        t.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || Character.isSurrogate((char) c)) b.append(String.format("\\u%04x", c));
            else b.appendCodePoint(c);
        });
        return b.toString();
    }

    // --- generators: values ---

    /** Strings a hostile client would try, as Java strings (encoded as UTF-8 by whoever sends them). */
    @Provide
    static Arbitrary<String> hostileText() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.strings().all().ofMaxLength(24)),
                net.jqwik.api.Tuple.of(2, Arbitraries.strings().withChars("\u0000\u0001\u0008\n\r\t\u001b\u007f\u0085\u2028\u202e\ufeff\ud800\udfffa./%\\\"'")
                        .ofMinLength(1).ofMaxLength(12)),
                net.jqwik.api.Tuple.of(3, Arbitraries.of(".", "..", "../../../etc/passwd", "..\\..\\x", "/", "//", "manifests/../../x",
                        "%00", "%2e%2e", "a\u0000b", "\u0000", "'; DROP TABLE images; --", "${jndi:ldap://x/a}",
                        "<script>alert(1)</script>", "", " ", "null", "true", "-1", "0", "1.5", "9223372036854775808",
                        "-9223372036854775809", "1e309", "NaN", "Infinity", "+99999-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
                        "-999999999-01-01T00:00:00Z", "2026-02-30T25:61:00Z", "1970-01-01T00:00:00Z", "x=y", "a=b=c", "=",
                        "RESUME", "KILL", "ADMIN", "FAILED", "COMPLETE", "capturedAt", "csv", "json", "xml", "\ud83d\ude00",
                        "\u0130\u0131", "\ufffd")),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(65, 300_000).map(n -> "\u00e9".repeat(n))),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 4000).map(n -> "\u0000".repeat(n))));
    }

    /** JSON number literals at and past every edge. */
    static Arbitrary<String> hostileNumber() {
        return Arbitraries.oneOf(
                Arbitraries.of("0", "-0", "-1", "1", "1.5", "-1.5", "1e2", "1E400", "-1e400", "1e-400", "0.0000001",
                        "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967296", "4194305",
                        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                        "144115188075855872", "144115188075855873", "18446744073709551616",
                        "123456789012345678901234567890123456789012345678901234567890", "1" + "0".repeat(5000)),
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.integers().map(String::valueOf));
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || Character.isSurrogate(c)) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /** Any JSON value, junk included, nested to {@code depth}. */
    static Arbitrary<String> hostileJson(int depth) {
        List<Arbitrary<String>> leaves = List.of(
                hostileNumber(),
                hostileText().map(RestInputFuzzProperties::quote),
                Arbitraries.of("true", "false", "null", "{}", "[]", "\"\"", "[null]", "{\"\":null}",
                        "[".repeat(5000) + "]".repeat(5000), "{\"a\":".repeat(3000) + "1" + "}".repeat(3000)));
        if (depth <= 0) return Arbitraries.oneOf(leaves);
        Arbitrary<String> inner = hostileJson(depth - 1);
        Arbitrary<String> array = inner.list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]");
        Arbitrary<String> object = Combinators.combine(hostileText().map(RestInputFuzzProperties::quote), inner).as((k, v) -> k + ":" + v)
                .list().ofMaxSize(3).map(l -> "{" + String.join(",", l) + "}");
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, Arbitraries.oneOf(leaves)), net.jqwik.api.Tuple.of(1, array),
                net.jqwik.api.Tuple.of(1, object));
    }

    /** Byte sequences that are not UTF-8: lone continuation bytes, overlong forms, surrogates, cut sequences. */
    static Arbitrary<byte[]> invalidUtf8() {
        return Arbitraries.of(new byte[] {(byte) 0xff}, new byte[] {(byte) 0xc3, 0x28}, new byte[] {(byte) 0xc0, (byte) 0xae},
                new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, new byte[] {(byte) 0xe2, (byte) 0x82},
                new byte[] {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, new byte[] {(byte) 0x80},
                new byte[] {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[] {0x00});
    }

    // --- generators: bodies ---

    /** A valid body, field by field (JSON values); {@code hostileBody} breaks it. */
    static Map<String, String> fields(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    static String object(Map<String, String> fields) {
        List<String> parts = new ArrayList<>();
        fields.forEach((k, v) -> parts.add(quote(k) + ":" + v));
        return "{" + String.join(",", parts) + "}";
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The template with one to three fields replaced by junk, maybe one dropped, maybe one added. */
    static Arbitrary<byte[]> mutatedFields(Map<String, String> template) {
        List<String> keys = new ArrayList<>(template.keySet());
        Arbitrary<Map<String, String>> replaced = Arbitraries.of(keys).list().ofMinSize(1).ofMaxSize(3)
                .flatMap(chosen -> hostileJson(2).list().ofSize(chosen.size()).map(values -> {
                    Map<String, String> m = new LinkedHashMap<>(template);
                    for (int i = 0; i < chosen.size(); i++) m.put(chosen.get(i), values.get(i));
                    return m;
                }));
        return Combinators.combine(replaced, Arbitraries.integers().between(0, 5), hostileText(), hostileJson(1))
                .as((m, extra, key, value) -> {
                    Map<String, String> out = new LinkedHashMap<>(m);
                    if (extra == 0) out.remove(keys.get(Math.abs(key.hashCode()) % keys.size()));
                    if (extra == 1) out.put(key, value);
                    return utf8(object(out));
                });
    }

    /** A field's string value with bytes that are not UTF-8 in it. */
    static Arbitrary<byte[]> invalidUtf8Field(Map<String, String> template) {
        List<String> keys = new ArrayList<>(template.keySet());
        return Combinators.combine(Arbitraries.of(keys), invalidUtf8()).as((k, bad) -> {
            Map<String, String> m = new LinkedHashMap<>(template);
            m.put(k, "\"@BAD@\"");
            String[] halves = object(m).split("@BAD@", 2);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(utf8(halves[0]));
            out.writeBytes(bad);
            out.writeBytes(utf8(halves[1]));
            return out.toByteArray();
        });
    }

    static Arbitrary<byte[]> hostileBody(Map<String, String> template) {
        byte[] valid = utf8(object(template));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, mutatedFields(template)),
                net.jqwik.api.Tuple.of(1, invalidUtf8Field(template)),
                net.jqwik.api.Tuple.of(1, hostileJson(3).map(RestInputFuzzProperties::utf8)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, valid.length - 1).map(n -> java.util.Arrays.copyOf(valid, n))),
                net.jqwik.api.Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(64)));
    }

    static Arbitrary<Request> body(String method, String path, String auth, Map<String, String> template) {
        return hostileBody(template).map(b -> new Request(method, path, auth, "application/json", b));
    }

    static String hostReport() {
        return object(fields("name", "\"fuzz\"", "arch", "\"x86_64\"", "kernel", "\"6.18.0\"", "cpuModel", "\"Test CPU\"",
                "cpuFlags", "[\"sse2\",\"avx\"]", "vdsoFingerprint", "\"" + Fixtures.VDSO + "\"", "captureAgentVersion", "\"0.1.0\"",
                "restoreAgentVersion", "\"0.1.0\""));
    }

    @Provide
    Arbitrary<Request> agentRequests() {
        Map<String, String> registration = fields("version", "1", "requestId", "null", "hostId", "\"{HOST}\"", "job", "\"fuzz-job\"",
                "jobLabels", "{\"team\":\"fuzz\"}", "imageId", "\"fuzz-img-1\"", "manifestKey", "\"manifests/fuzz-img-1\"",
                "parentId", "\"{IMAGE}\"", "capturedAt", "\"2026-12-06T20:00:00Z\"", "logicalBytes", "65536", "storedBytes", "16000",
                "freezeMillis", "5");
        Map<String, String> heartbeat = new LinkedHashMap<>();
        heartbeat.put("name", "\"fuzz\"");
        heartbeat.put("arch", "\"x86_64\"");
        heartbeat.put("kernel", "\"6.18.0\"");
        heartbeat.put("cpuModel", "\"Test CPU\"");
        heartbeat.put("cpuFlags", "[\"sse2\",\"avx\"]");
        heartbeat.put("vdsoFingerprint", "\"" + Fixtures.VDSO + "\"");
        heartbeat.put("captureAgentVersion", "\"0.1.0\"");
        heartbeat.put("restoreAgentVersion", "\"0.1.0\"");
        Map<String, String> chunks = fields("keys", "[\"" + Fixtures.chunkKey(1) + "\"]");
        Map<String, String> enrol = fields("hostId", "\"fuzz-enrolled\"", "publicKey", "\"MCowBQYDK2VwAyEA\"", "report", hostReport());
        Arbitrary<Request> quotaCheck = Combinators.combine(hostileText(), hostileText())
                .as((h, j) -> new Request("GET", "/api/quotas/check?host=" + enc(h) + "&job=" + enc(j), "agent", null, null));
        Arbitrary<Request> octetChunks = Arbitraries.bytes().array(byte[].class).ofMaxSize(200)
                .map(b -> new Request("POST", "/api/chunks/query", "agent", "application/octet-stream", b));
        return Arbitraries.oneOf(
                body("POST", "/api/images", "agent", registration),
                body("PUT", "/api/hosts/{HOST}/heartbeat", "agent", heartbeat),
                body("PUT", "/api/hosts/{OTHER}/heartbeat", "agent", heartbeat),
                body("POST", "/api/chunks/query", "agent", chunks),
                octetChunks,
                body("POST", "/api/hosts/enrol", "enrol", enrol),
                quotaCheck,
                restoreReports());
    }

    /** Reports on a restore request of the target host, made fresh for each try ({RESTORE} is replaced in agentInputs). */
    Arbitrary<Request> restoreReports() {
        Map<String, String> report = fields("state", "\"FAILED\"", "pid", "1234", "error", "\"it broke\"");
        return hostileBody(report).map(b -> new Request("PUT", "/api/restores/{RESTORE}/status", "target", "application/json", b));
    }

    @Provide
    Arbitrary<Request> peopleRequests() {
        return Arbitraries.oneOf(
                body("POST", "/api/restores", "operator", fields("imageId", "\"{IMAGE}\"", "hostId", "\"{HOST}\"")),
                body("POST", "/api/jobs", "operator", fields("hostId", "\"{HOST}\"", "name", "\"fuzz-new\"", "pid", "4242",
                        "processStart", "123", "commandPattern", "\"sim\"", "labels", "{\"a\":\"b\"}")),
                body("POST", "/api/jobs/{JOB}/snapshots", "operator", fields("kill", "false")),
                body("POST", "/api/schedules", "operator", fields("jobId", "{JOB}", "intervalSeconds", "3600", "cron", "null",
                        "afterCapture", "\"RESUME\"", "enabled", "false")),
                body("POST", "/api/retention-policies", "admin", fields("name", "\"fuzz-policy\"", "jobId", "{JOB}", "keepLast", "3",
                        "keepHourly", "1", "keepDaily", "1", "keepWeekly", "1", "keepMonthly", "1", "keepYearly", "1",
                        "keepWithin", "\"7d\"", "enabled", "false")),
                body("PUT", "/api/jobs/{JOB}/retention", "admin", fields("keepLast", "3", "keepDaily", "2", "keepWithin", "\"1y6m\"")),
                body("PUT", "/api/quotas/jobs/{JOB}", "admin", fields("limitBytes", "1099511627776")),
                body("PUT", "/api/quotas/hosts/{HOST}", "admin", fields("limitBytes", "1099511627776")),
                body("POST", "/api/users", "admin", fields("username", "\"fuzz-user\"", "password", "\"a-long-password\"", "role", "\"VIEWER\"")),
                body("PATCH", "/api/users/{USER}", "admin", fields("role", "\"VIEWER\"", "enabled", "true", "password", "\"another-password\"")),
                body("POST", "/api/enrolment-tokens", "admin", fields("label", "\"fuzz\"", "expiresInHours", "1")),
                body("POST", "/api/hosts", "admin", fields("id", "\"fuzz-host\"", "name", "\"fuzz host\"")),
                body("POST", "/api/users/me/tokens", "viewer", fields("label", "\"fuzz\"")),
                body("POST", "/api/images/{IMAGE}/pin", "admin", fields("reason", "\"keep\"")),
                body("POST", "/api/chunks/query", "viewer", fields("keys", "[\"" + Fixtures.chunkKey(2) + "\"]")));
    }

    @Provide
    Arbitrary<Request> queryRequests() {
        List<String[]> targets = List.of(
                new String[] {"/api/images", "host", "job", "label", "state", "from", "to", "q", "sort", "dir", "page", "size"},
                new String[] {"/api/images/{IMAGE}", "chunks", "items", "itemsFrom"},
                new String[] {"/api/audit", "actor", "action", "targetType", "targetId", "from", "to", "page", "size"},
                new String[] {"/api/audit/export", "format", "actor", "action", "targetType", "targetId", "from", "to"},
                new String[] {"/api/restores", "host", "image", "state", "page", "size"},
                new String[] {"/api/packs", "prefix", "sort", "page", "size"},
                new String[] {"/api/packs/one", "key"},
                new String[] {"/api/quotas/usage", "jobId", "hostId", "days"},
                new String[] {"/api/gc/runs", "limit"},
                new String[] {"/api/jobs", "host"},
                new String[] {"/api/jobs/{JOB}/snapshots", "size"},
                new String[] {"/api/dead-letters", "page", "size"},
                new String[] {"/api/retention-policies/1/apply", "dryRun"},
                new String[] {"/images", "host", "job", "label", "state", "from", "to", "q", "sort", "dir", "page", "size"},
                new String[] {"/audit", "actor", "action", "targetType", "targetId", "from", "to", "page", "size"},
                new String[] {"/restores", "host", "image", "state", "page"},
                new String[] {"/dead-letters", "page"},
                new String[] {"/quotas", "jobId", "hostId", "days"},
                new String[] {"/jobs", "host"},
                new String[] {"/hosts", "page"},
                new String[] {"/", "page"},
                new String[] {"/stats.json", "page"});
        Arbitrary<String> value = Arbitraries.oneOf(hostileText().map(RestInputFuzzProperties::enc), hostileNumber(),
                invalidUtf8().map(RestInputFuzzProperties::percent));
        return Arbitraries.of(targets).flatMap(t -> {
            List<String> params = List.of(t).subList(1, t.length);
            return Combinators.combine(Arbitraries.of(params).list().ofMinSize(1).ofMaxSize(4), value.list().ofSize(4))
                    .as((names, values) -> {
                        StringBuilder q = new StringBuilder();
                        for (int i = 0; i < names.size(); i++) q.append(i == 0 ? '?' : '&').append(names.get(i)).append('=').append(values.get(i));
                        return new Request(t[0].contains("/apply") ? "POST" : "GET", t[0] + q, "admin", null, null);
                    });
        });
    }

    @Provide
    Arbitrary<Request> pathRequests() {
        List<String> templates = List.of("/api/images/%s", "/api/images/%s/compatible-hosts", "/api/hosts/%s", "/api/hosts/%s/key",
                "/api/restores/%s", "/api/jobs/%s", "/api/jobs/%s/snapshots", "/api/users/%s", "/api/schedules/%s",
                "/api/retention-policies/%s", "/api/gc/runs/%s", "/api/jobs/%s/retention", "/images/%s", "/api/%s",
                "/%s", "/api/images/{IMAGE}/%s");
        Arbitrary<String> segment = Arbitraries.oneOf(
                hostileText().filter(s -> !s.isEmpty()).map(RestInputFuzzProperties::enc),
                hostileNumber(),
                invalidUtf8().map(RestInputFuzzProperties::percent),
                Arbitraries.of("..", ".", "%2e%2e", "%2E%2E%2F%2E%2E", "..%2f..%2fetc%2fpasswd", "%2F", "%5C", ";jsessionid=x",
                        "a;b=c", "%00", "%ff%fe", "..;", "%252e%252e", "a%0d%0aSet-Cookie:%20x=y", "~", "*"));
        Arbitrary<Request> viewerGets = Combinators.combine(Arbitraries.of(templates), segment)
                .as((t, s) -> new Request("GET", String.format(t, s), "viewer", null, null));
        Arbitrary<Request> agentHeartbeats = segment.map(s -> new Request("PUT", "/api/hosts/" + s + "/heartbeat", "agent",
                "application/json", utf8(hostReport())));
        Arbitrary<Request> agentReports = segment.map(s -> new Request("PUT", "/api/restores/" + s + "/status", "agent",
                "application/json", utf8("{\"state\":\"RUNNING\"}")));
        return Arbitraries.oneOf(viewerGets, agentHeartbeats, agentReports);
    }

    static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String percent(byte[] bytes) {
        StringBuilder b = new StringBuilder();
        for (byte x : bytes) b.append(String.format("%%%02X", x & 0xff));
        return b.toString();
    }
}
