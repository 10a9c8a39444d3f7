// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

/** One region PAGEMAP_SCAN reported: pages [start, end) sharing the categories it was asked to return. */
public record PageRegion(long start, long end, long categories) {
    public boolean has(long category) {
        return (categories & category) != 0;
    }
}
