// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

/** A signalfd: the signals it reads (bit n-1 for signal n). */
public record SignalfdFile(long mask) implements OpenFile {
}
