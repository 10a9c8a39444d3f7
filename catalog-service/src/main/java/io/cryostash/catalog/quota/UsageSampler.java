// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.quota;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Samples the stored bytes of every job and host that has a quota, every
 * {@code cryostash.catalog.quota.sample-interval} (default PT15M): what the usage chart draws.
 */
@Component
public class UsageSampler {

    private final QuotaRepository quotas;

    public UsageSampler(QuotaRepository quotas) {
        this.quotas = quotas;
    }

    /** Takes one sample of every quota's usage now. */
    public void sampleNow() {
        for (Quota q : quotas.findAll()) quotas.sample(q.jobId(), q.jobId() == null ? q.hostId() : null, q.usedBytes());
    }

    @Component
    @ConditionalOnProperty(name = "cryostash.catalog.quota.sample-schedule", havingValue = "true", matchIfMissing = true)
    static class Schedule {
        private final UsageSampler sampler;

        Schedule(UsageSampler sampler) {
            this.sampler = sampler;
        }

        @Scheduled(fixedDelayString = "${cryostash.catalog.quota.sample-interval:PT15M}", initialDelayString = "PT1M")
        void run() {
            sampler.sampleNow();
        }
    }
}
