// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import io.cryostash.catalog.audit.AuditLog;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.authentication.event.AbstractAuthenticationFailureEvent;
import org.springframework.security.authentication.event.InteractiveAuthenticationSuccessEvent;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.UsernamePasswordAuthenticationFilter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * People: form login and a session cookie (web and API), roles VIEWER &lt; OPERATOR &lt; ADMIN.
 * Agents: {@code Authorization: Bearer} tokens bound to one host, role AGENT; people and the CLI may use
 * API tokens instead of a session, and a new host enrols with an enrolment token ({@link BearerTokenFilter}).
 * CSRF tokens guard every form and every API call a browser session makes; only requests that carry
 * a bearer token (which browsers never send on their own) are exempt.
 * There is no HTTP Basic: a browser caches Basic credentials and sends them with every request, which
 * makes them as ambient as a cookie, and no client of the catalog needs them.
 */
@Configuration(proxyBeanMethods = false)
@EnableMethodSecurity
public class SecurityConfig {

    @Bean
    static RoleHierarchy roleHierarchy() {
        return RoleHierarchyImpl.fromHierarchy("""
                ROLE_ADMIN > ROLE_OPERATOR
                ROLE_OPERATOR > ROLE_VIEWER""");
    }

    @Bean
    PasswordEncoder passwordEncoder() {
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    @Bean
    SecurityFilterChain securityFilterChain(HttpSecurity http, AgentTokenService tokens, UserTokenService userTokens,
                                           EnrolmentTokenService enrolmentTokens) throws Exception {
        ProblemAuthenticationEntryPoint problems = new ProblemAuthenticationEntryPoint();
        RequestMatcher api = PathPatternRequestMatcher.withDefaults().matcher("/api/**");
        // CSRF guards credentials a browser sends on its own (the session cookie). A bearer token is
        // never sent on its own, and an API request with no cookie at all carries no session. Any
        // other Authorization header is no reason to skip the check: a forged request can add one
        // to a session-cookie request.
        RequestMatcher noAmbientCredentials = request -> BearerTokenFilter.hasBearerToken(request)
                || (api.matches(request) && request.getHeader("Cookie") == null);
        http
                .authorizeHttpRequests(a -> a
                        .requestMatchers("/login", "/css/**", "/js/**", "/webjars/**", "/favicon.ico", "/error").permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/prometheus", "/actuator/info").permitAll()
                        .requestMatchers("/v3/api-docs", "/v3/api-docs/**", "/swagger-ui/**", "/swagger-ui.html").permitAll()
                        .anyRequest().authenticated())
                .formLogin(f -> f.loginPage("/login").permitAll())
                .logout(l -> l.logoutSuccessUrl("/login?logout"))
                .csrf(c -> c.ignoringRequestMatchers(noAmbientCredentials))
                .addFilterBefore(new BearerTokenFilter(tokens, userTokens, enrolmentTokens, problems), UsernamePasswordAuthenticationFilter.class)
                .exceptionHandling(e -> e
                        .defaultAuthenticationEntryPointFor(problems, api)
                        .defaultAccessDeniedHandlerFor(problems, api));
        return http.build();
    }

    /** Interactive logins and failed attempts go to the audit log too. */
    @Configuration(proxyBeanMethods = false)
    static class LoginAudit {
        private final AuditLog audit;

        LoginAudit(AuditLog audit) {
            this.audit = audit;
        }

        @EventListener
        void onLogin(InteractiveAuthenticationSuccessEvent e) {
            audit.record("user.login", "user", e.getAuthentication().getName(), java.util.Map.of());
        }

        @EventListener
        void onFailure(AbstractAuthenticationFailureEvent e) {
            audit.recordAs(new Actor(String.valueOf(e.getAuthentication().getName()), "ANONYMOUS", Actor.currentRemoteAddr()),
                    "user.login-failed", "user", String.valueOf(e.getAuthentication().getName()),
                    java.util.Map.of("reason", e.getException().getClass().getSimpleName()));
        }
    }
}
