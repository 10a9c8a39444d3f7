// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog;

import io.cryostash.catalog.security.EnrolmentTokenService;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Lazy;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.json.JsonMapper;

@TestConfiguration(proxyBeanMethods = false)
public class PipelineFixturesConfig {
    @Bean
    @Lazy
    PipelineFixtures pipelineFixtures(MockMvc mvc, JsonMapper json, EnrolmentTokenService enrolmentTokens) {
        return new PipelineFixtures(mvc, json, enrolmentTokens);
    }
}
