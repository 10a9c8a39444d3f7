// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/** Who is doing the current request, and from where: what the audit log records. */
public record Actor(String name, String kind, String remoteAddr) {

    public static Actor current() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        String addr = currentRemoteAddr();
        if (auth == null || auth instanceof AnonymousAuthenticationToken || !auth.isAuthenticated()) {
            return new Actor("anonymous", "ANONYMOUS", addr);
        }
        if (auth.getPrincipal() instanceof AgentPrincipal agent) {
            return new Actor(agent.name(), "AGENT", addr);
        }
        if (auth.getPrincipal() instanceof EnrolmentPrincipal enrolment) {
            return new Actor(enrolment.name(), "AGENT", addr);
        }
        return new Actor(auth.getName(), "USER", addr);
    }

    public static Actor system() {
        return new Actor("system", "SYSTEM", null);
    }

    /** The agent's host when the current caller is an agent, else null. */
    public static String agentHost() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        return auth != null && auth.getPrincipal() instanceof AgentPrincipal a ? a.hostId() : null;
    }

    static String currentRemoteAddr() {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attrs) {
            HttpServletRequest req = attrs.getRequest();
            return req.getRemoteAddr();
        }
        return null;
    }
}
