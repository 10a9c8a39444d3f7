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

    @Bean
    @Lazy
    Fixtures fixtures(MockMvc mvc, JsonMapper json, AgentTokenService tokens, HostRepository hosts, UserRepository users,
                      PasswordEncoder encoder, ImageService images) {
        return new Fixtures(mvc, json, tokens, hosts, users, encoder, images);
    }
}
