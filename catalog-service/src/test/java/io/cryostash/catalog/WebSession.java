// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A person's browser, as far as the catalog can tell: real HTTP to the running server, the session
 * cookie it sets at the form login, nothing followed automatically.
 */
public final class WebSession {

    private final HttpClient http;
    private final String base;

    private WebSession(HttpClient http, String base) {
        this.http = http;
        this.base = base;
    }

    /** Signs in through the login form (GET for its CSRF token, POST); fails unless the catalog accepts. */
    public static WebSession login(int port, String username, String password) throws IOException, InterruptedException {
        WebSession s = open(port);
        HttpResponse<String> r = s.postLoginForm(username, password, "text/html");
        String to = r.headers().firstValue("Location").orElse("");
        if (r.statusCode() != 302 || to.contains("error") || to.contains("throttled")) {
            throw new IllegalStateException("login of " + username + " refused: " + r.statusCode() + " " + to);
        }
        return s;
    }

    /** One attempt at the login form, whatever the catalog answers; {@code accept} as a browser or a program sends it. */
    public static HttpResponse<String> attemptLogin(int port, String username, String password, String accept)
            throws IOException, InterruptedException {
        return open(port).postLoginForm(username, password, accept);
    }

    private static WebSession open(int port) {
        HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10)).build();
        return new WebSession(http, "http://127.0.0.1:" + port);
    }

    private HttpResponse<String> postLoginForm(String username, String password, String accept) throws IOException, InterruptedException {
        HttpResponse<String> form = get("/login");
        Matcher csrf = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(form.body());
        if (form.statusCode() != 200 || !csrf.find()) throw new IllegalStateException("no login form: " + form.statusCode());
        String body = "username=" + enc(username) + "&password=" + enc(password) + "&_csrf=" + enc(csrf.group(1));
        return http.send(HttpRequest.newBuilder(URI.create(base + "/login")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Accept", path.startsWith("/api/") || path.endsWith(".json") ? "application/json" : "text/html").GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A request with a bearer token instead of the session (an agent's). */
    public static HttpResponse<String> put(int port, String path, String bearer, String json) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(60)).header("Authorization", bearer).header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
