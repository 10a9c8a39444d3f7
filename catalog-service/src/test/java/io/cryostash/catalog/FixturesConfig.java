// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog;

import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.image.ImageService;
import io.cryostash.catalog.security.AgentTokenService;
import io.cryostash.catalog.user.UserRepository;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Lazy;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.json.JsonMapper;

@TestConfiguration(proxyBeanMethods = false)
public class FixturesConfig {
    /** The login throttle's clock: stands still, so that locks never run out in the middle of a test. */
    @Bean("loginThrottleClock")
    java.time.Clock loginThrottleClock() {
        return java.time.Clock.fixed(java.time.Instant.parse("2026-12-01T00:00:00Z"), java.time.ZoneOffset.UTC);
    }

    /**
     * The test store (application-test.properties: target/test-store) starts empty with the context,
     * as the database does (clean-data-dir): audit anchors a previous run left there name links of
     * another database's chain and would be reported, rightly, as a rewritten chain.
     */
    @Bean
    Object emptyTestStore(org.springframework.core.env.Environment env) throws java.io.IOException {
        java.nio.file.Path store = java.nio.file.Path.of(env.getRequiredProperty("cryostash.catalog.store"));
        if (java.nio.file.Files.exists(store)) {
            try (var walk = java.nio.file.Files.walk(store)) {
                walk.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(store)).forEach(p -> p.toFile().delete());
            }
        }
        return store;
    }

    @Bean
    @Lazy
    Fixtures fixtures(MockMvc mvc, JsonMapper json, AgentTokenService tokens, HostRepository hosts, UserRepository users,
                      PasswordEncoder encoder, ImageService images) {
        return new Fixtures(mvc, json, tokens, hosts, users, encoder, images);
    }
}
