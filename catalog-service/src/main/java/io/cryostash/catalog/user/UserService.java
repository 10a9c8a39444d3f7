// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.user;

import java.security.SecureRandom;
import java.util.Map;

import io.cryostash.catalog.CatalogProperties;
import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.NotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class UserService {

    private static final Logger log = LoggerFactory.getLogger(UserService.class);
    private final UserRepository users;
    private final PasswordEncoder encoder;
    private final AuditLog audit;
    private final CatalogProperties props;
    /** The first administrator's password when this process generated it (for StackBootstrap), else null. */
    private volatile String generatedAdminPassword;

    public UserService(UserRepository users, PasswordEncoder encoder, AuditLog audit, CatalogProperties props) {
        this.users = users;
        this.encoder = encoder;
        this.audit = audit;
        this.props = props;
    }

    /**
     * With no user at all, creates the first administrator: with the configured password, or with a
     * generated one that is printed once (it cannot be shown again: only its hash is kept).
     */
    @EventListener(ApplicationReadyEvent.class)
    @Transactional
    public void ensureFirstAdmin() {
        if (users.count() > 0) return;
        String password = props.adminPassword();
        boolean generated = password == null || password.isBlank();
        if (generated) password = generatePassword();
        if (users.insert(props.adminUsername(), encoder.encode(password), Role.ADMIN)) {
            audit.recordAs(Actor.system(), "user.created", "user", props.adminUsername(),
                    Map.of("role", "ADMIN", "first", true, "passwordGenerated", generated));
            if (generated) {
                generatedAdminPassword = password;
                String msg = "Cryostash catalog: first administrator '" + props.adminUsername() + "' created with password "
                        + password + " (shown only this once)";
                System.out.println(msg);
                log.warn("First administrator '{}' created with a generated password (printed on standard output)",
                        props.adminUsername());
            } else {
                log.info("First administrator '{}' created from configuration", props.adminUsername());
            }
        }
    }

    /** The password this process generated for the first administrator, or null when it generated none. */
    public String generatedAdminPassword() {
        return generatedAdminPassword;
    }

    @Transactional
    public User create(String username, String password, Role role) {
        if (!users.insert(username, encoder.encode(password), role)) {
            throw new ConflictException("User " + username + " exists");
        }
        audit.record("user.created", "user", username, Map.of("role", role.name()));
        return users.find(username).orElseThrow();
    }

    @Transactional
    public User update(String username, Role role, Boolean enabled, String password) {
        if (username.equals(Actor.current().name()) && (Boolean.FALSE.equals(enabled) || (role != null && role != Role.ADMIN))) {
            throw new ConflictException("Administrators cannot demote or disable themselves");
        }
        int n = users.update(username, role, enabled, password == null ? null : encoder.encode(password));
        if (n == 0) throw new NotFoundException("user", username);
        Map<String, Object> d = new java.util.LinkedHashMap<>();
        if (role != null) d.put("role", role.name());
        if (enabled != null) d.put("enabled", enabled);
        if (password != null) d.put("passwordChanged", true);
        audit.record("user.updated", "user", username, d);
        return users.find(username).orElseThrow();
    }

    static String generatePassword() {
        String alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        SecureRandom r = new SecureRandom();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 20; i++) b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        return b.toString();
    }
}
