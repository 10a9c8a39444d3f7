// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import com.sun.jna.Structure;

/** {@code struct iovec}: base address and length, both 64-bit on x86_64. */
@Structure.FieldOrder({"base", "len"})
public class Iovec extends Structure {
    public long base;
    public long len;
}
