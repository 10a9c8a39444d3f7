// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.server.PathContainer;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * A size limit on every request body, per endpoint: 413 in the problem format. A body that declares
 * a larger Content-Length is refused before a byte of it is read; one sent without a length is
 * counted as it is read and cut off at the limit ({@link RequestBodyTooLargeException}). So a
 * 450 MB chunk query never reaches memory, however many come at once.
 *
 * <p>Limits: a registration {@code cryostash.catalog.max-registration-bytes} (default 256 MiB, about
 * 1.3 million chunks); a chunk query 16 MiB (100,000 hex keys of up to 128 digits take 13.1 MB, the
 * binary form 3.2 MB); anything else 1 MiB. Form posts are also bounded by Tomcat (2 MB).
 */
public class RequestBodyLimitFilter extends OncePerRequestFilter {

    public static final long DEFAULT_LIMIT = 1L << 20;
    public static final long CHUNK_QUERY_LIMIT = 16L << 20;
    public static final long DEFAULT_REGISTRATION_LIMIT = 256L << 20;

    record Limit(String method, PathPattern path, long bytes, String hint) {
    }

    private final List<Limit> limits;

    public RequestBodyLimitFilter(long registrationLimit) {
        PathPatternParser p = PathPatternParser.defaultInstance;
        this.limits = List.of(
                new Limit("POST", p.parse("/api/images"), registrationLimit,
                        "a registration this large is refused by this catalog's cryostash.catalog.max-registration-bytes"),
                new Limit("POST", p.parse("/api/chunks/query"), CHUNK_QUERY_LIMIT,
                        "ask about at most 100,000 keys per query"));
    }

    /** The limit for this request, and what to tell a sender who went past it. */
    Limit limitFor(HttpServletRequest request) {
        PathContainer path = PathContainer.parsePath(request.getRequestURI().substring(request.getContextPath().length()));
        for (Limit l : limits) {
            if (l.method().equals(request.getMethod()) && l.path().matches(path)) return l;
        }
        return new Limit(request.getMethod(), null, DEFAULT_LIMIT, null);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Limit limit = limitFor(request);
        String endpoint = request.getMethod() + " " + request.getRequestURI();
        long declared = request.getContentLengthLong();
        if (declared > limit.bytes()) {
            refuse(response, limit, endpoint, request.getRequestURI());
            return;
        }
        chain.doFilter(declared >= 0 ? request : new Limited(request, limit.bytes(), endpoint), response);
    }

    static void refuse(HttpServletResponse response, Limit limit, String endpoint, String instance) throws IOException {
        String detail = "Request body too large: at most " + limit.bytes() + " bytes for " + endpoint
                + (limit.hint() == null ? "" : " (" + limit.hint() + ")");
        // The body is not read: Tomcat drains a little of it and then closes the connection.
        response.setHeader("Connection", "close");
        Problems.write(response, 413, "Payload too large", detail, List.of("body: " + detail), instance);
    }

    /** A request whose body may be read only up to the limit. */
    private static final class Limited extends HttpServletRequestWrapper {
        private final ServletInputStream in;

        Limited(HttpServletRequest request, long limit, String endpoint) throws IOException {
            super(request);
            this.in = new CountingInputStream(request.getInputStream(), limit, endpoint);
        }

        @Override
        public ServletInputStream getInputStream() {
            return in;
        }

        @Override
        public BufferedReader getReader() {
            String enc = getCharacterEncoding();
            Charset cs = enc == null ? StandardCharsets.UTF_8 : Charset.forName(enc);
            return new BufferedReader(new InputStreamReader(in, cs));
        }
    }

    private static final class CountingInputStream extends ServletInputStream {
        private final ServletInputStream delegate;
        private final long limit;
        private final String endpoint;
        private long count;

        CountingInputStream(ServletInputStream delegate, long limit, String endpoint) {
            this.delegate = delegate;
            this.limit = limit;
            this.endpoint = endpoint;
        }

        private void counted(long n) throws RequestBodyTooLargeException {
            if (n > 0) count += n;
            if (count > limit) throw new RequestBodyTooLargeException(limit, endpoint);
        }

        @Override
        public int read() throws IOException {
            int b = delegate.read();
            if (b >= 0) counted(1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = delegate.read(b, off, len);
            counted(n);
            return n;
        }

        @Override
        public boolean isFinished() {
            return delegate.isFinished();
        }

        @Override
        public boolean isReady() {
            return delegate.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            delegate.setReadListener(listener);
        }
    }
}
