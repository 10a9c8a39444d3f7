// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.user.Role;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;
import org.springframework.test.web.servlet.request.RequestPostProcessor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.response.SecurityMockMvcResultMatchers.authenticated;
import static org.springframework.security.test.web.servlet.response.SecurityMockMvcResultMatchers.unauthenticated;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * Guessing passwords at the login form: per user name and per address, with a lock that doubles,
 * during which even the right password is refused; every lock and every over-long name audited.
 * Each test logs in from an address of its own (TEST-NET ranges), so that locks stay in the test;
 * the catalog's throttle runs on a clock that stands still in tests (FixturesConfig), so a lock
 * lasts until the test ends, however slow the machine.
 */
@CatalogTest
class LoginThrottleTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;

    static RequestPostProcessor from(String address) {
        return r -> {
            r.setRemoteAddr(address);
            return r;
        };
    }

    ResultActions attempt(String username, String password, String address) throws Exception {
        return mvc.perform(login(username, password, address));
    }

    static org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder login(String username, String password,
                                                                                             String address) {
        return post("/login").param("username", username).param("password", password).with(csrf()).with(from(address));
    }

    long audited(String action, String target) {
        return jdbc.sql("SELECT count(*) FROM audit_log WHERE action = ? AND target_id = ?").params(action, target)
                .query(Long.class).single();
    }

    @Test
    void aHundredWrongPasswordsThenTheRightOneIsRefusedToo() throws Exception {
        String viewer = fx.user(Role.VIEWER);
        for (int i = 0; i < 100; i++) attempt(viewer, "wrong-" + i, "192.0.2.10").andExpect(unauthenticated());
        attempt(viewer, viewer + "-password", "192.0.2.10")
                .andExpect(unauthenticated())
                .andExpect(r -> assertThat(r.getResponse().getRedirectedUrl()).startsWith("/login?throttled="));
        assertThat(audited("user.login-throttled", viewer)).isOne();
        assertThat(audited("user.login-failed", viewer)).as("only attempts that were checked count").isEqualTo(6);
    }

    @Test
    void theLockIsPerUserNameFromEveryAddress() throws Exception {
        String operator = fx.user(Role.OPERATOR);
        for (int i = 0; i < 6; i++) attempt(operator, "wrong", "198.51.100." + i).andExpect(unauthenticated());
        attempt(operator, operator + "-password", "198.51.100.99").andExpect(unauthenticated());
        String other = fx.user(Role.VIEWER);
        attempt(other, other + "-password", "198.51.100.99").andExpect(authenticated());
    }

    @Test
    void theLockIsPerAddressForEveryUserName() throws Exception {
        for (int i = 0; i < 21; i++) attempt(Fixtures.unique("nobody"), "wrong", "203.0.113.7").andExpect(unauthenticated());
        String viewer = fx.user(Role.VIEWER);
        attempt(viewer, viewer + "-password", "203.0.113.7").andExpect(unauthenticated());
        attempt(viewer, viewer + "-password", "203.0.113.8").andExpect(authenticated());
    }

    @Test
    void aProgramAskingForJsonGetsA429WithRetryAfter() throws Exception {
        String viewer = fx.user(Role.VIEWER);
        for (int i = 0; i < 6; i++) attempt(viewer, "wrong", "192.0.2.20");
        mvc.perform(login(viewer, viewer + "-password", "192.0.2.20").accept(org.springframework.http.MediaType.APPLICATION_JSON))
                .andExpect(status().isTooManyRequests())
                .andExpect(header().exists("Retry-After"))
                .andExpect(jsonPath("$.status").value(429));
    }

    @Test
    void theLockDoublesWithEachFailureUpToFifteenMinutesAndASuccessClearsTheName() {
        MutableClock clock = new MutableClock();
        LoginThrottle t = new LoginThrottle(clock);
        for (int i = 0; i < LoginThrottle.FREE_PER_USER; i++) t.failed("ann", "10.0.0." + i);
        assertThat(t.lockFor("ann", "10.0.1.1")).as("five mistakes are free").isEmpty();
        Duration expected = Duration.ofSeconds(1);
        for (int i = 0; i < 14; i++) {
            t.failed("ann", "10.0.2." + i);
            var lock = t.lockFor("ann", "10.0.1.1").orElseThrow();
            assertThat(lock.remaining(clock.instant())).isEqualTo(expected);
            clock.advance(expected);
            assertThat(t.lockFor("ann", "10.0.1.1")).isEmpty();
            expected = expected.multipliedBy(2).compareTo(LoginThrottle.MAX_LOCK) > 0 ? LoginThrottle.MAX_LOCK : expected.multipliedBy(2);
        }
        t.failed("ann", "10.0.3.1");
        assertThat(t.lockFor("ann", "10.0.1.1").orElseThrow().remaining(clock.instant())).isEqualTo(LoginThrottle.MAX_LOCK);
        clock.advance(LoginThrottle.MAX_LOCK);
        t.succeeded("ann");
        t.failed("ann", "10.0.4.1");
        assertThat(t.lockFor("ann", "10.0.1.1")).as("counting starts again after a success").isEmpty();
    }

    @Test
    void aVeryLongUserNameIsAFailedLoginAuditedCutNotAServerError() throws Exception {
        String name = "x".repeat(5_000);
        attempt(name, "whatever", "192.0.2.30")
                .andExpect(status().is3xxRedirection())
                .andExpect(redirectedUrl("/login?error"))
                .andExpect(unauthenticated());
        mvc.perform(login(name, "whatever", "192.0.2.30").accept(org.springframework.http.MediaType.APPLICATION_JSON))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.status").value(401));
        String kept = jdbc.sql("SELECT target_id FROM audit_log WHERE action = 'user.login-failed' AND target_id LIKE 'xxxx%'"
                + " AND remote_addr = '192.0.2.30' ORDER BY id DESC LIMIT 1").query(String.class).single();
        assertThat(kept).startsWith("x".repeat(64) + "…").endsWith("(5000 characters)").hasSizeLessThan(100);
    }

    static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-12-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
