// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.util.List;
import java.util.function.ToLongFunction;

/**
 * How one figure of the soak moved: its mean and its floor (lowest sample) over the first and the
 * last window (10 minutes, or a third of a shorter run; the first starts after minute 1: start-up
 * and JIT warm-up before the first snapshots are not a leak) and the least-squares slope per hour
 * over every sample after the first minute. It is called flat when the last window's floor is no
 * more than {@code tolerance} (a fraction of the first's) or {@code slackBytes}, whichever is
 * larger, above the first window's floor: a sample taken while a capture holds its buffers is high
 * whatever the trend, but what is left after a full GC between captures rises only with a leak.
 */
record MemoryTrend(String name, double firstMiB, double lastMiB, double firstFloorMiB, double lastFloorMiB, double slopeMiBPerHour,
                   boolean flat) {

    static MemoryTrend of(String name, List<SoakSample> samples, ToLongFunction<SoakSample> value, double tolerance,
                          long slackBytes) {
        double total = samples.get(samples.size() - 1).minutes();
        double window = Math.min(10, (total - 1) / 3);
        double first = mean(samples, value, 1, 1 + window);
        double last = mean(samples, value, total - window, total + 1);
        double firstFloor = floor(samples, value, 1, 1 + window);
        double lastFloor = floor(samples, value, total - window, total + 1);
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (SoakSample s : samples) {
            if (s.minutes() < 1) continue;
            double x = s.minutes() / 60;
            double y = SoakSample.mib(value.applyAsLong(s));
            n++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double slope = n < 2 || n * sxx - sx * sx == 0 ? 0 : (n * sxy - sx * sy) / (n * sxx - sx * sx);
        boolean flat = lastFloor - firstFloor <= Math.max(firstFloor * tolerance, SoakSample.mib(slackBytes));
        return new MemoryTrend(name, first, last, firstFloor, lastFloor, slope, flat);
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
        return String.format("%-20s mean %6.1f -> %6.1f MiB, floor %6.1f -> %6.1f MiB (first -> last window), slope %+7.1f MiB/h: %s",
                name, firstMiB, lastMiB, firstFloorMiB, lastFloorMiB, slopeMiBPerHour, flat ? "flat" : "GROWS");
    }
}
