// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import javax.sql.DataSource;

import io.cryostash.catalog.CatalogApplication;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.FixturesConfig;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.audit.AuditStatus;
import io.cryostash.catalog.audit.ChainVerification;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.flyway.autoconfigure.FlywayDataSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The catalog's schedules as they run in production, switched on with short intervals: retention
 * applies every job's policy by itself, and the audit chain's check raises (and clears) the web
 * alert and the metric by itself. Nothing here calls the scheduled methods: the tests only wait for
 * what the schedules do. Its own context (database and store beside the {@code CatalogTest} ones),
 * closed after the class, because a scheduled retention run expires whatever any policy allows in
 * its database, and other tests' images must not be among them.
 */
@SpringBootTest(classes = CatalogApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "cryostash.catalog.data-dir=target/test-catalog-schedules",
        "cryostash.catalog.store=target/test-store-schedules",
        "cryostash.catalog.retention-schedule=true",
        "cryostash.catalog.retention-interval=PT0.5S",
        "cryostash.catalog.retention-initial-delay=PT0.5S",
        "cryostash.catalog.audit.verify-schedule=true",
        "cryostash.catalog.audit.verify-interval=PT0.5S",
        "cryostash.catalog.audit.verify-initial-delay=PT0.5S"})
@AutoConfigureMockMvc
@ActiveProfiles("test")
@Import(FixturesConfig.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class ScheduledRunsTests {

    /** Generous: the machine running the tests may be loaded many times over. */
    static final Duration WITHIN = Duration.ofSeconds(60);
    static final Instant T = Instant.parse("2026-06-01T00:00:00Z");

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @Autowired AuditStatus status;
    @Autowired AuditLog log;
    @Autowired MeterRegistry meters;
    /** The tables' owner (Flyway's role): the only one that can switch the audit tables' append-only triggers off. */
    @Autowired @FlywayDataSource DataSource owner;

    String state(String image) {
        return jdbc.sql("SELECT state FROM images WHERE id = ?").param(image).query(String.class).single();
    }

    long scheduledRunsSince(long afterEntry) {
        return jdbc.sql("SELECT count(*) FROM audit_log WHERE action = 'retention.applied' AND actor = 'system'"
                + " AND actor_kind = 'SYSTEM' AND id > ?").param(afterEntry).query(Long.class).single();
    }

    long lastEntry() {
        return jdbc.sql("SELECT coalesce(max(id), 0) FROM audit_log").query(Long.class).single();
    }

    @Test
    void theScheduledRunExpiresWhatEachJobsPolicyLetsGoAndNothingElse() throws Exception {
        var agent = fx.host("scheduled");
        long base = 7_000_000_000L;
        String a1 = fx.register(agent, fx.registration(agent, "nightly", T, null, base, 3));
        String a2 = fx.register(agent, fx.registration(agent, "nightly", T.plusSeconds(3600), a1, base + 1, 3));
        String a3 = fx.register(agent, fx.registration(agent, "nightly", T.plusSeconds(7200), a2, base + 2, 3));
        String a4 = fx.register(agent, fx.registration(agent, "nightly", T.plusSeconds(10800), a3, base + 3, 3));
        String b1 = fx.register(agent, fx.registration(agent, "adhoc", T, null, base + 100, 2));
        String b2 = fx.register(agent, fx.registration(agent, "adhoc", T.plusSeconds(60), null, base + 200, 2));
        long nightly = jdbc.sql("SELECT job_id FROM images WHERE id = ?").param(a1).query(Long.class).single();

        // runs without any policy keep everything
        long before = lastEntry();
        await().atMost(WITHIN).until(() -> scheduledRunsSince(before) >= 2);
        for (String i : new String[] {a1, a2, a3, a4, b1, b2}) assertThat(state(i)).as(i).isEqualTo("COMPLETE");

        // a policy for one job, and its oldest image pinned: the schedule then expires a2 and a3 alone
        mvc.perform(post("/api/images/{id}/pin", a1).with(user("ad").roles("ADMIN")).with(csrf())
                .contentType("application/json").content("{\"reason\":\"legal hold\"}")).andExpect(status().isCreated());
        mvc.perform(put("/api/jobs/{id}/retention", nightly).with(user("ad").roles("ADMIN")).with(csrf())
                .contentType("application/json").content("{\"keepLast\":1}")).andExpect(status().isOk());
        await().atMost(WITHIN).until(() -> "EXPIRED".equals(state(a2)) && "EXPIRED".equals(state(a3)));
        assertThat(state(a1)).as("pinned").isEqualTo("COMPLETE");
        assertThat(state(a4)).as("the last").isEqualTo("COMPLETE");
        assertThat(state(b1)).as("a job without a policy").isEqualTo("COMPLETE");
        assertThat(state(b2)).isEqualTo("COMPLETE");
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE action = 'image.expired' AND actor = 'system'"
                + " AND target_id IN (?, ?)").params(a2, a3).query(Long.class).single()).isEqualTo(2);

        // later runs find nothing more in that job; a default policy then reaches the other one
        long afterExpiry = lastEntry();
        await().atMost(WITHIN).until(() -> scheduledRunsSince(afterExpiry) >= 2);
        assertThat(state(a1)).isEqualTo("COMPLETE");
        assertThat(state(a4)).isEqualTo("COMPLETE");
        assertThat(state(b1)).isEqualTo("COMPLETE");
        mvc.perform(post("/api/retention-policies").with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content("{\"name\":\"default\",\"keepLast\":1}"))
                .andExpect(status().isCreated());
        await().atMost(WITHIN).until(() -> "EXPIRED".equals(state(b1)));
        assertThat(state(b2)).isEqualTo("COMPLETE");
        assertThat(state(a1)).as("still pinned").isEqualTo("COMPLETE");
        assertThat(state(a4)).isEqualTo("COMPLETE");
    }

    /** Runs SQL as the tables' owner with the append-only triggers off in this transaction, the chain's sequencer held off. */
    private void tamper(String sql, Object... params) {
        JdbcClient asOwner = JdbcClient.create(owner);
        new TransactionTemplate(new DataSourceTransactionManager(owner)).executeWithoutResult(s -> {
            asOwner.sql("SELECT pg_advisory_xact_lock(?)").param(0x4155444954L).query().singleRow();
            asOwner.sql("ALTER TABLE audit_log DISABLE TRIGGER USER").update();
            asOwner.sql(sql).params(params).update();
            asOwner.sql("ALTER TABLE audit_log ENABLE TRIGGER USER").update();
        });
    }

    double validGauge() {
        return meters.get("cryostash.audit.chain.valid").gauge().value();
    }

    String scrape() throws Exception {
        String token = Files.readString(Path.of("src/test/resources/metrics-token")).strip();
        return mvc.perform(get("/actuator/prometheus").header("Authorization", "Bearer " + token))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
    }

    @Test
    void theScheduledCheckRaisesTheAlertAndTheMetricForAnEditedEntryAndClearsThemOnceItIsPutRight() throws Exception {
        // an entry of our own, chained, then the schedule's verdict on a chain that holds it (NaN before its first check)
        String actor = Fixtures.unique("auditor");
        log.recordAs(new Actor(actor, "USER", "10.1.2.3"), "test.scheduled-check", "thing", actor, Map.of("n", 1));
        long id = jdbc.sql("SELECT id FROM audit_log WHERE actor = ?").param(actor).query(Long.class).single();
        await().atMost(WITHIN).until(() -> jdbc.sql("SELECT count(*) FROM audit_chain WHERE entry_id = ?").param(id)
                .query(Long.class).single() == 1);
        long seq = jdbc.sql("SELECT seq FROM audit_chain WHERE entry_id = ?").param(id).query(Long.class).single();
        await().atMost(WITHIN).until(() -> status.last() != null && status.last().valid() && status.last().links() >= seq);
        assertThat(validGauge()).isEqualTo(1.0);
        assertThat(scrape()).contains("cryostash_audit_chain_valid 1.0");
        mvc.perform(get("/images").with(user("v").roles("VIEWER")))
                .andExpect(content().string(not(containsString("id=\"audit-alert\""))));

        String before = jdbc.sql("SELECT details::text FROM audit_log WHERE id = ?").param(id).query(String.class).single();
        try {
            tamper("UPDATE audit_log SET details = '{\"edited\": true}'::jsonb WHERE id = ?", id);
            await().atMost(WITHIN).until(() -> status.last() != null && !status.last().valid());
            assertThat(status.last().problems()).anySatisfy(p -> {
                assertThat(p.kind()).isEqualTo(ChainVerification.Kind.EDITED);
                assertThat(p.entryId()).isEqualTo(id);
            });
            assertThat(validGauge()).isEqualTo(0.0);
            assertThat(scrape()).contains("cryostash_audit_chain_valid 0.0");
            mvc.perform(get("/images").with(user("v").roles("VIEWER")))
                    .andExpect(content().string(containsString("id=\"audit-alert\"")))
                    .andExpect(content().string(containsString("audit entry " + id)));
        } finally {
            tamper("UPDATE audit_log SET details = ?::jsonb WHERE id = ?", before, id);
        }
        await().atMost(WITHIN).until(() -> status.last().valid());
        assertThat(validGauge()).isEqualTo(1.0);
        mvc.perform(get("/images").with(user("v").roles("VIEWER")))
                .andExpect(content().string(not(containsString("id=\"audit-alert\""))));
    }
}
