// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.cryostash.catalog.retention.RetentionPlanner.Candidate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Retention as a table of cases: capture times (and pins) in, the images kept out, with the
 * reasons restic's {@code forget} would give. 2026-11-01 is a Sunday: ISO week 44 ends that day.
 */
class RetentionPlannerTests {

    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    static final Instant NOW = Instant.parse("2027-06-01T00:00:00Z");

    /** One image every {@code step} from {@code first}, named i0, i1, … (oldest first). */
    static List<Candidate> every(Duration step, int n) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new Candidate("i" + i, T0.plus(step.multipliedBy(i)), false));
        return out;
    }

    /** Images at the given times (UTC, to the minute), named after them. */
    static List<Candidate> at(String... times) {
        return Arrays.stream(times).map(t -> new Candidate(t, Instant.parse(t + ":00Z"), false)).toList();
    }

    static List<Candidate> pin(List<Candidate> images, String... ids) {
        List<String> pinned = List.of(ids);
        return images.stream().map(c -> new Candidate(c.id(), c.capturedAt(), pinned.contains(c.id()))).toList();
    }

    static RetentionRules rules(int last, int hourly, int daily, int weekly, int monthly, int yearly, String within) {
        return new RetentionRules(last, hourly, daily, weekly, monthly, yearly, KeepWithin.parse(within));
    }

    record Case(String name, List<Candidate> images, RetentionRules rules, Instant now, List<String> keep,
                Map<String, List<String>> reasons) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case keep(String name, List<Candidate> images, RetentionRules rules, String... kept) {
        return new Case(name, images, rules, NOW, List.of(kept), Map.of());
    }

    static Stream<Case> cases() {
        Duration q = Duration.ofMinutes(15);
        return Stream.of(
                keep("keep-last keeps the newest", every(q, 10), rules(3, 0, 0, 0, 0, 0, null), "i9", "i8", "i7"),
                keep("keep-last above the count keeps all", every(q, 3), rules(5, 0, 0, 0, 0, 0, null), "i2", "i1", "i0"),
                keep("hourly keeps the newest image of each of the newest hours",
                        every(q, 12), rules(0, 2, 0, 0, 0, 0, null), "i11", "i7"),
                keep("hourly with counts left also keeps the oldest image (restic 0.15+)",
                        every(q, 12), rules(0, 5, 0, 0, 0, 0, null), "i11", "i7", "i3", "i0"),
                keep("last and daily combine (either keeps)", every(q, 288), rules(2, 0, 3, 0, 0, 0, null),
                        "i287", "i286", "i191", "i95"),
                keep("days without images are skipped, not counted",
                        at("2026-11-01T10:00", "2026-11-02T10:00", "2026-11-02T11:00", "2026-11-04T09:00", "2026-11-05T10:00"),
                        rules(0, 0, 3, 0, 0, 0, null), "2026-11-05T10:00", "2026-11-04T09:00", "2026-11-02T11:00"),
                keep("weekly buckets are ISO weeks in UTC: Sunday 23:00 and Monday 01:00 are different weeks",
                        at("2026-10-31T12:00", "2026-11-01T23:00", "2026-11-02T01:00", "2026-11-03T01:00"),
                        rules(0, 0, 0, 2, 0, 0, null), "2026-11-03T01:00", "2026-11-01T23:00"),
                keep("monthly and yearly", at("2025-12-31T23:00", "2026-01-15T00:00", "2026-02-01T00:00", "2026-02-20T00:00",
                                "2026-03-10T00:00"),
                        rules(0, 0, 0, 0, 2, 1, null), "2026-03-10T00:00", "2026-02-20T00:00"),
                keep("yearly with counts left keeps the newest of each year and the oldest",
                        at("2024-05-01T00:00", "2024-06-01T00:00", "2025-06-01T00:00", "2026-06-01T00:00"),
                        rules(0, 0, 0, 0, 0, 9, null), "2026-06-01T00:00", "2025-06-01T00:00", "2024-06-01T00:00", "2024-05-01T00:00"),
                keep("keep-within counts back from the newest image, not from now, and the bound is exclusive",
                        at("2026-11-01T00:00", "2026-11-01T00:30", "2026-11-01T01:00", "2026-11-01T01:30", "2026-11-01T02:00"),
                        rules(0, 0, 0, 0, 0, 0, "1h"), "2026-11-01T02:00", "2026-11-01T01:30"),
                keep("keep-within ignores images from the future when it finds the newest",
                        at("2027-05-31T20:00", "2027-05-31T23:00", "2027-06-05T00:00"),
                        rules(0, 0, 0, 0, 0, 0, "2h"), "2027-06-05T00:00", "2027-05-31T23:00"),
                keep("keep-within months are calendar months (31 March less a month is 28 February)", at("2026-01-31T00:00", "2026-02-28T00:00", "2026-03-31T00:00"),
                        rules(0, 0, 0, 0, 0, 0, "1m"), "2026-03-31T00:00"),
                keep("a pinned old image is kept and does not use up keep-last",
                        pin(every(q, 5), "i0"), rules(2, 0, 0, 0, 0, 0, null), "i4", "i3", "i0"),
                keep("a pinned newest image does not count either: keep-last 2 keeps two unpinned ones besides",
                        pin(every(q, 5), "i4"), rules(2, 0, 0, 0, 0, 0, null), "i4", "i3", "i2"),
                keep("parents of a kept incremental image are not kept: every image names all its chunks",
                        List.of(new Candidate("full", T0, false), new Candidate("inc1", T0.plusSeconds(60), false),
                                new Candidate("inc2", T0.plusSeconds(120), false)),
                        rules(1, 0, 0, 0, 0, 0, null), "inc2"),
                keep("no images, nothing to keep", List.of(), rules(3, 0, 0, 0, 0, 0, null)),
                // i0..i3 on 1 November (0 h, 7 h, 14 h, 21 h), i4 on 2 November at 04:00; within 10 h of i4 is after 18 h
                new Case("reasons name every rule that keeps an image", every(Duration.ofHours(7), 5),
                        rules(1, 0, 3, 0, 0, 0, "10h"), NOW, List.of("i4", "i3", "i0"),
                        Map.of("i4", List.of("within 10h", "last", "daily"), "i3", List.of("within 10h", "daily"),
                                "i0", List.of("oldest (daily)"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void keepsWhatTheRulesSay(Case c) {
        var plan = RetentionPlanner.plan(c.images(), c.rules(), c.now());
        assertThat(plan.keptIds()).as(c.name()).containsExactlyElementsOf(c.keep());
        List<String> expired = c.images().stream().map(Candidate::id).filter(id -> !c.keep().contains(id)).toList();
        assertThat(plan.expire()).as(c.name()).containsExactlyInAnyOrderElementsOf(expired);
        for (var e : c.reasons().entrySet()) {
            var kept = plan.keep().stream().filter(k -> k.id().equals(e.getKey())).findFirst().orElseThrow();
            assertThat(kept.reasons()).as(c.name() + ": " + e.getKey()).containsExactlyElementsOf(e.getValue());
        }
    }

    @Test
    void pinnedImagesSayWhyTheyAreKept() {
        var plan = RetentionPlanner.plan(pin(every(Duration.ofHours(1), 3), "i0"), rules(1, 0, 0, 0, 0, 0, null), NOW);
        assertThat(plan.keep()).extracting(RetentionPlanner.Kept::reasons).containsExactly(List.of("last"), List.of("pinned"));
    }

    @Test
    void keepWithinParsesResticSyntaxAndRefusesAnythingElse() {
        assertThat(KeepWithin.parse("1y5m7d2h")).isEqualTo(new KeepWithin(1, 5, 7, 2));
        assertThat(KeepWithin.parse("30d").toString()).isEqualTo("30d");
        assertThat(KeepWithin.parse(" ")).isNull();
        for (String bad : new String[] {"7", "2h1d", "P7D", "-1d", "0d", "1w"}) {
            assertThatThrownBy(() -> KeepWithin.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("keepWithin");
        }
    }

    @Test
    void rulesThatKeepNothingAreRefused() {
        assertThat(rules(0, 0, 0, 0, 0, 0, null).problems()).singleElement().asString().contains("at least one must keep");
        assertThat(rules(-1, 0, 0, 0, 0, 0, null).problems()).singleElement().asString().startsWith("keepLast:");
        assertThat(rules(0, 0, 0, 0, 0, 0, "1d").problems()).isEmpty();
    }
}
