// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

/**
 * One end of a pipe or FIFO whose every end is inside the image. The bytes in flight travel
 * with the first end of the pipe in descriptor order ({@code queued}); the other ends carry
 * none.
 *
 * @param pipeId   the pipe's inode at capture: ends with the same id are one pipe
 * @param readEnd  the read end (else the write end)
 * @param capacity F_GETPIPE_SZ, restored with F_SETPIPE_SZ
 * @param queued   bytes written and not yet read, in order; null on the other ends
 */
public record PipeFile(long pipeId, boolean readEnd, int capacity, byte[] queued) implements OpenFile {
}
