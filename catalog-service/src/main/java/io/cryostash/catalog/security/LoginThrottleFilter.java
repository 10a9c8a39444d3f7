// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.user.UserNames;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * In front of the login form's processing ({@code POST /login}): refuses a login whose user name or
 * address is locked by {@link LoginThrottle} before any password is checked, and a user name longer
 * than any account can have (such a name reaches neither the database nor the password check). Both
 * go to the audit log, the name cut to {@link UserNames#MAX_LENGTH} characters.
 */
public class LoginThrottleFilter extends OncePerRequestFilter {

    private final LoginThrottle throttle;
    private final AuditLog audit;
    private final LoginFailureHandler failures;

    public LoginThrottleFilter(LoginThrottle throttle, AuditLog audit, LoginFailureHandler failures) {
        this.throttle = throttle;
        this.audit = audit;
        this.failures = failures;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !("POST".equals(request.getMethod()) && request.getRequestURI().equals(request.getContextPath() + "/login"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String username = String.valueOf(request.getParameter("username"));
        String address = request.getRemoteAddr();
        String shown = UserNames.forAudit(username);
        if (username.length() > UserNames.MAX_LENGTH) {
            // audited first: with the database away this ends in a 503 (DatabaseOutageFilter) and counts nothing
            audit.recordAs(new Actor(shown, "ANONYMOUS", address), "user.login-failed", "user", shown,
                    Map.of("reason", "user name longer than " + UserNames.MAX_LENGTH + " characters", "length", username.length()));
            throttle.failed(shown, address);
            failures.onAuthenticationFailure(request, response, new BadCredentialsException("Wrong user name or password"));
            return;
        }
        Optional<LoginThrottle.Lock> lock = throttle.lockFor(username, address);
        if (lock.isPresent()) {
            if (throttle.firstRefusal(username, address, lock.get())) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("lockedBy", lock.get().by());
                d.put("failures", lock.get().failures());
                d.put("until", lock.get().until().toString());
                audit.recordAs(new Actor(shown, "ANONYMOUS", address), "user.login-throttled", "user", shown, d);
            }
            failures.throttled(request, response, lock.get().remaining(throttle.now()));
            return;
        }
        chain.doFilter(request, response);
    }
}
