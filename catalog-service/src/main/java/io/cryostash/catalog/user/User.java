// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.user;

import java.time.Instant;

/** A person's account (the password hash never leaves the repository). */
public record User(long id, String username, Role role, boolean enabled, Instant createdAt) {
}
