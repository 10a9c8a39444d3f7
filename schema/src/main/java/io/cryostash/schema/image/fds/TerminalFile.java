// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

/**
 * A terminal the process had open. Restore puts it on the terminal it is given ({@code --tty},
 * e.g. a tmux pane) with these settings, or, without one, binds standard streams to /dev/null or
 * the log and refuses other terminal descriptors.
 *
 * @param termios     the kernel's struct termios (TCGETS), applied again with TCSETS
 * @param rows        window size at capture
 * @param columns     window size at capture
 * @param controlling the process's controlling terminal (its session's)
 * @param foreground  the process's group was the terminal's foreground group
 */
public record TerminalFile(byte[] termios, int rows, int columns, boolean controlling, boolean foreground)
        implements OpenFile {
}
