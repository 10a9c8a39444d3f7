// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

/** One resource limit; -1 is RLIM_INFINITY. */
public record Rlimit(int resource, String name, long soft, long hard) {
}
