// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses a NUL character in the path, in a query parameter or in a form field with a 400 problem
 * naming the parameter. PostgreSQL cannot store NUL in text: passed on, it came back as a database
 * error (a 409 with the database's message, a 500 from the audit export). JSON bodies are checked
 * field by field as they are read ({@link StrictJsonConfig}).
 */
public class NulCharacterFilter extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        List<String> problems = new ArrayList<>();
        if (request.getRequestURI().toLowerCase(Locale.ROOT).contains("%00") || request.getRequestURI().indexOf('\0') >= 0) {
            problems.add("path: must not contain NUL characters");
        }
        for (Map.Entry<String, String[]> e : request.getParameterMap().entrySet()) {
            boolean bad = e.getKey().indexOf('\0') >= 0;
            for (String v : e.getValue()) bad |= v != null && v.indexOf('\0') >= 0;
            if (bad) problems.add(e.getKey().replace("\0", "\\0") + ": must not contain NUL characters");
        }
        if (!problems.isEmpty()) {
            Problems.write(response, 400, "Bad request", problems.size() == 1 ? problems.get(0)
                    : problems.size() + " problems in the request", problems, null);
            return;
        }
        chain.doFilter(request, response);
    }
}
