// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.catalog.retention.RetentionPlanner.Candidate;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RetentionPlannerTests {

    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    /** One image every 15 minutes for {@code n} images, each a full image (no parent). */
    static List<Candidate> every15Minutes(int n) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new Candidate("i" + i, T0.plus(15L * i, ChronoUnit.MINUTES), null));
        return out;
    }

    @Test
    void keepLastKeepsTheNewest() {
        var plan = RetentionPlanner.plan(every15Minutes(10), 3, 0, 0, 0);
        assertThat(plan.keep()).containsExactly("i9", "i8", "i7");
        assertThat(plan.expire()).hasSize(7).contains("i0", "i6");
    }

    @Test
    void keepHourlyKeepsTheNewestOfEachRecentHour() {
        // 12 images = 3 hours (i0-i3, i4-i7, i8-i11)
        var plan = RetentionPlanner.plan(every15Minutes(12), 0, 2, 0, 0);
        assertThat(plan.keep()).containsExactly("i11", "i7");
    }

    @Test
    void lastAndDailyCombine() {
        // 4 per hour * 24 * 3 days = 288 images
        var plan = RetentionPlanner.plan(every15Minutes(288), 2, 0, 3, 0);
        assertThat(plan.keep()).containsExactly("i287", "i286", "i191", "i95");
    }

    @Test
    void parentsOfKeptIncrementalImagesAreKept() {
        List<Candidate> chain = List.of(
                new Candidate("full", T0, null),
                new Candidate("inc1", T0.plusSeconds(60), "full"),
                new Candidate("inc2", T0.plusSeconds(120), "inc1"),
                new Candidate("other", T0.plusSeconds(30), null));
        var plan = RetentionPlanner.plan(chain, 1, 0, 0, 0);
        assertThat(plan.keep()).containsExactlyInAnyOrder("inc2", "inc1", "full");
        assertThat(plan.expire()).containsExactly("other");
    }

    @Test
    void nothingToKeepExpiresEverything() {
        assertThat(RetentionPlanner.plan(every15Minutes(3), 0, 0, 0, 0).expire()).hasSize(3);
    }
}
