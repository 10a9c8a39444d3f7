// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.web;

import java.util.Set;
import java.util.stream.Collectors;

import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/** Puts {@code me} (name and what the role allows, through the role hierarchy) into every page's model. */
@ControllerAdvice(annotations = Controller.class)
public class CurrentUserAdvice {

    private final RoleHierarchy roles;

    public CurrentUserAdvice(RoleHierarchy roles) {
        this.roles = roles;
    }

    public record Me(String name, boolean operator, boolean admin) {
    }

    /** Whether the current user is an administrator (without the role hierarchy: ADMIN is the top). */
    public static boolean isAdmin() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        return auth != null && auth.getAuthorities().stream().anyMatch(a -> a.getAuthority().equals("ROLE_ADMIN"));
    }

    @ModelAttribute("me")
    public Me me() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        if (auth == null) return new Me(null, false, false);
        Set<String> all = roles.getReachableGrantedAuthorities(auth.getAuthorities()).stream()
                .map(GrantedAuthority::getAuthority).collect(Collectors.toSet());
        return new Me(auth.getName(), all.contains("ROLE_OPERATOR"), all.contains("ROLE_ADMIN"));
    }
}
