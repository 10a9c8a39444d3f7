// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

/** An eventfd: its counter and whether it counts as a semaphore (EFD_SEMAPHORE). */
public record EventfdFile(long counter, boolean semaphore) implements OpenFile {
}
