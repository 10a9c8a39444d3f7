// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

/** A caller holding an enrolment token: it may enrol a host (and nothing else). */
public record EnrolmentPrincipal(long tokenId, String prefix) {
    public String name() {
        return "enrolment:" + prefix;
    }

    @Override
    public String toString() {
        return name();
    }
}
