// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

/** The kernel's struct sigaction for one signal: handler (0 default, 1 ignore), flags, restorer, mask. */
public record SignalAction(int signal, long handler, long flags, long restorer, long mask) {
    public boolean isDefault() {
        return handler == 0 && flags == 0 && mask == 0;
    }
}
