// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.user;

import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.stereotype.Service;

/** People's accounts from the users table; the role becomes ROLE_VIEWER/OPERATOR/ADMIN. */
@Service
public class CatalogUserDetailsService implements UserDetailsService {

    private final UserRepository users;

    public CatalogUserDetailsService(UserRepository users) {
        this.users = users;
    }

    @Override
    public UserDetails loadUserByUsername(String username) {
        var c = users.credentials(username).orElseThrow(() -> new UsernameNotFoundException("no such user"));
        return new SignedInUser(c.username(), c.passwordHash(), c.enabled(),
                java.util.List.of(new org.springframework.security.core.authority.SimpleGrantedAuthority("ROLE_" + c.role().name())),
                c.stamp());
    }
}
