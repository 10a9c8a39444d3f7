// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.system.DatabaseUnavailable;
import io.cryostash.catalog.user.UserNames;
import io.cryostash.catalog.user.UserRepository;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.server.servlet.CookieSameSiteSupplier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.authentication.event.AbstractAuthenticationFailureEvent;
import org.springframework.security.authentication.event.InteractiveAuthenticationSuccessEvent;
import org.springframework.security.authentication.event.LogoutSuccessEvent;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
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

    /** Locks run on the system clock, or on a Clock bean named loginThrottleClock (tests). */
    @Bean
    LoginThrottle loginThrottle(@Qualifier("loginThrottleClock") ObjectProvider<Clock> clock) {
        return new LoginThrottle(clock.getIfAvailable(Clock::systemUTC));
    }

    /** Session cookies only go with requests from the catalog's own pages and links into it (and never to scripts). */
    @Bean
    CookieSameSiteSupplier sameSiteLax() {
        return CookieSameSiteSupplier.ofLax();
    }

    /**
     * The metrics scrape: a person's session (VIEWER or above) or, when
     * {@code cryostash.catalog.metrics-token-file} names a file, {@code Authorization: Bearer} with the
     * token in it. A chain of its own, ahead of the main one, so that this token is never taken for an
     * agent's.
     */
    @Bean
    @Order(1)
    SecurityFilterChain metricsFilterChain(HttpSecurity http,
                                           @Value("${cryostash.catalog.metrics-token-file:}") String tokenFile,
                                           AuditLog audit, UserRepository users) throws Exception {
        ProblemAuthenticationEntryPoint problems = new ProblemAuthenticationEntryPoint();
        http.securityMatcher("/actuator/prometheus")
                .authorizeHttpRequests(a -> a.anyRequest().hasAnyRole("VIEWER", MetricsTokenFilter.ROLE))
                .csrf(c -> c.disable())
                .requestCache(c -> c.disable())
                .addFilterBefore(new MetricsTokenFilter(tokenFile.isBlank() ? null : Path.of(tokenFile), problems),
                        UsernamePasswordAuthenticationFilter.class)
                .addFilterBefore(new SessionRecheckFilter(users, audit), AuthorizationFilter.class)
                .headers(h -> h.contentSecurityPolicy(c -> c.policyDirectives(CONTENT_SECURITY_POLICY)))
                .exceptionHandling(e -> e.authenticationEntryPoint(problems).accessDeniedHandler(problems));
        return http.build();
    }

    /**
     * What pages may load: their own scripts, styles and images only, no inline script or handler,
     * no plugins, not inside another site's frame, forms only to the catalog.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            + "frame-ancestors 'none'; form-action 'self'";

    @Bean
    @Order(2)
    SecurityFilterChain securityFilterChain(HttpSecurity http, AgentTokenService tokens, UserTokenService userTokens,
                                            EnrolmentTokenService enrolmentTokens, LoginThrottle throttle,
                                            AuditLog audit, UserRepository users) throws Exception {
        ProblemAuthenticationEntryPoint problems = new ProblemAuthenticationEntryPoint();
        LoginFailureHandler loginFailures = new LoginFailureHandler();
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
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/info").permitAll()
                        .requestMatchers("/v3/api-docs", "/v3/api-docs/**", "/swagger-ui/**", "/swagger-ui.html").permitAll()
                        .anyRequest().authenticated())
                .formLogin(f -> f.loginPage("/login").failureHandler(loginFailures).permitAll())
                .logout(l -> l.logoutSuccessUrl("/login?logout"))
                .csrf(c -> c.ignoringRequestMatchers(noAmbientCredentials))
                .headers(h -> h.contentSecurityPolicy(c -> c.policyDirectives(CONTENT_SECURITY_POLICY)))
                .addFilterBefore(new BearerTokenFilter(tokens, userTokens, enrolmentTokens, problems), UsernamePasswordAuthenticationFilter.class)
                .addFilterBefore(new LoginThrottleFilter(throttle, audit, loginFailures),
                        UsernamePasswordAuthenticationFilter.class)
                .addFilterBefore(new SessionRecheckFilter(users, audit), AuthorizationFilter.class)
                .exceptionHandling(e -> e
                        .defaultAuthenticationEntryPointFor(problems, api)
                        .defaultAccessDeniedHandlerFor(problems, api));
        return http.build();
    }

    /**
     * Interactive logins, failed attempts and logouts go to the audit log too; failures count towards
     * throttling, except those where the database could not be reached.
     */
    @Configuration(proxyBeanMethods = false)
    static class LoginAudit {
        private final AuditLog audit;
        private final LoginThrottle throttle;

        LoginAudit(AuditLog audit, LoginThrottle throttle) {
            this.audit = audit;
            this.throttle = throttle;
        }

        @EventListener
        void onLogin(InteractiveAuthenticationSuccessEvent e) {
            throttle.succeeded(e.getAuthentication().getName());
            audit.record("user.login", "user", e.getAuthentication().getName(), Map.of());
        }

        @EventListener
        void onFailure(AbstractAuthenticationFailureEvent e) {
            // The account could not be read (LoginFailureHandler answers 503): nobody guessed anything.
            if (DatabaseUnavailable.is(e.getException())) return;
            String typed = String.valueOf(e.getAuthentication().getName());
            String name = UserNames.forAudit(typed);
            throttle.failed(typed, Actor.currentRemoteAddr());
            audit.recordAs(new Actor(name, "ANONYMOUS", Actor.currentRemoteAddr()), "user.login-failed", "user", name,
                    Map.of("reason", e.getException().getClass().getSimpleName()));
        }

        @EventListener
        void onLogout(LogoutSuccessEvent e) {
            String name = e.getAuthentication().getName();
            audit.recordAs(new Actor(name, "USER", Actor.currentRemoteAddr()), "user.logout", "user", name, Map.of());
        }
    }
}
