// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Test fixture: an endpoint that fails with an exception nothing handles, as a bug would, so that
 * tests can see what a 500 looks like from outside (and that it does not carry the exception's text).
 */
@RestController
public class ExplodingTestController {

    static final String PATH = "/api/test-only/explode";
    static final String SECRET = "secret-internal-detail-42";

    @GetMapping(PATH)
    @PreAuthorize("isAuthenticated()")
    public String explode() {
        throw new IllegalStateException("a bug, with " + SECRET);
    }
}
