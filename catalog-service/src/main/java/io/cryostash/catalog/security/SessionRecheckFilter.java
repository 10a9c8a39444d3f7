// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.user.SignedInUser;
import io.cryostash.catalog.user.UserRepository;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Ends a person's session at its next request once their account changed: disabled, deleted, given
 * another role or another password. Each request of a signed-in person compares the stamp the
 * session was made with ({@link SignedInUser#stamp()}) with the account in the database (one
 * primary-key lookup; agents, who use bearer tokens, are not concerned).
 *
 * <p>Why a check against the database rather than a registry of sessions that a change expires:
 * it holds for every catalog instance on the same database and for sessions the registry never
 * saw, it has no window between the change and the expiry, and it cannot be forgotten by a new
 * code path that changes an account (the web page, the API, SQL by hand).
 */
public class SessionRecheckFilter extends OncePerRequestFilter {

    private final UserRepository users;
    private final AuditLog audit;

    public SessionRecheckFilter(UserRepository users, AuditLog audit) {
        this.users = users;
        this.audit = audit;
    }

    /** Static files need no account check (a page loads several; each would cost a lookup). */
    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return path.startsWith("/css/") || path.startsWith("/js/") || path.startsWith("/webjars/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth != null && auth.getPrincipal() instanceof SignedInUser user) {
            Optional<UserRepository.Credentials> now = users.credentials(user.getUsername());
            String reason = now.isEmpty() ? "account deleted"
                    : !now.get().enabled() ? "account disabled"
                    : !now.get().stamp().equals(user.stamp()) ? "password or role changed"
                    : null;
            if (reason != null) {
                HttpSession session = request.getSession(false);
                if (session != null) session.invalidate();
                SecurityContextHolder.clearContext();
                audit.recordAs(new Actor(user.getUsername(), "USER", request.getRemoteAddr()), "user.session-ended",
                        "user", user.getUsername(), Map.of("reason", reason));
                // Carries on as anonymous: the API answers 401, pages send the person to /login.
            }
        }
        chain.doFilter(request, response);
    }
}
