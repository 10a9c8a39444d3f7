// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.util.List;
import java.util.function.ToLongFunction;

/**
 * How one figure of the soak moved after warm-up. The run is cut in thirds: the first is warm-up
 * (class loading, JIT compilation, malloc arenas and the code cache filling as the first captures,
 * retention and GC runs go by; none of that repeats, so it is not a leak) and is not judged; the
 * middle and last thirds are compared by their floor (lowest sample), and the least-squares slope
 * per hour is given over the judged part and, for comparison, over the whole run after minute 1.
 * It is called flat when the last third's floor is no more than {@code tolerance} (a fraction of
 * the middle third's floor) or {@code slackBytes}, whichever is larger, above the middle third's
 * floor: a sample taken while a capture holds its buffers is high whatever the trend, but what is
 * left after a full GC between captures rises only with a leak.
 */
record MemoryTrend(String name, double warmUpMinutes, double middleFloorMiB, double lastFloorMiB, double middleMiB,
                   double lastMiB, double slopeMiBPerHour, double wholeRunSlopeMiBPerHour, boolean flat) {

    static MemoryTrend of(String name, List<SoakSample> samples, ToLongFunction<SoakSample> value, double tolerance,
                          long slackBytes) {
        double total = samples.get(samples.size() - 1).minutes();
        double third = total / 3;
        double middleFloor = floor(samples, value, third, 2 * third);
        double lastFloor = floor(samples, value, 2 * third, total + 1);
        double middle = mean(samples, value, third, 2 * third);
        double last = mean(samples, value, 2 * third, total + 1);
        boolean flat = lastFloor - middleFloor <= Math.max(middleFloor * tolerance, SoakSample.mib(slackBytes));
        return new MemoryTrend(name, third, middleFloor, lastFloor, middle, last, slope(samples, value, third),
                slope(samples, value, 1), flat);
    }

    /** Least-squares slope in MiB per hour of the samples from minute {@code from} on. */
    private static double slope(List<SoakSample> samples, ToLongFunction<SoakSample> value, double from) {
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (SoakSample s : samples) {
            if (s.minutes() < from) continue;
            double x = s.minutes() / 60;
            double y = SoakSample.mib(value.applyAsLong(s));
            n++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        return n < 2 || n * sxx - sx * sx == 0 ? 0 : (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    private static double floor(List<SoakSample> samples, ToLongFunction<SoakSample> value, double from, double to) {
        return samples.stream().filter(s -> s.minutes() >= from && s.minutes() <= to)
                .mapToDouble(s -> SoakSample.mib(value.applyAsLong(s))).min().orElse(Double.NaN);
    }

    private static double mean(List<SoakSample> samples, ToLongFunction<SoakSample> value, double from, double to) {
        double sum = 0;
        int n = 0;
        for (SoakSample s : samples) {
            if (s.minutes() >= from && s.minutes() <= to) {
                sum += SoakSample.mib(value.applyAsLong(s));
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    String line() {
        return String.format("%-20s after %.0f min of warm-up: floor %6.1f -> %6.1f MiB, mean %6.1f -> %6.1f MiB (middle ->"
                        + " last third), slope %+7.1f MiB/h (whole run after minute 1: %+7.1f): %s", name, warmUpMinutes,
                middleFloorMiB, lastFloorMiB, middleMiB, lastMiB, slopeMiBPerHour, wholeRunSlopeMiBPerHour,
                flat ? "flat" : "GROWS");
    }
}
