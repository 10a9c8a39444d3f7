// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The checks every request passes before anything else looks at it, Spring Security included: body
 * size limits, then NUL characters in the path and parameters. Both answer in the problem format.
 * Around all of them, {@link DatabaseOutageFilter} turns "the database cannot be reached" into 503.
 */
@Configuration(proxyBeanMethods = false)
public class RequestScreeningConfig {

    /** Ahead of Spring Security's filter chain (-100) and of the request-context filter (-105). */
    static final int ORDER = -120;

    /** Outermost, so that it sees a database failure from any filter or controller after it. */
    @Bean
    FilterRegistrationBean<DatabaseOutageFilter> databaseOutageFilter() {
        var r = new FilterRegistrationBean<>(new DatabaseOutageFilter());
        r.setOrder(ORDER - 1);
        return r;
    }

    @Bean
    FilterRegistrationBean<RequestBodyLimitFilter> requestBodyLimitFilter(
            @Value("${cryostash.catalog.max-registration-bytes:" + RequestBodyLimitFilter.DEFAULT_REGISTRATION_LIMIT + "}")
            long registrationLimit) {
        var r = new FilterRegistrationBean<>(new RequestBodyLimitFilter(registrationLimit));
        r.setOrder(ORDER);
        return r;
    }

    @Bean
    FilterRegistrationBean<NulCharacterFilter> nulCharacterFilter() {
        var r = new FilterRegistrationBean<>(new NulCharacterFilter());
        r.setOrder(ORDER + 1);
        return r;
    }
}
