// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.util.List;
import java.util.function.ToLongFunction;

/**
 * How one figure of the soak moved: its mean over the first and the last window (10 minutes, or a
 * third of a shorter run; the first starts after minute 1: start-up and JIT warm-up before the
 * first snapshots are not a leak) and the least-squares slope per hour over every sample after the
 * first minute. It is called flat when the last window is no
 * more than {@code tolerance} (a fraction) and {@code floorBytes} above the first.
 */
record MemoryTrend(String name, double firstMiB, double lastMiB, double slopeMiBPerHour, boolean flat) {

    static MemoryTrend of(String name, List<SoakSample> samples, ToLongFunction<SoakSample> value, double tolerance,
                          long floorBytes) {
        double total = samples.get(samples.size() - 1).minutes();
        double window = Math.min(10, (total - 1) / 3);
        double first = mean(samples, value, 1, 1 + window);
        double last = mean(samples, value, total - window, total + 1);
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
        boolean flat = last - first <= Math.max(first * tolerance, SoakSample.mib(floorBytes));
        return new MemoryTrend(name, first, last, slope, flat);
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
        return String.format("%-22s first window %8.1f MiB, last window %8.1f MiB, slope %+8.1f MiB/h: %s", name, firstMiB, lastMiB,
                slopeMiBPerHour, flat ? "flat" : "GROWS");
    }
}
