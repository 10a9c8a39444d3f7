// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.time.Instant;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ScheduleTimesTests {

    final Instant now = Instant.parse("2026-12-06T10:00:07Z");

    @Test
    void aTimetableIsAnIntervalOrACronExpressionNeverBothOrNeither() {
        assertThat(ScheduleTimes.problems(600, null)).isEmpty();
        assertThat(ScheduleTimes.problems(null, "0 */15 * * * *")).isEmpty();
        assertThat(ScheduleTimes.problems(null, "@hourly")).isEmpty();
        assertThat(ScheduleTimes.problems(600, "0 */15 * * * *")).containsExactly("intervalSeconds or cron: exactly one of them is required");
        assertThat(ScheduleTimes.problems(null, null)).containsExactly("intervalSeconds or cron: exactly one of them is required");
        assertThat(ScheduleTimes.problems(5, null)).singleElement().asString().startsWith("intervalSeconds: must be 10");
        assertThat(ScheduleTimes.problems(null, "every tuesday")).singleElement().asString().startsWith("cron: ")
                .contains("six fields");
    }

    @Test
    void intervalsCountFromThePreviousDueTimeWithoutCatchingUp() {
        Instant previous = now.minusSeconds(30);
        assertThat(ScheduleTimes.next(60, null, previous, now)).isEqualTo(previous.plusSeconds(60));
        // Down for an hour: the next run is one interval from now, not sixty runs at once.
        assertThat(ScheduleTimes.next(60, null, now.minusSeconds(3600), now)).isEqualTo(now.plusSeconds(60));
        assertThat(ScheduleTimes.next(60, null, null, now)).isEqualTo(now.plusSeconds(60));
    }

    @Test
    void cronExpressionsFireAtTheirNextTimeInTheCatalogsZone() {
        Instant next = ScheduleTimes.next(null, "0 */15 * * * *", null, now);
        var local = next.atZone(ZoneId.systemDefault());
        assertThat(local.getMinute() % 15).isZero();
        assertThat(local.getSecond()).isZero();
        assertThat(next).isAfter(now).isBeforeOrEqualTo(now.plusSeconds(15 * 60));
        assertThat(ScheduleTimes.next(null, "* * * * * *", null, now)).isEqualTo(Instant.parse("2026-12-06T10:00:08Z"));
    }
}
