// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The catalog's own check of the audit chain, every {@code cryostash.catalog.audit.verify-interval}
 * (default PT10M, first after {@code audit.verify-initial-delay}, PT1M; {@code audit.verify-schedule=false}:
 * only on demand), and the last result: the web
 * catalog shows an alert on every page while it is bad, and Micrometer reports
 * {@code cryostash.audit.chain.valid} (1 or 0; NaN before the first check),
 * {@code cryostash.audit.chain.problems} and {@code cryostash.audit.chain.links}.
 */
@Component
public class AuditStatus {

    private final AuditChainer chainer;
    private final AuditVerifier verifier;
    private final AtomicReference<ChainVerification> last = new AtomicReference<>();

    public AuditStatus(AuditChainer chainer, AuditVerifier verifier, MeterRegistry meters) {
        this.chainer = chainer;
        this.verifier = verifier;
        Gauge.builder("cryostash.audit.chain.valid", last, l -> l.get() == null ? Double.NaN : l.get().valid() ? 1 : 0)
                .description("1 when the last check found the audit chain intact, 0 when it found a problem").register(meters);
        Gauge.builder("cryostash.audit.chain.problems", last, l -> l.get() == null ? 0 : l.get().problems().size())
                .description("problems the last check of the audit chain found").register(meters);
        Gauge.builder("cryostash.audit.chain.links", last, l -> l.get() == null ? 0 : l.get().links())
                .description("links in the audit chain at the last check").register(meters);
    }

    /** Chains what is pending, then checks the whole chain and the anchors; the result becomes the status. */
    public ChainVerification checkNow() {
        chainer.chain();
        ChainVerification v = verifier.verify();
        last.set(v);
        return v;
    }

    /** The last check's result; null before the first. */
    public ChainVerification last() {
        return last.get();
    }

    /** Scheduled check (a component of its own, so that tests and deployments can turn it off). */
    @Component
    @ConditionalOnProperty(name = "cryostash.catalog.audit.verify-schedule", havingValue = "true", matchIfMissing = true)
    static class Schedule {
        private final AuditStatus status;

        Schedule(AuditStatus status) {
            this.status = status;
        }

        @Scheduled(fixedDelayString = "${cryostash.catalog.audit.verify-interval:PT10M}",
                initialDelayString = "${cryostash.catalog.audit.verify-initial-delay:PT1M}")
        void run() {
            status.checkNow();
        }
    }

    /** Anchors the chain's head in the store on a schedule (when a store is configured). */
    @Component
    @ConditionalOnProperty(name = "cryostash.catalog.audit.anchor-schedule", havingValue = "true", matchIfMissing = true)
    static class Anchoring {
        private final AuditChainer chainer;
        private final AuditAnchors anchors;

        Anchoring(AuditChainer chainer, AuditAnchors anchors) {
            this.chainer = chainer;
            this.anchors = anchors;
        }

        @Scheduled(fixedDelayString = "${cryostash.catalog.audit.anchor-interval:PT1H}", initialDelayString = "PT2M")
        void run() {
            chainer.chain();
            anchors.anchorHead();
        }
    }
}
