// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.user;

import java.util.Collection;

import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.userdetails.User;

/**
 * A person as their session holds them: the account and the {@link UserRepository.Credentials#stamp()
 * stamp} of the password, role and enabled flag they signed in with. The stamp outlives the erased
 * password, so that each request can compare it with the account as it is now.
 */
public class SignedInUser extends User {

    private static final long serialVersionUID = 1L;
    private final String stamp;

    public SignedInUser(String username, String password, boolean enabled,
                        Collection<? extends GrantedAuthority> authorities, String stamp) {
        super(username, password, enabled, true, true, true, authorities);
        this.stamp = stamp;
    }

    public String stamp() {
        return stamp;
    }

    // User's equals and hashCode (by name) are what session registries and caches expect; the stamp
    // does not take part.
    @Override
    public boolean equals(Object o) {
        return super.equals(o);
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }
}
