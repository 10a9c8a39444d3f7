// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.catalog;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The catalog's REST API over plain JDK HTTP, with a bearer token (an agent token cst_… for agents,
 * a user token csu_… for the CLI). JSON in and out as Jackson trees; errors as
 * {@link CatalogException} with the problem detail the catalog sent.
 */
public final class CatalogClient {
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final URI base;
    private final Supplier<String> token;
    private final HttpClient http;
    private final Duration timeout;

    public CatalogClient(String baseUrl, Supplier<String> token, Duration timeout) {
        String b = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
        this.base = URI.create(b);
        if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
            throw new IllegalArgumentException("catalog URL " + baseUrl + " is not http(s)://…");
        }
        this.token = token;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public String baseUrl() {
        return base.toString();
    }

    public static String query(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    public JsonNode get(String path) {
        return send("GET", path, null, token.get());
    }

    public JsonNode post(String path, Object body) {
        return send("POST", path, body, token.get());
    }

    public JsonNode put(String path, Object body) {
        return send("PUT", path, body, token.get());
    }

    public JsonNode delete(String path) {
        return send("DELETE", path, null, token.get());
    }

    /** A GET whose answer is text (an export), returned as it came. */
    public String getText(String path) {
        URI uri = base.resolve(path.startsWith("/") ? path.substring(1) : path);
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(timeout).GET();
        String bearer = token.get();
        if (bearer != null) rb.header("Authorization", "Bearer " + bearer);
        try {
            HttpResponse<byte[]> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() >= 400) {
                throw new CatalogException(r.statusCode(), "GET " + uri + ": " + r.statusCode() + " " + problem(parse(r.body())), null);
            }
            return new String(r.body(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CatalogException(0, "catalog " + base + " unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CatalogException(0, "interrupted while calling the catalog", e);
        }
    }

    /** A request with an explicit bearer token (enrolment uses the enrolment token). */
    public JsonNode send(String method, String path, Object body, String bearer) {
        URI uri = base.resolve(path.startsWith("/") ? path.substring(1) : path);
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json");
        if (bearer != null) rb.header("Authorization", "Bearer " + bearer);
        try {
            if (body != null) {
                rb.header("Content-Type", "application/json");
                rb.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            } else {
                rb.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode json = r.body().length == 0 ? JSON.nullNode() : parse(r.body());
            if (r.statusCode() >= 400) {
                throw new CatalogException(r.statusCode(), method + " " + uri + ": " + r.statusCode() + " " + problem(json), null);
            }
            return json;
        } catch (IOException e) {
            throw new CatalogException(0, "catalog " + base + " unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CatalogException(0, "interrupted while calling the catalog", e);
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(new String(body, 0, Math.min(body.length, 500), StandardCharsets.UTF_8));
        }
    }

    private static String problem(JsonNode json) {
        if (json == null || json.isNull()) return "";
        if (json.isTextual()) return json.asText();
        StringBuilder sb = new StringBuilder();
        if (json.hasNonNull("title")) sb.append(json.get("title").asText());
        if (json.hasNonNull("detail")) sb.append(sb.isEmpty() ? "" : ": ").append(json.get("detail").asText());
        if (json.has("errors") && json.get("errors").isArray()) {
            json.get("errors").forEach(e -> sb.append("; ").append(e.asText()));
        }
        return sb.isEmpty() ? json.toString() : sb.toString();
    }
}
