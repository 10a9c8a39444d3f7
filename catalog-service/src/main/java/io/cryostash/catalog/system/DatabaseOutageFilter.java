// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Answers 503 (problem format, Retry-After) when a request fails because the database cannot be
 * reached, wherever that happened: in Spring Security's filters (bearer tokens, session re-checks
 * read the database), in a page controller or in a REST controller ({@link ApiExceptionHandler}
 * maps those itself). Without it an outage of PostgreSQL surfaced as 500 Internal error, which a
 * client cannot tell from a bug; 503 says "retry later" and agents do.
 */
public class DatabaseOutageFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(DatabaseOutageFilter.class);

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        try {
            chain.doFilter(request, response);
        } catch (ServletException | IOException | RuntimeException e) {
            if (!DatabaseUnavailable.is(e) || response.isCommitted()) throw e;
            answer(request, response, e);
        }
    }

    /** The 503 itself, also for failures that never reach this filter as exceptions (a login's, caught by Spring Security). */
    public static void answer(HttpServletRequest request, HttpServletResponse response, Throwable cause) throws IOException {
        log.warn("{} {}: the database cannot be reached ({}); answered 503", request.getMethod(), request.getRequestURI(),
                rootMessage(cause));
        response.reset();
        response.setHeader("Retry-After", String.valueOf(DatabaseUnavailable.RETRY_AFTER_SECONDS));
        Problems.write(response, 503, "Service unavailable", UNAVAILABLE, java.util.List.of(), request.getRequestURI());
    }

    static final String UNAVAILABLE =
            "The catalog's database cannot be reached right now, so the request was not carried out (or not confirmed); try again in a few seconds.";

    static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }
}
