// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.user;

import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class UserRepository {

    private final JdbcClient jdbc;

    public UserRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public record Credentials(String username, String passwordHash, Role role, boolean enabled) {
        /**
         * What a session was signed in with: changes when the password (its salted hash), the role or
         * the enabled flag changes, and then every session made before stops working.
         */
        public String stamp() {
            try {
                byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(
                        (passwordHash + "\n" + role + "\n" + enabled).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return java.util.HexFormat.of().formatHex(d);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String toString() {
            return "Credentials[" + username + ", " + role + ", enabled=" + enabled + "]";
        }
    }

    public long count() {
        return jdbc.sql("SELECT count(*) FROM users").query(Long.class).single();
    }

    public Optional<Credentials> credentials(String username) {
        return jdbc.sql("SELECT username, password_hash, role, enabled FROM users WHERE username = ?")
                .param(username)
                .query((rs, i) -> new Credentials(rs.getString(1), rs.getString(2), Role.valueOf(rs.getString(3)), rs.getBoolean(4)))
                .optional();
    }

    public List<User> findAll() {
        return jdbc.sql("SELECT id, username, role, enabled, created_at FROM users ORDER BY username")
                .query((rs, i) -> new User(rs.getLong(1), rs.getString(2), Role.valueOf(rs.getString(3)),
                        rs.getBoolean(4), rs.getTimestamp(5).toInstant()))
                .list();
    }

    public Optional<User> find(String username) {
        return jdbc.sql("SELECT id, username, role, enabled, created_at FROM users WHERE username = ?")
                .param(username)
                .query((rs, i) -> new User(rs.getLong(1), rs.getString(2), Role.valueOf(rs.getString(3)),
                        rs.getBoolean(4), rs.getTimestamp(5).toInstant()))
                .optional();
    }

    /** Inserts a user unless the name is taken; returns whether it was inserted. */
    public boolean insert(String username, String passwordHash, Role role) {
        return jdbc.sql("""
                        INSERT INTO users (username, password_hash, role) VALUES (?, ?, ?)
                        ON CONFLICT (username) DO NOTHING""")
                .params(username, passwordHash, role.name()).update() == 1;
    }

    public int update(String username, Role role, Boolean enabled, String passwordHash) {
        return jdbc.sql("""
                        UPDATE users SET role = coalesce(?, role), enabled = coalesce(?, enabled),
                               password_hash = coalesce(?, password_hash)
                        WHERE username = ?""")
                .params(role == null ? null : role.name(), enabled, passwordHash, username).update();
    }
}
