// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.user.Role;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The catalog over a real socket, where Tomcat and the servlet container answer too: bodies of
 * hundreds of megabytes (with a length and without), requests Tomcat itself refuses, errors no
 * controller answers, the headers and cookies a browser gets.
 */
@CatalogTest
class HttpEdgeTests {

    @LocalServerPort int port;
    @Autowired Fixtures fx;

    record Answer(int status, List<String> headers, String body) {
        String header(String name) {
            String prefix = name.toLowerCase(Locale.ROOT) + ":";
            return headers.stream().filter(h -> h.toLowerCase(Locale.ROOT).startsWith(prefix))
                    .map(h -> h.substring(prefix.length()).strip()).findFirst().orElse(null);
        }

        List<String> all(String name) {
            String prefix = name.toLowerCase(Locale.ROOT) + ":";
            return headers.stream().filter(h -> h.toLowerCase(Locale.ROOT).startsWith(prefix))
                    .map(h -> h.substring(prefix.length()).strip()).toList();
        }
    }

    /** Sends {@code head} (request line and headers, without the blank line) and reads the whole answer. */
    Answer exchange(String head) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(120_000);
            s.getOutputStream().write((head + "\r\nHost: localhost\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return read(s.getInputStream());
        }
    }

    static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        try {
            while ((n = in.read(buf)) > 0) all.write(buf, 0, n);
        } catch (java.net.SocketException reset) {
            // The server may reset the connection after its answer when a body it did not read is still coming.
        }
        byte[] bytes = all.toByteArray();
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        assertThat(end).as("an HTTP answer: " + text).isPositive();
        List<String> lines = new ArrayList<>(Arrays.asList(text.substring(0, end).split("\r\n")));
        int status = Integer.parseInt(lines.remove(0).split(" ")[1]);
        byte[] body = Arrays.copyOfRange(bytes, end + 4, bytes.length);
        boolean chunked = lines.stream().anyMatch(l -> l.equalsIgnoreCase("Transfer-Encoding: chunked"));
        return new Answer(status, lines, new String(chunked ? dechunk(body) : body, StandardCharsets.UTF_8));
    }

    /** The body of a chunked answer (sizes count bytes, so this works on bytes). */
    static byte[] dechunk(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String latin = new String(body, StandardCharsets.ISO_8859_1);
        int i = 0;
        while (i < body.length) {
            int eol = latin.indexOf("\r\n", i);
            if (eol < 0) break;
            int size = Integer.parseInt(latin.substring(i, eol).split(";")[0].strip(), 16);
            if (size == 0) break;
            out.write(body, eol + 2, Math.min(size, body.length - eol - 2));
            i = eol + 2 + size + 2;
        }
        return out.toByteArray();
    }

    /**
     * Streams a chunk query of {@code total} bytes (a JSON key that never ends, which a JSON parser
     * would have to hold whole) while reading the answer; stops writing once the server closes.
     */
    Answer hugeChunkQuery(Fixtures.Agent agent, long total, boolean declareLength) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(120_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/chunks/query HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + agent.bearer()
                    + "\r\nContent-Type: application/json\r\n"
                    + (declareLength ? "Content-Length: " + total : "Transfer-Encoding: chunked") + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            AtomicLong written = new AtomicLong();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                byte[] block = new byte[1 << 20];
                Arrays.fill(block, (byte) 'a');
                byte[] start = "{\"keys\":[\"".getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(start, 0, block, 0, start.length);
                try {
                    while (written.get() < total) {
                        int n = (int) Math.min(block.length, total - written.get());
                        if (!declareLength) out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(block, 0, n);
                        if (!declareLength) out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        written.addAndGet(n);
                        block[0] = 'a';
                        Arrays.fill(block, 0, start.length, (byte) 'a');
                    }
                } catch (IOException closedByServer) {
                    // expected: the catalog answered and closed
                }
            });
            Answer a = read(s.getInputStream());
            s.close();
            writer.join();
            assertThat(written.get()).as("the catalog answered long before the body ended").isLessThan(total);
            return a;
        }
    }

    @Test
    void aChunkQueryOf450MegabytesIsRefusedUnreadWith413() throws Exception {
        var agent = fx.host("huge-query");
        Answer a = hugeChunkQuery(agent, 450L << 20, true);
        assertThat(a.status()).isEqualTo(413);
        assertThat(a.header("Content-Type")).startsWith("application/problem+json");
        assertThat(a.body()).contains("\"status\":413").contains("at most 16777216 bytes");
    }

    @Test
    void aChunkQueryWithoutALengthIsCutOffAtTheLimit() throws Exception {
        var agent = fx.host("endless-query");
        Answer a = hugeChunkQuery(agent, 450L << 20, false);
        assertThat(a.status()).isEqualTo(413);
        assertThat(a.header("Content-Type")).startsWith("application/problem+json");
        assertThat(a.body()).contains("at most 16777216 bytes for POST /api/chunks/query");
    }

    @Test
    void errorsNoControllerAnswersAreProblemsForTheApi() throws Exception {
        var agent = fx.host("errors");
        Answer notAllowed = exchange("DELETE /api/images HTTP/1.1\r\nAuthorization: " + agent.bearer());
        assertThat(notAllowed.status()).isEqualTo(405);
        assertThat(notAllowed.header("Content-Type")).startsWith("application/problem+json");
        assertThat(notAllowed.body()).contains("\"status\":405").contains("\"instance\":\"/api/images\"");

        Answer missing = exchange("GET /api/no-such-thing HTTP/1.1\r\nAuthorization: " + agent.bearer());
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.header("Content-Type")).startsWith("application/problem+json");

        Answer failed = exchange("GET " + ExplodingTestController.PATH + " HTTP/1.1\r\nAuthorization: " + agent.bearer());
        assertThat(failed.status()).isEqualTo(500);
        assertThat(failed.header("Content-Type")).startsWith("application/problem+json");
        assertThat(failed.body()).contains("\"status\":500").doesNotContain(ExplodingTestController.SECRET);

        Answer tomcat = exchange("GET /api/images?q=a|b HTTP/1.1");
        assertThat(tomcat.status()).isEqualTo(400);
        assertThat(tomcat.header("Content-Type")).startsWith("application/problem+json");
        assertThat(tomcat.body()).contains("\"status\":400").doesNotContainIgnoringCase("tomcat").doesNotContain("<html");

        Answer firewall = exchange("GET /api/images/..%2f..%2fetc HTTP/1.1\r\nAuthorization: " + agent.bearer());
        assertThat(firewall.status()).isEqualTo(400);
        assertThat(firewall.header("Content-Type")).startsWith("application/problem+json");

        Answer nul = exchange("GET /api/images?host=a%00b HTTP/1.1\r\nAuthorization: " + agent.bearer());
        assertThat(nul.status()).isEqualTo(400);
        assertThat(nul.body()).contains("host: must not contain NUL characters");
    }

    @Test
    void pagesForbidInlineScriptAndCookiesStayOnTheSiteAndAwayFromScripts() throws Exception {
        Answer login = exchange("GET /login HTTP/1.1");
        assertThat(login.status()).isEqualTo(200);
        String csp = login.header("Content-Security-Policy");
        assertThat(csp).contains("default-src 'self'").contains("script-src 'self'").contains("frame-ancestors 'none'")
                .doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
        String cookie = login.header("Set-Cookie");
        assertThat(cookie).startsWith("JSESSIONID=").contains("HttpOnly").contains("SameSite=Lax");

        Matcher csrf = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(login.body());
        assertThat(csrf.find()).isTrue();
        String session = cookie.substring(0, cookie.indexOf(';'));
        String viewer = fx.user(Role.VIEWER);
        String form = "username=" + viewer + "&password=" + viewer + "-password&_csrf=" + csrf.group(1);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(("POST /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: " + session
                    + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + form.length() + "\r\n\r\n" + form)
                    .getBytes(StandardCharsets.ISO_8859_1));
            Answer signedIn = read(s.getInputStream());
            assertThat(signedIn.status()).isEqualTo(302);
            assertThat(signedIn.header("Location")).doesNotContain("error");
            assertThat(signedIn.all("Set-Cookie")).isNotEmpty()
                    .allSatisfy(c -> assertThat(c).contains("HttpOnly").contains("SameSite=Lax"));
        }
    }
}
