// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

/**
 * The mm_struct fields that prctl(PR_SET_MM, PR_SET_MM_MAP) sets: code, data, brk, stack,
 * argument and environment bounds, the auxiliary vector and the exe link.
 */
public record MmLayout(long startCode, long endCode, long startData, long endData, long startBrk, long brk,
                       long startStack, long argStart, long argEnd, long envStart, long envEnd,
                       byte[] auxv, String exePath) {
}
