// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.user;

/** What a person may do: VIEWER reads, OPERATOR also restores and schedules, ADMIN also sets policies, deletes, manages users. */
public enum Role {
    VIEWER, OPERATOR, ADMIN
}
